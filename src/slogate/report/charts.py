"""Inline SVG charts for the HTML packet: no script, no network, escaped text."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

_COLOURS = {
    "measurable_now": "#2e7d32",
    "instrumented_not_computable": "#f9a825",
    "instrumented_needs_soak": "#1565c0",
    "blocked": "#c62828",
}


def score_history_svg(packet: Mapping[str, Any], width: int = 480, height: int = 200) -> str:
    rubric = packet.get("rubric") or {}
    rows = rubric.get("history") or []
    if not rows:
        return ""
    pad = 36
    top = float(rubric.get("max_total") or 100)
    n = len(rows)
    step = (width - 2 * pad) / max(n - 1, 1)

    def y(v: float) -> float:
        return height - pad - (v / top) * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Score history">'
    ]
    for t in rubric.get("thresholds") or []:
        ty = y(float(t["min_total"]))
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
            f'<text x="{width - pad + 2}" y="{ty + 4:.1f}" font-size="10">'
            f"{escape(str(t['min_total']))}</text>"
        )
    points = [(pad + i * step, y(float(r["total"]))) for i, r in enumerate(rows)]
    parts.append(
        '<polyline fill="none" stroke="#1565c0" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        + '"/>'
    )
    for (x, yy), r in zip(points, rows, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="4" fill="#1565c0"/>'
            f'<text x="{x:.1f}" y="{yy - 8:.1f}" font-size="11" text-anchor="middle">'
            f"{float(r['total']):.2f}</text>"
            f'<text x="{x:.1f}" y="{height - pad + 16:.1f}" font-size="10" '
            f'text-anchor="middle">{escape(str(r["date"]))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def classification_svg(packet: Mapping[str, Any], width: int = 480, height: int = 90) -> str:
    cls = packet.get("classification") or {}
    rows: list[tuple[str, Mapping[str, int]]] = []
    if cls.get("previous"):
        rows.append((str(cls["previous"]["date"]), cls["previous"]["counts"]))
    if cls.get("counts"):
        rows.append((str(cls.get("date")), cls["counts"]))
    if not rows:
        return ""
    bar_h, gap, left = 22, 12, 80
    height = len(rows) * (bar_h + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="SLO classification">'
    ]
    for i, (label, counts) in enumerate(rows):
        total = sum(counts.values()) or 1
        x = float(left)
        yy = i * (bar_h + gap) + 4
        parts.append(f'<text x="0" y="{yy + 15}" font-size="11">{escape(label)}</text>')
        for cls_name, colour in _COLOURS.items():
            n = int(counts.get(cls_name, 0))
            if not n:
                continue
            w = (width - left - 10) * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{yy}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                f"<title>{escape(cls_name)}: {n}</title></rect>"
                f'<text x="{x + w / 2:.1f}" y="{yy + 15}" font-size="11" fill="#fff" '
                f'text-anchor="middle">{n}</text>'
            )
            x += w
    ly = len(rows) * (bar_h + gap) + 14
    lx = 0
    for cls_name, colour in _COLOURS.items():
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 13}" y="{ly}" font-size="10">{escape(cls_name)}</text>'
        )
        lx += 13 + 6.2 * len(cls_name) + 8
    parts.append("</svg>")
    return "".join(parts)
