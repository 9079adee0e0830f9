"""View models: plain dicts built from evidence, aggregates and alert state.

The same dict feeds the Jinja templates (server-rendered, autoescaped) and the
JSON endpoints, so a page and its API never disagree. Chart figures are Plotly
JSON (data + layout) built here; the browser only calls `Plotly.react`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slogate.config.dashboard import DashboardSettings
from slogate.core.budget import BudgetPolicy, allowed_bad_fraction, bad_and_total, live_status
from slogate.core.incidents import MarginBasis, relative_margin
from slogate.core.slo import SLO, SLIKind, Unit
from slogate.web.aggregates import SLOAggregates
from slogate.web.alerting import BurnRateAlerter, has_budget
from slogate.web.evidence import EvidenceReader, PacketSummary, scorecard_total, summarize_packet
from slogate.web.ports import IngestStatus


@dataclass
class Context:
    """Everything a view needs; built once per app."""

    slos: list[SLO]
    settings: DashboardSettings
    evidence: EvidenceReader
    aggregates: SLOAggregates
    alerter: BurnRateAlerter
    budget: BudgetPolicy = BudgetPolicy()
    weights: Mapping[str, float] | None = None
    margin_basis: MarginBasis = MarginBasis.BUDGET
    near_margin: float = 0.01  # Sev-3: at target with less than this margin

    def pillars(self) -> list[str]:
        seen: dict[str, None] = {}
        for slo in self.slos:
            seen.setdefault(slo.pillar, None)
        return list(seen)


# --- formatting ---------------------------------------------------------------


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def fmt_value(value: float | None, unit: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if unit == Unit.RATIO:
        return f"{value * 100:.3f} %"
    if unit == Unit.MS:
        return f"{value:,.0f} ms"
    if unit == Unit.MB:
        return f"{value:,.1f} MB"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}"


def fmt_target(target: Mapping[str, Any] | None) -> str:
    if not target:
        return "none (monitoring)"
    return f"{target.get('op', '')} {fmt_value(_f(target.get('value')), target.get('unit'))}"


def _f(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def status_word(met: object) -> str:
    if met is True:
        return "MET"
    if met is False:
        return "MISSED"
    return "NO DATA"


def _target_dict(slo: SLO) -> dict[str, Any] | None:
    if slo.target is None:
        return None
    return {"op": str(slo.target.op), "value": slo.target.value, "unit": str(slo.target.unit)}


def _unit(slo: SLO) -> str:
    if slo.target is not None:
        return str(slo.target.unit)
    return "count" if slo.kind in (SLIKind.COUNT, SLIKind.MONITOR) else ""


def label(text: object) -> str:
    """Chart text: Plotly interprets a few HTML-like tags, so none reach it."""
    return str(text).replace("<", "\u2039").replace(">", "\u203a")


# --- overview -----------------------------------------------------------------


def _snapshot_slos(doc: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for row in (doc or {}).get("slos", []) or []:
        if isinstance(row, Mapping) and isinstance(row.get("id"), str):
            out[row["id"]] = row
    return out


def _margin_fraction(ctx: Context, slo: SLO | None, row: Mapping[str, Any]) -> float | None:
    """The Sev-3 margin of `slogate.core.incidents` (budget or target basis, as the
    window configures it)."""
    value = _f(row.get("value"))
    if slo is None or value is None:
        return None
    return relative_margin(slo, value, ctx.margin_basis)


def score_history(ctx: Context, packets: Sequence[PacketSummary]) -> list[dict[str, Any]]:
    points: dict[date, dict[str, Any]] = {}
    for day, doc in ctx.evidence.scorecards():
        total = scorecard_total(doc, ctx.weights)
        if total is not None:
            points[day] = {"date": day.isoformat(), "score": total, "source": "scorecard"}
    for p in packets:
        for day, total in p.history:
            points.setdefault(day, {"date": day.isoformat(), "score": total, "source": "packet"})
    for p in packets:
        day = p.score_date or p.day
        if p.score is not None:
            points[day] = {"date": day.isoformat(), "score": p.score, "source": "packet"}
    return [points[d] for d in sorted(points)]


def overview(ctx: Context, now: datetime, ingest: IngestStatus | None) -> dict[str, Any]:
    packets = [summarize_packet(p) for p in ctx.evidence.packets()]
    latest = packets[-1] if packets else None
    snap = ctx.evidence.latest_snapshot()
    snap_rows = _snapshot_slos(snap.doc if snap else None)
    names = {s.id: s for s in ctx.slos}

    firing = ctx.alerter.active()
    firing_ids = {a.slo_id for a in firing}
    at_risk: list[dict[str, Any]] = []
    for slo_id, row in snap_rows.items():
        met = row.get("met")
        margin = _margin_fraction(ctx, names.get(slo_id), row)
        reason = None
        if met is False:
            reason = "missed its target in the latest snapshot"
        elif met is True and margin is not None and margin < ctx.near_margin:
            basis = "of its error budget" if ctx.margin_basis is MarginBasis.BUDGET else ""
            reason = (
                f"met with a margin under {ctx.near_margin * 100:g} % {basis} "
                f"({margin * 100:.2f} %)"
            ).replace("  ", " ")
        if slo_id in firing_ids:
            reason = (reason + "; " if reason else "") + "burn-rate alert firing"
        if reason:
            at_risk.append(
                {
                    "id": slo_id,
                    "name": str(row.get("name") or (names[slo_id].name if slo_id in names else "")),
                    "pillar": str(row.get("pillar", "")),
                    "value": _f(row.get("value")),
                    "value_text": fmt_value(
                        _f(row.get("value")), (row.get("target") or {}).get("unit")
                    ),
                    "target_text": fmt_target(row.get("target")),
                    "status": status_word(met),
                    "reason": reason,
                }
            )
    for slo_id in sorted(firing_ids - set(snap_rows)):
        slo = names.get(slo_id)
        if slo:
            at_risk.append(
                {
                    "id": slo.id,
                    "name": slo.name,
                    "pillar": slo.pillar,
                    "value": None,
                    "value_text": "live",
                    "target_text": fmt_target(_target_dict(slo)),
                    "status": "AT RISK",
                    "reason": "burn-rate alert firing",
                }
            )

    window = ctx.evidence.latest_window()
    incidents = _incidents(window.doc if window else None)
    active = [i for i in incidents if i["open"] or _recent(i, now, days=1)]

    return {
        "generated": iso(now),
        "decision": None
        if latest is None
        else {
            "date": latest.day.isoformat(),
            "decision": latest.decision or "UNKNOWN",
            "score": latest.score,
            "threshold": latest.threshold,
            "blockers": latest.blockers,
        },
        "score_history": score_history(ctx, packets),
        "gates": [asdict(g) for g in latest.gates] if latest else [],
        "snapshot": None
        if snap is None
        else {
            "date": snap.day.isoformat(),
            "classification": (snap.doc or {}).get("classification", {}),
            "slos": len(snap_rows),
            "missed": sum(1 for r in snap_rows.values() if r.get("met") is False),
        },
        "window": _window_summary(window.doc if window else None),
        "slos_at_risk": at_risk,
        "incidents": active,
        "alerts": {
            "firing": [_alert_state(a) for a in firing],
            "recent": [_alert_event(e) for e in ctx.alerter.recent()[:20]],
            "last_evaluated": iso(ctx.alerter.last_evaluated),
        },
        "ingest": ingest_health(ctx, now, ingest),
        "pillars": ctx.pillars(),
    }


def _alert_state(a: Any) -> dict[str, Any]:
    return {
        "slo": a.slo_id,
        "slo_name": a.slo_name,
        "pillar": a.pillar,
        "alert": a.severity,
        "severity": a.severity,
        "windows": list(a.windows),
        "since": iso(a.since),
        "burn_long": a.burn_long,
        "burn_short": a.burn_short,
        "factor": a.factor,
    }


def _alert_event(e: Any) -> dict[str, Any]:
    ok = [d for d in e.deliveries if d.get("ok")]
    return {
        "status": e.status,
        "slo": e.slo_id,
        "slo_name": e.slo_name,
        "pillar": e.pillar,
        "alert": e.severity,
        "severity": e.severity,
        "windows": list(e.windows),
        "at": iso(e.at),
        "started_at": iso(e.started_at),
        "burn_long": e.burn_long,
        "deliveries": f"{len(ok)}/{len(e.deliveries)} delivered" if e.deliveries else "no webhook",
    }


def _window_summary(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not doc:
        return None
    pillars = ((doc.get("budgets") or {}).get("pillars") or {}) if isinstance(doc, Mapping) else {}
    return {
        "start": doc.get("start"),
        "days": doc.get("days"),
        "days_completed": doc.get("days_completed"),
        "status": doc.get("status"),
        "criteria": [
            {
                "name": str(c.get("name", "")),
                "passed": c.get("passed"),
                "reason": str(c.get("reason", "")),
            }
            for c in doc.get("completion_criteria", []) or []
            if isinstance(c, Mapping)
        ],
        "pillar_budgets": {
            str(k): _f(v.get("burned_fraction"))
            for k, v in pillars.items()
            if isinstance(v, Mapping)
        },
        "consecutive_miss_pillars": [str(p) for p in doc.get("consecutive_miss_pillars", []) or []],
    }


def _parse_iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _incidents(doc: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for inc in (doc or {}).get("incidents", []) or []:
        if not isinstance(inc, Mapping):
            continue
        start, end = _parse_iso(inc.get("start")), _parse_iso(inc.get("end"))
        out.append(
            {
                "slo": str(inc.get("slo", "")),
                "pillar": str(inc.get("pillar", "")),
                "severity": inc.get("severity"),
                "start": iso(start),
                "end": iso(end),
                "open": end is None,
                "duration_s": _f(inc.get("duration_s")),
                "worst_value": _f(inc.get("worst_value")),
            }
        )
    return out


def _recent(incident: Mapping[str, Any], now: datetime, *, days: int) -> bool:
    end = _parse_iso(incident.get("end"))
    return end is not None and end >= now - timedelta(days=days)


def ingest_health(ctx: Context, now: datetime, status: IngestStatus | None) -> dict[str, Any]:
    if status is not None and status.events_per_minute:
        per_minute = [(m, n) for m, n in status.events_per_minute]
    else:
        per_minute = ctx.aggregates.events_per_minute(now - timedelta(minutes=60), now)
    last5 = sum(n for m, n in per_minute if m >= now - timedelta(minutes=5))
    agg = ctx.aggregates
    return {
        "events_last_5_min": last5,
        "events_per_minute": [{"minute": iso(m), "events": n} for m, n in per_minute],
        "rejected_total": sum(status.rejects_by_reason.values()) if status else None,
        "kill_switch": status.kill_switch if status else None,
        "kill_switch_source": status.kill_switch_source if status else None,
        "storage_ok": status.storage_ok if status else None,
        "connected": status is not None,
        "aggregates": {
            "rebuilding": agg.rebuilding,
            "events": agg.events_seen,
            "duplicates": agg.duplicates,
            "last_rebuild": None if agg.last_rebuild is None else asdict(agg.last_rebuild),
        },
    }


# --- pillar pages ---------------------------------------------------------------


def pillar(ctx: Context, name: str, now: datetime) -> dict[str, Any]:
    slos = [s for s in ctx.slos if s.pillar == name]
    snaps = ctx.evidence.snapshots()
    latest = snaps[-1] if snaps else None
    latest_rows = _snapshot_slos(latest.doc if latest else None)
    window = ctx.evidence.latest_window()
    incidents = [i for i in _incidents(window.doc if window else None) if i["pillar"] == name]
    budgets = ((window.doc or {}).get("budgets") or {}) if window else {}
    slo_budgets = budgets.get("slos") or {}
    rows: list[dict[str, Any]] = []
    for slo in slos:
        snap_row = latest_rows.get(slo.id, {})
        wb = slo_budgets.get(slo.id) if isinstance(slo_budgets, Mapping) else None
        live = ctx.aggregates.result(slo.id, now - timedelta(hours=1), now, now=now)
        status = _live_budget(ctx, slo, now) if has_budget(slo) else None
        rows.append(
            {
                "id": slo.id,
                "name": slo.name,
                "kind": str(slo.kind),
                "target": _target_dict(slo),
                "target_text": fmt_target(_target_dict(slo)),
                "snapshot_date": latest.day.isoformat() if latest else None,
                "value": _f(snap_row.get("value")),
                "value_text": fmt_value(_f(snap_row.get("value")), _unit(slo)),
                "met": snap_row.get("met"),
                "status": status_word(snap_row.get("met")),
                "class": snap_row.get("status"),
                "samples": snap_row.get("samples"),
                "live_value": live.value,
                "live_text": fmt_value(live.value, _unit(slo)),
                "live_samples": live.samples,
                "window_burned": _f(wb.get("burned_fraction")) if isinstance(wb, Mapping) else None,
                "has_budget": has_budget(slo),
                "budget_remaining": status.budget_remaining if status else None,
                "burn_rate_1h": status.burn_rate if status else None,
            }
        )
    pillar_budget = ((budgets.get("pillars") or {}).get(name)) if budgets else None
    return {
        "pillar": name,
        "generated": iso(now),
        "slos": rows,
        "incidents": incidents,
        "alerts": [_alert_event(e) for e in ctx.alerter.recent(name)],
        "firing": [_alert_state(a) for a in ctx.alerter.active() if a.pillar == name],
        "window_budget": _f(pillar_budget.get("burned_fraction"))
        if isinstance(pillar_budget, Mapping)
        else None,
    }


def _period(ctx: Context, now: datetime) -> timedelta:
    return timedelta(days=ctx.budget.period_days(now))


def _live_budget(ctx: Context, slo: SLO, now: datetime) -> Any:
    """`slogate.core.budget.live_status` over hourly buckets (what /metrics reports)."""
    hourly = ctx.aggregates.series(slo.id, now - _period(ctx, now), now, step=3600, now=now)
    return live_status(slo, hourly, now=now, policy=ctx.budget)


_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
    "height": 260,
    "showlegend": True,
    "legend": {"orientation": "h", "y": -0.25},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}


def _fig(title: str, traces: list[dict[str, Any]], ytitle: str = "") -> dict[str, Any]:
    layout = dict(_LAYOUT)
    layout["title"] = {"text": label(title), "font": {"size": 13}}
    layout["yaxis"] = {"title": {"text": label(ytitle)}, "automargin": True}
    layout["xaxis"] = {"type": "date"}
    return {"data": traces, "layout": layout}


def _target_trace(slo: SLO, xs: Sequence[str]) -> list[dict[str, Any]]:
    if slo.target is None or not xs:
        return []
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"target {slo.target.op} {fmt_value(slo.target.value, _unit(slo))}",
            "x": [xs[0], xs[-1]],
            "y": [slo.target.value, slo.target.value],
            "line": {"dash": "dash", "color": "#b00020"},
        }
    ]


def pillar_charts(ctx: Context, name: str, now: datetime) -> dict[str, Any]:
    """Plotly figures keyed by `<slo>:daily`, `<slo>:5m`, `<slo>:budget`, and `incidents`."""
    settings = ctx.settings
    charts: dict[str, Any] = {}
    snaps = ctx.evidence.snapshots()
    slos = [s for s in ctx.slos if s.pillar == name]
    for slo in slos:
        unit = _unit(slo)
        # Daily: snapshots (evidence) and the live aggregates.
        days, values = [], []
        for snap in snaps:
            row = _snapshot_slos(snap.doc).get(slo.id)
            if row is not None and _f(row.get("value")) is not None:
                days.append(snap.day.isoformat())
                values.append(_f(row.get("value")))
        day0 = datetime.combine(now.date(), datetime.min.time(), UTC)
        live_daily = ctx.aggregates.series(
            slo.id, day0 - _period(ctx, now) + timedelta(days=1), now, step=86400, now=now
        )
        traces: list[dict[str, Any]] = []
        if days:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "daily snapshot",
                    "x": days,
                    "y": values,
                }
            )
        if live_daily:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "live (store)",
                    "x": [iso(r.bucket_start) for r in live_daily],
                    "y": [r.value for r in live_daily],
                }
            )
        xs = sorted(set(days) | {iso(r.bucket_start) or "" for r in live_daily})
        charts[f"{slo.id}:daily"] = _fig(
            f"{slo.name}: daily", traces + _target_trace(slo, xs), unit
        )

        five = ctx.aggregates.series(
            slo.id, now - timedelta(hours=settings.series_hours), now, now=now
        )
        x5 = [iso(r.bucket_start) or "" for r in five]
        traces5 = []
        if five:
            traces5.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "5-minute SLI",
                    "x": x5,
                    "y": [r.value for r in five],
                    "marker": {"size": 4},
                }
            )
        charts[f"{slo.id}:5m"] = _fig(
            f"{slo.name}: 5-minute, last {settings.series_hours} h",
            traces5 + _target_trace(slo, x5),
            unit,
        )

        allowed = allowed_bad_fraction(slo)
        if has_budget(slo) and allowed:
            charts[f"{slo.id}:budget"] = _budget_fig(ctx, slo, allowed, now)

    window = ctx.evidence.latest_window()
    inc = [i for i in _incidents(window.doc if window else None) if i["pillar"] == name]
    inc_traces = []
    for i in inc:
        end = i["end"] or iso(now)
        inc_traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": label(f"Sev-{i['severity']} {i['slo']}"),
                "x": [i["start"], end],
                "y": [label(i["slo"]), label(i["slo"])],
                "line": {"width": 8},
            }
        )
    charts["incidents"] = _fig("Incidents (latest window)", inc_traces)
    charts["incidents"]["layout"]["yaxis"] = {"type": "category", "automargin": True}
    return {"pillar": name, "generated": iso(now), "charts": charts}


def _budget_fig(ctx: Context, slo: SLO, allowed: float, now: datetime) -> dict[str, Any]:
    """Budget remaining hour by hour, as `slogate.core.budget.live_status` computes
    it at the end of each hour: 1 - bad / (allowed x events x period / observed),
    the period's budget extrapolated from the traffic seen so far."""
    period = _period(ctx, now)
    hourly = ctx.aggregates.series(slo.id, now - period, now, step=3600, now=now)
    xs: list[str | None] = []
    ys: list[float] = []
    bad_cum = total_cum = 0
    first = hourly[0].bucket_start if hourly else None
    for r in hourly:
        bad, total = bad_and_total(slo, r)
        bad_cum += bad
        total_cum += total
        end = min(r.bucket_end or now, now)
        observed = min(period, end - first) if first else period
        if total_cum and observed.total_seconds() > 0:
            budget = allowed * total_cum * (period / observed)
            xs.append(iso(end))
            ys.append(1.0 - bad_cum / budget)
    traces = []
    if xs:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "budget remaining",
                "x": xs,
                "y": ys,
                "fill": "tozeroy",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "exhausted",
                "x": [xs[0], xs[-1]],
                "y": [0, 0],
                "line": {"dash": "dot"},
            }
        )
    days = ctx.budget.period_days(now)
    return _fig(f"{slo.name}: error budget remaining ({days:g}-day period)", traces, "fraction")


