"""The runbook's daily task, done by the server: once a UTC day is over, write its
snapshot to the evidence folder, so a validation window accrues by itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from slogate.config.load import LoadedConfig
from slogate.core.snapshot import snapshot_filename
from slogate.errors import SlogateError

log = logging.getLogger("slogate.services.daily")


def store_days(data_dir: Path) -> list[date]:
    """Days that have a partition under DIR/events/."""
    days: list[date] = []
    root = Path(data_dir) / "events"
    if not root.is_dir():
        return days
    for part in root.glob("date=*"):
        try:
            days.append(date.fromisoformat(part.name.removeprefix("date=")))
        except ValueError:
            continue
    return sorted(days)


def days_to_snapshot(
    available: list[date],
    already: set[date],
    *,
    now: datetime,
    settle: timedelta,
    lookback_days: int,
) -> list[date]:
    """Finished days (midnight + `settle` has passed) with data and no snapshot yet,
    within the last `lookback_days` (older gaps are for `slogate window` to fill)."""
    oldest = (now - timedelta(days=lookback_days)).date()
    out = []
    for day in available:
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        if day >= oldest and now >= end + settle and day not in already:
            out.append(day)
    return out


def write_missing_daily_snapshots(
    loaded: LoadedConfig,
    data_dir: Path,
    evidence_dir: Path,
    *,
    now: datetime,
    settle: timedelta = timedelta(minutes=5),
    lookback_days: int = 7,
) -> list[Path]:
    """Write the snapshot of every finished day that lacks one; returns the paths."""
    from slogate.services.snapshot import run_snapshot

    out_dir = Path(evidence_dir) / "snapshots"
    already = {d for d in store_days(data_dir) if (out_dir / snapshot_filename(d, "json")).exists()}
    written: list[Path] = []
    todo = days_to_snapshot(
        store_days(data_dir), already, now=now, settle=settle, lookback_days=lookback_days
    )
    for day in todo:
        since = datetime.combine(day, time(), tzinfo=UTC)
        outcome = run_snapshot(
            loaded,
            [Path(data_dir) / "events" / f"date={day.isoformat()}"],
            since=since,
            until=since + timedelta(days=1),
            out_dir=out_dir,
            now=now,
            day=day,
        )
        if outcome.json_path is not None:
            written.append(outcome.json_path)
    return written


async def run_daily_snapshots(
    loaded: LoadedConfig,
    data_dir: Path,
    evidence_dir: Path,
    *,
    clock: Callable[[], datetime],
    interval_seconds: float = 300,
    lookback_days: int = 7,
) -> None:
    """Check every `interval_seconds` until cancelled; a failure is logged and retried."""
    while True:
        try:
            paths = await asyncio.to_thread(
                write_missing_daily_snapshots,
                loaded,
                data_dir,
                evidence_dir,
                now=clock(),
                lookback_days=lookback_days,
            )
            for path in paths:
                log.info("daily snapshot written: %s", path)
        except SlogateError as exc:
            log.warning("daily snapshot failed: %s", exc.one_line())
        await asyncio.sleep(interval_seconds)
