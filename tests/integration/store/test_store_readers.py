"""The snapshot readers take what the store and the emitter write: JSONL segments,
compacted Parquet (never counted twice) and emitter lines, with nothing rejected."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slogate.config.load import load_config
from slogate.emitter import SlogateHandler, emit
from slogate.engine import open_events
from slogate.store import SegmentStore
from slogate.store.compact import compact_store
from tests.conftest import EXAMPLE_CONFIG

START = datetime(2026, 11, 20, 23, 59, 0, tzinfo=UTC)


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_readers_count_store_parquet_and_emitter_lines_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    clock_now = [START]

    async def fill() -> None:
        store = SegmentStore(
            data, instance="r1", clock=lambda: clock_now[0], max_segment_bytes=4_000
        )
        await store.open()
        for i in range(120):
            clock_now[0] = START + timedelta(seconds=i)  # crosses midnight
            await store.append(
                [
                    {
                        "ts": _iso(clock_now[0]),
                        "event": "queue_cmd_sent",
                        "source": "client-relay",
                        "v": 1,
                        "event_id": f"e-{i}",
                        "session_id": f"s-{i % 7}",
                        "cmd_type": "play",
                        "cmd_id": f"c-{i}",
                    }
                ]
            )
        await store.append_dead_letters([{"reason": "unknown_event", "event": {"event": "x"}}])
        await store.close()

    asyncio.run(fill())
    segments = sorted((data / "events").glob("date=*/*.jsonl"))
    assert len(segments) > 3
    kept = segments[0].read_bytes()
    compact_store(data)
    # As if compaction crashed after the rename: X.parquet and X.jsonl side by side.
    segments[0].write_bytes(kept)

    log_file = tmp_path / "app" / "events.jsonl"
    handler = SlogateHandler(log_file)
    log = logging.getLogger("test.store.readers")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    for i in range(30):
        emit("queue_cmd_ack", logger=log, cmd_id=f"c-{i}", cmd_type="play", session_id="s-1")
    handler.close()

    catalog = load_config(EXAMPLE_CONFIG).config.catalog()
    table = open_events([data, log_file], catalog)
    try:
        stats = table.stats
    finally:
        table.close()
    assert stats.rejected == {}
    assert stats.duplicates == 0
    assert stats.events == 120 + 30
