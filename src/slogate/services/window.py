"""`slogate window`: the whole validation window in one pass over the data.

The events are opened (parsed and loaded) once; the engine then evaluates the
SLOs three times over the loaded table, which is cheap: over the window as a
whole, per UTC day, and per `window.bucket_minutes` (from before the window
start, so that the long burn-rate windows are warm when the window opens). The
pure core turns those results into incidents, budgets, alerts and completion
criteria; this module only fetches, writes and stamps provenance.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from slogate import __version__
from slogate.config.load import LoadedConfig
from slogate.core.incidents import SEV1_KINDS
from slogate.core.result import SLIResult
from slogate.core.sli import (
    EVENT_ADDITIVE_KINDS,
    UNIT_ADDITIVE_KINDS,
    combine,
    empty_result,
    with_bucket,
)
from slogate.core.slo import SLO, Measurability, classify
from slogate.core.window import WindowReport, WindowSpan, build_window
from slogate.errors import UsageError
from slogate.fileio import atomic_write
from slogate.report.window import render_window_markdown

DAY = timedelta(days=1)


@dataclass(frozen=True)
class WindowResults:
    """What the engine computed: whole window, per day, per bucket (SLO id -> results)."""

    whole: dict[str, SLIResult]
    daily: dict[str, list[SLIResult]]
    buckets: dict[str, list[SLIResult]]
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WindowOutcome:
    report: WindowReport
    document: dict[str, Any]
    json_path: Path | None
    md_path: Path | None
    snapshot_paths: list[Path]


def _stamp(d: date) -> str:
    return d.strftime("%Y_%m_%d")


def evaluate_window(
    loaded: LoadedConfig,
    inputs: Sequence[str | Path],
    span: WindowSpan,
    *,
    now: datetime,
    engine: str = "duckdb",
    progress: bool = False,
    spark_session: Any = None,
) -> WindowResults:
    """One load of the events, three cheap evaluations (whole, daily, buckets)."""
    from slogate.engine import open_events, slo_fields

    cfg = loaded.config
    slos = cfg.core_slos()
    until = span.evaluated_until(now)
    if until <= span.since:
        return WindowResults({}, {}, {}, {})
    policy = cfg.window.incident_policy()
    warmup = cfg.alerting.policy().longest
    since = span.since - warmup
    exclusions = cfg.core_exclusions()
    # Only the fields the SLOs read are extracted: a smaller table to build and scan.
    fields, numeric = slo_fields(slos)
    kwargs: dict[str, Any] = {"fields": fields, "numeric_fields": numeric}
    if spark_session is not None:
        kwargs["spark_session"] = spark_session
    with open_events(
        inputs,
        cfg.catalog(),
        since=since,
        until=until,
        engine=engine,  # type: ignore[arg-type]
        progress=progress,
        **kwargs,
    ) as table:
        # Fine buckets for every SLO judged per bucket or counting events. Results
        # over longer ranges come from the fewest queries that give them exactly
        # (see `combine`): days and the whole window of event-counting kinds are
        # sums of the fine buckets (aligned on the day); the whole window of
        # unit kinds is the sum of their days (one evaluation over the same
        # range); only quantiles need a query per granularity.
        fine_slos = [s for s in slos if s.kind in FINE_KINDS]
        buckets = table.evaluate(
            fine_slos, bucket=policy.bucket, since=since, until=until, exclusions=exclusions
        )
        per_day = [s for s in slos if s.kind not in EVENT_ADDITIVE_KINDS]
        daily = table.evaluate(
            per_day, bucket=DAY, since=span.since, until=until, exclusions=exclusions
        )
        direct = [s for s in per_day if s.kind not in UNIT_ADDITIVE_KINDS]
        whole_lists = table.evaluate(direct, since=span.since, until=until, exclusions=exclusions)
        stats = _stats_dict(table.stats)
    whole = {k: v[0] for k, v in whole_lists.items() if v}
    for slo in slos:
        if slo.kind in UNIT_ADDITIVE_KINDS:
            whole[slo.id] = combine(slo, daily.get(slo.id, ())) or empty_result(slo)
        if slo.kind not in EVENT_ADDITIVE_KINDS:
            continue
        inside = [
            b
            for b in buckets.get(slo.id, ())
            if b.bucket_start is not None and span.since <= b.bucket_start < until
        ]
        whole[slo.id] = combine(slo, inside) or empty_result(slo)
        days: list[SLIResult] = []
        for i in range(span.days):
            day_start = span.since + i * DAY
            if day_start >= until:
                break
            part = [
                b for b in inside if day_start <= (b.bucket_start or day_start) < day_start + DAY
            ]
            r = combine(slo, part)
            if r is not None:
                days.append(with_bucket(r, day_start, day_start + DAY))
        daily[slo.id] = days
        if slo.kind not in SEV1_KINDS:
            buckets.pop(slo.id, None)  # counts and monitors are judged per day only
    return WindowResults(whole, daily, buckets, stats)


#: Kinds that get 5-minute buckets: those judged per bucket (Sev-1) and those
#: whose days and whole window are sums of buckets.
FINE_KINDS = SEV1_KINDS | EVENT_ADDITIVE_KINDS


def _stats_dict(stats: Any) -> dict[str, Any]:
    as_dict = getattr(stats, "as_dict", None)
    if callable(as_dict):
        return dict(as_dict())
    return {
        k: getattr(stats, k, None) for k in ("files", "lines", "events", "duplicates", "rejected")
    }


def statuses_of(loaded: LoadedConfig) -> dict[str, Measurability]:
    cfg = loaded.config
    catalog = cfg.catalog()
    return {
        s.id: classify(s, catalog, client_relay=cfg.ingest.client_relay).status
        for s in cfg.core_slos()
    }


def assemble(
    loaded: LoadedConfig,
    span: WindowSpan,
    results: WindowResults,
    *,
    now: datetime,
) -> WindowReport:
    cfg = loaded.config
    return build_window(
        span,
        now=now,
        slos=cfg.core_slos(),
        statuses=statuses_of(loaded),
        whole=results.whole,
        daily=results.daily,
        buckets=results.buckets,
        exclusions=cfg.core_exclusions(),
        incident_policy=cfg.window.incident_policy(),
        budget_policy=cfg.budget.policy(),
        alert_policy=cfg.alerting.policy(),
    )


def _snapshot_for_day(
    loaded: LoadedConfig,
    day: date,
    results: WindowResults,
    *,
    now: datetime,
    engine: str,
) -> dict[str, Any]:
    """The day's snapshot document, built by the same function as `slogate snapshot`."""
    from slogate.core.snapshot import build_snapshot

    cfg = loaded.config
    slos = cfg.core_slos()
    catalog = cfg.catalog()
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    per_slo: dict[str, SLIResult | None] = {}
    for slo in slos:
        found = [r for r in results.daily.get(slo.id, ()) if r.bucket_start == start]
        per_slo[slo.id] = _unbucketed(found[0]) if found else _empty(slo)
    return build_snapshot(
        slos=slos,
        classifications={
            s.id: classify(s, catalog, client_relay=cfg.ingest.client_relay) for s in slos
        },
        results=per_slo,
        inputs=results.stats,
        config_sha256=loaded.sha256,
        tool_version=__version__,
        engine=engine,
        generated=now,
        day=day,
        since=start,
        until=start + DAY,
    )


