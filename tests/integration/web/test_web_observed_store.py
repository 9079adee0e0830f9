"""The dashboard's store wrapper keeps the ingest fast path and counts what was stored."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from slogate.config import load_config
from slogate.store.segments import SegmentStore
from slogate.web import SLOAggregates
from slogate.web.wiring import ObservedStore
from tests.integration.web.helpers import EXAMPLE_CONFIG, NOW, demo_events


def _lines(events: Sequence[Mapping[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in events)


async def _drained(store: ObservedStore) -> None:
    for _ in range(500):
        if store.pending_batches == 0:
            return
        await asyncio.sleep(0.01)  # polling a condition, with a bound
    raise AssertionError("the dashboard never counted the stored batches")


def _stored(data: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for f in sorted((data / "events").rglob("*.jsonl"))
        for line in f.read_bytes().splitlines()
        if line
    ]


def test_append_lines_writes_once_and_the_dashboard_counts_the_same_events(
    tmp_path: Path,
) -> None:
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    events = list(demo_events(NOW - timedelta(hours=1), NOW, per_minute=20, seed=3))
    via_lines, via_events = SLOAggregates(slos), SLOAggregates(slos)
    via_events.observe(events)

    async def run() -> int:
        inner = SegmentStore(tmp_path, instance="t1", clock=lambda: datetime.now(UTC))
        await inner.open()
        store = ObservedStore(inner, via_lines, lambda: NOW)
        try:
            await store.append_lines(_lines(events[:100]), events[0]["ts"])
            await store.append_lines(_lines(events[100:]), events[100]["ts"])
            await _drained(store)
            return store.accepted_total
        finally:
            await inner.close()

    assert asyncio.run(run()) == len(events)
    assert _stored(tmp_path) == [orjson.loads(orjson.dumps(e)) for e in events]
    start = NOW - timedelta(hours=2)
    for slo in slos:
        assert via_lines.result(slo.id, start, NOW, now=NOW) == via_events.result(
            slo.id, start, NOW, now=NOW
        )


class _EventsOnlyStore:
    """An `EventStore` with no serialise-once path (as a third-party store may be)."""

    def __init__(self) -> None:
        self.batches: list[list[Mapping[str, Any]]] = []

    async def append(self, events: Sequence[Mapping[str, Any]]) -> None:
        self.batches.append(list(events))


def test_append_lines_over_a_store_without_it_hands_over_the_events() -> None:
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    events = list(demo_events(NOW - timedelta(minutes=10), NOW, per_minute=10, seed=4))
    inner = _EventsOnlyStore()
    store = ObservedStore(inner, SLOAggregates(slos), lambda: NOW)

    async def run() -> None:
        await store.append_lines(_lines(events), events[0]["ts"])
        await _drained(store)

    asyncio.run(run())
    assert inner.batches == [[orjson.loads(orjson.dumps(e)) for e in events]]
    assert store.accepted_total == len(events)
