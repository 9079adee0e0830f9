"""Pure renderers of the readiness packet: dict in, text out (Jinja2; HTML autoescaped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from slogate.report.charts import classification_svg, score_history_svg


def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("slogate.report", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render_markdown(packet: Mapping[str, Any]) -> str:
    return _env(False).get_template("packet.md.j2").render(p=packet)


def render_html(packet: Mapping[str, Any]) -> str:
    env = _env(True)
    return env.get_template("packet.html.j2").render(
        p=packet,
        score_chart=Markup(score_history_svg(packet)),
        class_chart=Markup(classification_svg(packet)),
    )
