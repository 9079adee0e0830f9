"""Markdown rendering of a snapshot document (pure: dict in, text out)."""

from __future__ import annotations

from typing import Any

_OPS = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_value(value: float | None, unit: str | None) -> str:
    """Ratios as percentages with enough digits for 99.99 %, ms and MB as numbers."""
    if value is None:
        return "no data"
    if unit == "ratio":
        text = f"{value * 100:.3f}".rstrip("0").rstrip(".")
        return f"{text} %"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 100 else f"{value:g} ms"
    if unit == "mb":
        return f"{value:,.1f} MB"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:g}"


def _target(target: dict[str, Any] | None) -> str:
    if not target:
        return "monitoring only"
    op = _OPS.get(target["op"], target["op"])
    return f"{op} {format_value(target['value'], target['unit'])}"


def _met(met: bool | None) -> str:
    return {True: "met", False: "**MISSED**", None: "–"}[met]


def render_snapshot_markdown(document: dict[str, Any]) -> str:
    inputs = document.get("inputs", {})
    window = document.get("window", {})
    lines = [
        f"# SLO snapshot {document.get('date', '')}",
        "",
        f"- Generated: {document.get('generated')}",
        f"- Window: {window.get('since') or 'start of data'} → "
        f"{window.get('until') or 'end of data'}",
        f"- Engine: {document.get('engine')}; slogate {document.get('tool_version')}",
        f"- Config SHA-256: `{document.get('config_sha256')}`",
        f"- Inputs: {inputs.get('files', 0)} files, {inputs.get('lines', 0)} lines, "
        f"{inputs.get('events', 0)} events, {inputs.get('duplicates', 0)} duplicates",
    ]
    rejected = inputs.get("rejected") or {}
    if rejected:
        parts = ", ".join(f"{reason} {n}" for reason, n in sorted(rejected.items()))
        lines.append(f"- Rejected: {parts}")
    else:
        lines.append("- Rejected: none")
    classes = document.get("classification", {})
    lines += [
        "",
        "## Classification",
        "",
        "| Class | SLOs |",
        "|---|---:|",
        *(f"| {_cell(k)} | {v} |" for k, v in classes.items()),
        "",
        "## SLOs",
        "",
        "| Pillar | SLO | Status | Target | Value | Result | Samples |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for slo in document.get("slos", []):
        unit = (slo.get("target") or {}).get("unit")
        if slo.get("kind") in ("count", "correlation", "monitor"):
            unit = "count"
        value = format_value(slo.get("value"), unit)
        lines.append(
            f"| {_cell(slo['pillar'])} | {_cell(slo['name'])} (`{slo['id']}`) | "
            f"{_cell(slo['status'])} | {_target(slo.get('target'))} | {value} | "
            f"{_met(slo.get('met'))} | {slo.get('samples', 0)} |"
        )
    monitors = [s for s in document.get("slos", []) if s.get("kind") == "monitor"]
    for slo in monitors:
        counts = ", ".join(f"{k} {v}" for k, v in (slo.get("counts") or {}).items())
        lines += ["", f"{slo['name']} (`{slo['id']}`): {counts or 'no events'}"]
    return "\n".join(lines) + "\n"
