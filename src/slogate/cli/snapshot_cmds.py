"""`slogate snapshot`: compute every SLO over event logs and write the dated snapshot."""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from slogate.errors import UsageError

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
    app.command("snapshot")(snapshot)


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO 8601 date or date-time; a date means 00:00 UTC; no offset means UTC."""
    if text is None:
        return None
    raw = text.strip()
    try:
        if _DATE_ONLY.match(raw):
            d = date.fromisoformat(raw)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        ts = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError as exc:
        raise UsageError(
            f"{option}: {text!r} is not an ISO 8601 date or time (e.g. 2026-11-20T00:00:00Z)"
        ) from exc
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def snapshot(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
    inputs: list[str] = typer.Option(
        ...,
        "--input",
        "-i",
        help="Event log file, directory or glob (JSONL, app logs, .gz, Parquet); repeatable.",
    ),
    since: str | None = typer.Option(None, "--since", help="Start (inclusive), ISO 8601, UTC."),
    until: str | None = typer.Option(None, "--until", help="End (exclusive), ISO 8601, UTC."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark."),
    out: Path = typer.Option(
        Path("evidence/snapshots"), "--out", "-o", help="Folder for slo_snapshot_*.json/.md."
    ),
    as_json: bool = typer.Option(False, "--json", help="Also print the snapshot JSON."),
    day: str | None = typer.Option(
        None,
        "--date",
        help="Date the snapshot is for (default: the day before --until, else today).",
    ),
) -> None:
    """Compute every SLO over the inputs and write slo_snapshot_YYYY_MM_DD.json and .md."""
    from slogate.config import load_config
    from slogate.services.snapshot import run_snapshot, snapshot_json

    if engine not in ("duckdb", "spark"):
        raise UsageError(f"--engine: unknown engine {engine!r}; choose duckdb or spark")
    since_ts = parse_time(since, "--since")
    until_ts = parse_time(until, "--until")
    if since_ts and until_ts and since_ts >= until_ts:
        raise UsageError("--since must be before --until")
    day_value = None
    if day is not None:
        try:
            day_value = date.fromisoformat(day)
        except ValueError as exc:
            raise UsageError(f"--date: {day!r} is not a date (YYYY-MM-DD)") from exc
    loaded = load_config(config)
    outcome = run_snapshot(
        loaded,
        inputs,
        since=since_ts,
        until=until_ts,
        engine=engine,  # type: ignore[arg-type]
        out_dir=out,
        progress=sys.stderr.isatty() and not as_json,
        day=day_value,
    )
    doc = outcome.document
    if as_json:
        sys.stdout.write(snapshot_json(doc))
        return
    s = doc["summary"]
    typer.echo(
        f"{outcome.json_path}: {s['slos']} SLOs: {s['met']} met, {s['missed']} missed, "
        f"{s['no_data']} without data or target; {doc['inputs']['events']} events"
    )
