"""Renderers escape what evidence says, and an error leaves no packet file."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from slogate.config import load_config
from slogate.services import readiness
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_DIR


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    target = tmp_path / "evidence"
    shutil.copytree(EXAMPLE_DIR / "evidence", target)
    return target


def test_html_escapes_evidence_text(evidence: Path, tmp_path: Path) -> None:
    card = evidence / "scorecards" / "2026-02-16.yaml"
    card.write_text(
        card.read_text().replace(
            'rationale: "PR risk, test and rollback notes required."',
            "rationale: \"<script>alert('x')</script> & <b>bold</b>\"",
        )
    )
    out = readiness.run_packet(
        EXAMPLE_CONFIG, evidence=evidence, as_of=date(2026, 2, 19), out_dir=tmp_path / "o"
    )
    html = out.paths["html"].read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_renderer_failure_leaves_no_partial_packet(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slogate.report import packet as renderers

    def broken(_: object) -> str:
        raise RuntimeError("template bug")

    monkeypatch.setattr(renderers, "render_html", broken)
    out = tmp_path / "o"
    with pytest.raises(RuntimeError):
        readiness.run_packet(
            EXAMPLE_CONFIG, evidence=evidence, as_of=date(2026, 2, 19), out_dir=out
        )
    assert list(out.iterdir()) == []


def test_evaluation_is_pure_of_the_clock(evidence: Path) -> None:
    loaded = load_config(EXAMPLE_CONFIG)
    a = readiness.evaluate(loaded, evidence, date(2026, 2, 19), today=date(2026, 3, 30))
    b = readiness.evaluate(loaded, evidence, date(2026, 2, 19), today=date(2027, 1, 1))
    assert [(g.gate, g.status) for g in a.gates] == [(g.gate, g.status) for g in b.gates]
    p = readiness.build(a, evidence / "packets", now=datetime(2026, 3, 30, tzinfo=UTC))
    assert p.data["generated"].startswith("2026-03-30")
    assert p.data["decision"]["next_review"] == "2026-02-23"
