"""Markdown of a validation window document (pure: the window JSON in, text out).

It renders from the JSON document, not from core objects, so that an archived
`window_YYYY_MM_DD.json` can be re-rendered byte for byte."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_STATUS_MARK = {
    "met": "ok",
    "near_miss": "near",
    "missed": "MISS",
    "low_traffic": "low",
    "no_data": "-",
    "excluded": "excl",
    "no_target": "n/a",
}


def _pct(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{float(value) * 100:.{digits}f} %"


def _value(value: Any, unit: str | None) -> str:
    if value is None:
        return "-"
    v = float(value)
    if unit == "ratio":
        return f"{v * 100:.3f} %"
    if unit in ("ms", "mb"):
        return f"{v:g} {unit}"
    return f"{v:g}"


def _target(t: Mapping[str, Any] | None) -> str:
    if not t:
        return "monitor"
    return f"{t['op']} {_value(t['value'], t['unit'])}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def render_window_markdown(doc: Mapping[str, Any]) -> str:
    lines: list[str] = []
    status = str(doc["status"])
    lines += [
        f"# Validation window from {doc['start']} ({doc['days']} days)",
        "",
        f"- Status: **{status.upper().replace('_', ' ')}** "
        f"({doc['days_completed']} of {doc['days']} days complete)",
        f"- Evaluated until: {doc.get('now', '-')}",
        f"- Incidents: Sev-1 {doc['incident_counts']['sev1']}, "
        f"Sev-2 {doc['incident_counts']['sev2']}, Sev-3 {doc['incident_counts']['sev3']}",
    ]
    if doc.get("config_sha256"):
        lines.append(
            f"- Config sha256: `{doc['config_sha256']}`; slogate {doc.get('tool_version', '?')}; "
            f"engine {doc.get('engine', '?')}"
        )
    pillars = doc.get("consecutive_miss_pillars") or []
    if pillars:
        pairs = doc.get("consecutive_misses", {})
        detail = "; ".join(
            f"{p} ({', '.join(a + ' and ' + b for a, b in pairs.get(p, []))})" for p in pillars
        )
        lines.append(f"- **Automatic NO-GO**: two consecutive missed days in {detail}")
    budgets = doc["budgets"]
    if budgets.get("exceeding_pillars"):
        lines.append(
            f"- **G7 fails**: {', '.join(budgets['exceeding_pillars'])} burned more than "
            f"{_pct(budgets['max_burned_fraction'], 0)} of the period budget"
        )
    lines += ["", "## Completion criteria", ""]
    lines += _table(
        ["Criterion", "Result", "Reason"],
        [
            [c["name"], "pass" if c["passed"] else "FAIL", c["reason"]]
            for c in doc["completion_criteria"]
        ],
    )

    lines += ["", "## Incidents", ""]
    if doc["incidents"]:
        lines += _table(
            ["Id", "Sev", "SLO", "Pillar", "Start", "End", "Minutes", "Worst", "Caught by"],
            [
                [
                    i["id"],
                    str(i["severity"]),
                    i["slo"],
                    i["pillar"],
                    i["start"],
                    i["end"],
                    f"{i['duration_s'] / 60:.0f}",
                    "-" if i["worst_value"] is None else f"{i['worst_value']:.6g}",
                    ", ".join(doc["alerts"]["caught_by"].get(i["id"], [])) or "none",
                ]
                for i in doc["incidents"]
            ],
        )
    else:
        lines.append("No incidents.")

    lines += [
        "",
        f"## Error budgets ({budgets['period']}, {budgets['period_days']:g} days; "
        f"G7 limit {_pct(budgets['max_burned_fraction'], 0)} per pillar)",
        "",
    ]
    lines += _table(
        ["Pillar", "Burned", "Worst SLO", "Over limit"],
        [
            [p, _pct(b["burned_fraction"]), b["worst_slo"] or "-", "YES" if b["exceeds"] else "no"]
            for p, b in budgets["pillars"].items()
        ],
    )
    lines.append("")
    lines += _table(
        ["SLO", "Kind", "Allowed bad", "Bad / total", "Burn rate", "Burned", "Remaining"],
        [
            [
                sid,
                b["kind"],
                _pct(b["allowed_fraction"], 3),
                f"{b['bad']} / {b['total']}",
                "-" if b["burn_rate"] is None else f"{b['burn_rate']:.2f}x",
                _pct(b["burned_fraction"]),
                _pct(b["remaining_fraction"]),
            ]
            for sid, b in budgets["slos"].items()
        ],
    )
    if budgets.get("zero_target_slos"):
        lines += [
            "",
            "SLOs with a zero target have no budget; each bad event is reported as an "
            f"incident: {', '.join(budgets['zero_target_slos'])}.",
        ]

    lines += ["", "## SLOs by day", ""]
    day_names: list[str] = []
    for s in doc["slos"]:
        if len(s["daily"]) > len(day_names):
            day_names = [d["date"][5:] for d in s["daily"]]
    rows = []
    for s in doc["slos"]:
        unit = s["target"]["unit"] if s["target"] else None
        cells = [
            f"{_value(d['value'], unit)} {_STATUS_MARK.get(d['status'], d['status'])}"
            + (" (partial)" if d.get("partial") else "")
            for d in s["daily"]
        ]
        cells += [""] * (len(day_names) - len(cells))
        met = {True: "met", False: "MISSED", None: "-"}[s["met"]]
        rows.append(
            [
                s["id"],
                s["status"],
                _target(s["target"]),
                *cells,
                f"{_value(s['window_value'], unit)} {met}",
            ]
        )
    lines += _table(["SLO", "Class", "Target", *day_names, "Window"], rows)
    lines += [
        "",
        "Day marks: ok = met; near = met with less than the Sev-3 margin; MISS = missed; "
        "low = fewer events than the minimum (not judged); - = no data; "
        "excl = under maintenance.",
    ]

    alerts = doc["alerts"]
    lines += ["", "## Burn-rate alert replay", ""]
    if alerts["firings"]:
        lines += _table(
            ["Alert", "SLO", "Severity", "Start", "End", "Windows", "Peak burn", "Caught"],
            [
                [
                    f["id"],
                    f["slo"],
                    f["severity"],
                    f["start"],
                    f["end"] + (" (open)" if f["open"] else ""),
                    ", ".join(f["windows"]),
                    f"{f['peak_burn_rate']:.1f}x",
                    ", ".join(f["caught"]) or "nothing (noise)",
                ]
                for f in alerts["firings"]
            ],
        )
    else:
        lines.append("No alert would have fired.")
    missed = alerts["missed_incidents"]
    lines += [
        "",
        "Incidents no alert caught: " + (", ".join(missed) if missed else "none") + ".",
    ]

    lines += ["", "## Exclusions (maintenance)", ""]
    if doc["exclusions"]:
        lines += _table(
            ["Start", "End", "SLOs", "Reason"],
            [
                [e["start"], e["end"], ", ".join(e["slos"]) if e["slos"] else "all", e["reason"]]
                for e in doc["exclusions"]
            ],
        )
    else:
        lines.append("Nothing was excluded.")

    policy = doc["policy"]
    lines += [
        "",
        "## How this was computed",
        "",
        f"- Sev-1: the SLI over {policy['bucket_minutes']:g}-minute buckets misses its target "
        f"by more than {_pct(policy['sev1_miss_fraction'], 0)} of the target value in every "
        f"bucket with data for more than {policy['sev1_min_minutes']:g} minutes. Buckets "
        f"without data, or with fewer than {policy['min_events_per_bucket']} events, neither "
        f"miss nor pass: they are bridged inside a run up to "
        f"{policy['sev1_max_gap_minutes']:g} minutes, and a longer gap ends the run.",
        f"- Sev-2: a complete day misses its target. Sev-3: a complete day meets it with a "
        f"margin under {_pct(policy['sev3_margin'], 0)} (basis: {policy['margin_basis']}). "
        f"Days with fewer than {policy['min_events_per_day']} events are low traffic.",
        f"- Burn-rate alerts: {len(policy['burn_windows'])} windows, at least "
        f"{policy['alert_min_events']} events in the long window.",
    ]
    if doc.get("snapshots"):
        lines += ["", "## Daily snapshots", ""]
        lines += [f"- {p}" for p in doc["snapshots"]]
    return "\n".join(lines) + "\n"