def _unbucketed(result: SLIResult) -> SLIResult:
    """A day's bucket result as a whole-range result (what a one-day snapshot holds)."""
    return replace(result, bucket_start=None, bucket_end=None)


def _empty(slo: SLO) -> SLIResult:
    return empty_result(slo)


def window_document(
    loaded: LoadedConfig,
    report: WindowReport,
    results: WindowResults,
    *,
    now: datetime,
    engine: str,
) -> dict[str, Any]:
    doc = report.to_json()
    doc = {
        "generated": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        **doc,
        "inputs": results.stats,
        "engine": engine,
        "config_sha256": loaded.sha256,
        "tool_version": __version__,
    }
    return doc


def run_window(
    loaded: LoadedConfig,
    inputs: Sequence[str | Path],
    *,
    start: date,
    days: int | None = None,
    engine: str = "duckdb",
    out_dir: Path | None = Path("evidence"),
    now: datetime | None = None,
    progress: bool = False,
    spark_session: Any = None,
    write_snapshots: bool = True,
) -> WindowOutcome:
    """Evaluate the window and write `windows/window_YYYY_MM_DD.{json,md}` and each
    complete day's `snapshots/slo_snapshot_YYYY_MM_DD.json` under `out_dir`."""
    if not inputs:
        raise UsageError("give at least one --input")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise UsageError("now must be a UTC time")
    span = WindowSpan(start, days or loaded.config.window.days)
    results = evaluate_window(
        loaded,
        inputs,
        span,
        now=now,
        engine=engine,
        progress=progress,
        spark_session=spark_session,
    )
    report = assemble(loaded, span, results, now=now)
    snapshot_paths: list[Path] = []
    snapshots: list[tuple[Path, dict[str, Any]]] = []
    if out_dir is not None and write_snapshots:
        for d in span.day_list()[: report.days_completed]:
            snapshot = _snapshot_for_day(loaded, d, results, now=now, engine=engine)
            path = out_dir / "snapshots" / f"slo_snapshot_{_stamp(d)}.json"
            snapshots.append((path, snapshot))
            snapshot_paths.append(path)
    doc = window_document(loaded, report, results, now=now, engine=engine)
    doc["snapshots"] = [str(p) for p in snapshot_paths]
    json_path = md_path = None
    if out_dir is not None:
        for path, snapshot in snapshots:
            atomic_write(path, json.dumps(snapshot, indent=2, sort_keys=False) + "\n")
            _write_snapshot_md(path, snapshot)
        json_path = out_dir / "windows" / f"window_{_stamp(start)}.json"
        md_path = json_path.with_suffix(".md")
        atomic_write(json_path, json.dumps(doc, indent=2) + "\n")
        atomic_write(md_path, render_window_markdown(doc))
    return WindowOutcome(report, doc, json_path, md_path, snapshot_paths)


def _write_snapshot_md(path: Path, snapshot: dict[str, Any]) -> None:
    """The snapshot's Markdown, rendered as `slogate snapshot` renders it."""
    from slogate.report.snapshot import render_snapshot_markdown

    atomic_write(path.with_suffix(".md"), render_snapshot_markdown(snapshot))
