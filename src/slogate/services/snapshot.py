"""Use case: compute every SLO over event logs and write the dated snapshot.

`run_snapshot` is the one entry point for the CLI, the demo, the benchmarks
and the web app: load the inputs once, evaluate every SLO, build the document
(`slogate.core.snapshot`), write `slo_snapshot_YYYY_MM_DD.json` and `.md`
atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from slogate import __version__
from slogate.config.load import LoadedConfig
from slogate.core.slo import classify
from slogate.core.snapshot import build_snapshot, snapshot_filename
from slogate.engine import open_events, slo_fields
from slogate.engine.table import EngineName
from slogate.fileio import atomic_write
from slogate.report.snapshot import render_snapshot_markdown

DEFAULT_OUT = Path("evidence/snapshots")


@dataclass(frozen=True, slots=True)
class SnapshotOutcome:
    document: dict[str, Any]
    json_path: Path | None
    md_path: Path | None


def snapshot_day(until: datetime | None, now: datetime) -> date:
    """The day a snapshot is about: the last instant before `until`, else today (UTC)."""
    if until is not None:
        return (until.astimezone(UTC) - timedelta(microseconds=1)).date()
    return now.astimezone(UTC).date()


def snapshot_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def run_snapshot(
    loaded: LoadedConfig,
    inputs: Sequence[str | Path],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    engine: EngineName = "duckdb",
    out_dir: Path | None = DEFAULT_OUT,
    now: datetime | None = None,
    progress: bool = False,
    day: date | None = None,
    spark_session: Any = None,
) -> SnapshotOutcome:
    """Compute the snapshot; write JSON and Markdown into `out_dir` unless None.

    `now` stamps `generated` (inject it for reproducible output); `day` names the
    file (default: the day before `until`, else the day of `now`).
    """
    now = now or datetime.now(UTC)
    cfg = loaded.config
    catalog = cfg.catalog()
    slos = cfg.core_slos()
    classes = {s.id: classify(s, catalog, client_relay=cfg.ingest.client_relay) for s in slos}
    fields, numeric = slo_fields(slos)
    with open_events(
        inputs,
        catalog,
        since=since,
        until=until,
        engine=engine,
        progress=progress,
        fields=fields,
        numeric_fields=numeric,
        spark_session=spark_session,
    ) as table:
        evaluated = table.evaluate(slos)
        stats = table.stats.as_dict()
    results = {sid: (rs[0] if rs else None) for sid, rs in evaluated.items()}
    day = day or snapshot_day(until, now)
    document = build_snapshot(
        slos=slos,
        classifications=classes,
        results=results,
        inputs=stats,
        config_sha256=loaded.sha256,
        tool_version=__version__,
        engine=engine,
        generated=now,
        day=day,
        since=since,
        until=until,
    )
    if out_dir is None:
        return SnapshotOutcome(document, None, None)
    json_path = out_dir / snapshot_filename(day, "json")
    md_path = out_dir / snapshot_filename(day, "md")
    atomic_write(json_path, snapshot_json(document))
    atomic_write(md_path, render_snapshot_markdown(document))
    return SnapshotOutcome(document, json_path, md_path)