# --- overview charts ------------------------------------------------------------


def overview_charts(ctx: Context, now: datetime) -> dict[str, Any]:
    packets = [summarize_packet(p) for p in ctx.evidence.packets()]
    history = score_history(ctx, packets)
    traces = []
    if history:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": "score",
                "x": [h["date"] for h in history],
                "y": [h["score"] for h in history],
                "text": [f"{h['score']:.2f}" for h in history],
                "textposition": "top center",
            }
        )
        threshold = next((p.threshold for p in reversed(packets) if p.threshold), None)
        if threshold is not None:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"threshold {threshold:g}",
                    "x": [history[0]["date"], history[-1]["date"]],
                    "y": [threshold, threshold],
                    "line": {"dash": "dash"},
                }
            )
    fig = _fig("Rubric score history", traces, "score (0-100)")
    fig["layout"]["yaxis"]["range"] = [0, 100]
    return {"generated": iso(now), "charts": {"score": fig}}


def ingest_charts(ctx: Context, now: datetime, status: IngestStatus | None) -> dict[str, Any]:
    health = ingest_health(ctx, now, status)
    pts = health["events_per_minute"]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "accepted events / min",
            "x": [p["minute"] for p in pts],
            "y": [p["events"] for p in pts],
            "marker": {"size": 4},
        }
    ]
    return {
        "generated": iso(now),
        "charts": {"events": _fig("Events per minute", traces, "events")},
    }
