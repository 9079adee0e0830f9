"""SegmentStore on real files: group commit, rotation, torn-line recovery, locking."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from slogate.errors import StoreError
from slogate.store import SegmentStore
from slogate.store.layout import parse_segment_name


class StepClock:
    """A clock the test moves by hand (the store reads it at write time)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _segments(data: Path, kind: str = "events") -> list[Path]:
    return sorted((data / kind).glob("date=*/*.jsonl"))


def _lines(data: Path, kind: str = "events") -> list[dict]:
    out: list[dict] = []
    for path in _segments(data, kind):
        raw = path.read_bytes()
        assert raw == b"" or raw.endswith(b"\n"), f"{path} ends mid-line"
        out.extend(orjson.loads(line) for line in raw.splitlines())
    return out


def _store(data: Path, clock=None, **kw) -> SegmentStore:
    return SegmentStore(data, instance="t1", clock=clock or (lambda: datetime.now(UTC)), **kw)


def test_group_commit_covers_concurrent_appends_with_fewer_fsyncs(tmp_path: Path) -> None:
    fsyncs: list[float] = []

    async def run() -> tuple[int, int]:
        store = _store(tmp_path)
        store.on_fsync = fsyncs.append
        await store.open()

        async def client(c: int) -> None:
            for r in range(10):
                await store.append(
                    [{"event": "e", "client": c, "req": r, "k": k} for k in range(3)]
                )

        await asyncio.gather(*(client(c) for c in range(40)))
        groups = store.commit_groups
        await store.close()
        return groups, len(fsyncs)

    groups, n_fsync = asyncio.run(run())
    appends = 40 * 10
    assert 0 < groups < appends
    assert 0 < n_fsync < appends
    assert all(s >= 0 for s in fsyncs)
    lines = _lines(tmp_path)
    assert len(lines) == appends * 3
    got = {(e["client"], e["req"], e["k"]) for e in lines}
    assert len(got) == appends * 3
    # Each client's requests are in order: a batch is never split or reordered.
    for c in range(40):
        reqs = [e["req"] for e in lines if e["client"] == c and e["k"] == 0]
        assert reqs == list(range(10))


def test_rotates_by_size_and_keeps_every_line(tmp_path: Path) -> None:
    async def run() -> int:
        store = _store(tmp_path, max_segment_bytes=2_000)
        await store.open()
        for i in range(100):
            await store.append([{"event": "e", "i": i, "pad": "x" * 80}])
        count = store.segment_count()
        await store.close()
        return count

    count = asyncio.run(run())
    segs = _segments(tmp_path)
    assert count == len(segs) > 4
    assert [parse_segment_name(p.name).seq for p in segs] == list(range(1, len(segs) + 1))
    assert all(p.stat().st_size <= 2_000 for p in segs)
    assert [e["i"] for e in _lines(tmp_path)] == list(range(100))


def test_batch_larger_than_a_segment_stays_whole(tmp_path: Path) -> None:
    async def run() -> None:
        store = _store(tmp_path, max_segment_bytes=500)
        await store.open()
        await store.append([{"event": "small"}])
        await store.append([{"event": "big", "i": i, "pad": "y" * 50} for i in range(30)])
        await store.close()

    asyncio.run(run())
    segs = _segments(tmp_path)
    assert len(segs) == 2
    assert [e["event"] for e in _lines(tmp_path)].count("big") == 30
    assert all(orjson.loads(x)["event"] == "big" for x in segs[1].read_bytes().splitlines())


def test_rotates_at_utc_midnight(tmp_path: Path) -> None:
    clock = StepClock(datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC))

    async def run() -> None:
        store = _store(tmp_path, clock=clock)
        await store.open()
        await store.append([{"event": "before"}])
        clock.now += timedelta(seconds=2)
        await store.append([{"event": "after"}])
        await store.close()

    asyncio.run(run())
    segs = _segments(tmp_path)
    assert [p.parent.name for p in segs] == ["date=2026-11-26", "date=2026-11-27"]
    assert [p.name for p in segs] == ["t1-000001.jsonl", "t1-000002.jsonl"]
    assert [orjson.loads(p.read_bytes())["event"] for p in segs] == ["before", "after"]


def test_partition_follows_the_server_stamped_ts_around_midnight(tmp_path: Path) -> None:
    clock = StepClock(datetime(2026, 11, 27, 0, 0, 0, 1000, tzinfo=UTC))

    async def run() -> None:
        store = _store(tmp_path, clock=clock)
        await store.open()
        # Stamped just before midnight, written just after: stays in its own day.
        late = store.append([{"ts": "2026-11-26T23:59:59.999Z", "event": "late"}])
        new = store.append([{"ts": "2026-11-27T00:00:00.000Z", "event": "new"}])
        odd = store.append([{"ts": "1970-01-01T00:00:00.000Z", "event": "odd"}])
        await asyncio.gather(new, late, odd)
        await store.close()

    asyncio.run(run())
    by_day = {
        p.parent.name: sorted(orjson.loads(x)["event"] for x in p.read_bytes().splitlines())
        for p in _segments(tmp_path)
    }
    # A ts more than a day from the clock does not open an old partition.
    assert by_day == {"date=2026-11-26": ["late"], "date=2026-11-27": ["new", "odd"]}


def test_torn_last_line_is_truncated_and_counted_on_open(tmp_path: Path) -> None:
    async def write(events: list[dict]) -> None:
        store = _store(tmp_path)
        await store.open()
        await store.append(events)
        await store.close()

    asyncio.run(write([{"event": "a", "i": i} for i in range(5)]))
    seg = _segments(tmp_path)[0]
    good = seg.stat().st_size
    # A crash in the middle of a write leaves a partial line (power loss, no fsync).
    with open(seg, "ab") as fh:
        fh.write(b'{"event": "torn", "i": 99, "pa')

    async def reopen():
        store = _store(tmp_path)
        report = await store.open()
        await store.append([{"event": "after-crash"}])
        await store.close()
        return report

    report = asyncio.run(reopen())
    assert report.torn_lines == 1
    assert report.truncated_bytes == len(b'{"event": "torn", "i": 99, "pa')
    assert report.truncated_files == (str(seg),)
    assert report.next_seq == 2
    assert seg.stat().st_size == good
    events = [e["event"] for e in _lines(tmp_path)]
    assert events == ["a"] * 5 + ["after-crash"]
    # Opening a healthy store again finds nothing to repair.
    assert asyncio.run(reopen()).torn_lines == 0


def test_torn_only_line_leaves_an_empty_file_that_is_cleaned(tmp_path: Path) -> None:
    part = tmp_path / "events" / "date=2026-11-26"
    part.mkdir(parents=True)
    (part / "t1-000007.jsonl").write_bytes(b'{"event": "half')

    async def run():
        store = _store(tmp_path)
        report = await store.open()
        await store.append([{"event": "x"}])
        await store.close()
        return report

    report = asyncio.run(run())
    assert report.torn_lines == 1 and report.next_seq == 8 and report.removed_empty == 1
    assert not (part / "t1-000007.jsonl").exists()
    assert any(p.name == "t1-000008.jsonl" for p in _segments(tmp_path))


def test_second_process_with_same_instance_is_refused(tmp_path: Path) -> None:
    async def run() -> None:
        first = _store(tmp_path)
        await first.open()
        try:
            with pytest.raises(StoreError, match="already writing"):
                await _store(tmp_path).open()
            other = SegmentStore(tmp_path, instance="t2", clock=lambda: datetime.now(UTC))
            await other.open()
            await other.append([{"event": "from-t2"}])
            await other.close()
        finally:
            await first.close()
        # Once closed, the instance can open again.
        again = _store(tmp_path)
        await again.open()
        await again.close()

    asyncio.run(run())
    assert [e["event"] for e in _lines(tmp_path)] == ["from-t2"]


def test_closed_store_refuses_writes_and_is_not_writable(tmp_path: Path) -> None:
    async def run() -> None:
        store = _store(tmp_path)
        with pytest.raises(StoreError):
            await store.append([{"event": "x"}])
        await store.open()
        assert store.is_writable()
        await store.close()
        assert not store.is_writable()
        with pytest.raises(StoreError, match="closed"):
            await store.append([{"event": "x"}])

    asyncio.run(run())


def test_dead_letters_are_shaped_and_scrubbed(tmp_path: Path) -> None:
    clock = StepClock(datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC))

    async def run() -> None:
        store = _store(tmp_path, clock=clock)
        await store.open()
        await store.append_dead_letters(
            [
                {
                    "reason": "unknown_event",
                    "index": 3,
                    "event": {"event": "x", "email": "jane@example.com", "token": "abc"},
                    "source": "ingest",
                },
                {"reason": "malformed_json", "raw": "{bad json from 198.51.100.7 " + "z" * 9000},
            ]
        )
        await store.close()

    asyncio.run(run())
    first, second = _lines(tmp_path, "deadletter")
    assert first == {
        "received_at": "2026-11-26T12:00:00.123Z",
        "reason": "unknown_event",
        "index": 3,
        "event": {"event": "x", "email": "[email]", "token": "[Filtered]"},
        "raw": None,
        "source": "ingest",
    }
    assert second["event"] is None and second["index"] is None
    assert "198.51.100.7" not in second["raw"] and "[ipv4]" in second["raw"]
    assert len(second["raw"]) < 4200


def test_cancelled_caller_does_not_break_the_committer(tmp_path: Path) -> None:
    async def run() -> None:
        store = _store(tmp_path)
        await store.open()
        tasks = [asyncio.create_task(store.append([{"event": "c", "i": i}])) for i in range(20)]
        await asyncio.sleep(0)
        tasks[5].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.append([{"event": "after"}])
        await store.close()

    asyncio.run(run())
    events = _lines(tmp_path)
    assert events[-1]["event"] == "after"
    assert {e["i"] for e in events if e["event"] == "c"} >= set(range(20)) - {5}


def test_files_are_created_with_sane_permissions(tmp_path: Path) -> None:
    async def run() -> None:
        store = _store(tmp_path)
        await store.open()
        await store.append([{"event": "x"}])
        await store.close()

    asyncio.run(run())
    mode = os.stat(_segments(tmp_path)[0]).st_mode & 0o777
    assert mode & 0o002 == 0


def test_append_lines_writes_what_append_writes_and_close_stops_the_writers(
    tmp_path: Path,
) -> None:
    import threading

    events = [{"ts": "2026-02-19T10:00:00.000Z", "event": "e", "k": k} for k in range(5)]

    async def run() -> None:
        store = _store(tmp_path / "lines")
        await store.open()
        writers = {t.name for t in threading.enumerate() if t.name.startswith("slogate-")}
        assert {"slogate-store-writer", "slogate-deadletter-writer"} <= writers
        data = b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in events)
        await asyncio.gather(*(store.append_lines(data, events[0]["ts"]) for _ in range(20)))
        with pytest.raises(ValueError):
            await store.append_lines(b'{"cut": tru', events[0]["ts"])
        await store.close()
        alive = {t.name for t in threading.enumerate()}
        assert "slogate-store-writer" not in alive
        assert "slogate-deadletter-writer" not in alive

        reference = _store(tmp_path / "dicts")
        await reference.open()
        for _ in range(20):
            await reference.append(events)
        await reference.close()

    asyncio.run(run())
    assert _lines(tmp_path / "lines") == _lines(tmp_path / "dicts") == events * 20
    partitions = [[p.parent.name for p in _segments(tmp_path / d)] for d in ("lines", "dicts")]
    assert partitions[0] == partitions[1]


def test_concurrent_groups_rotate_by_size_and_keep_every_line(tmp_path: Path) -> None:
    # Groups of many batches, written with one writev per segment, still rotate at
    # the size cap between batches and lose or reorder nothing.
    async def run() -> int:
        store = _store(tmp_path, max_segment_bytes=2_000)
        await store.open()

        async def client(c: int) -> None:
            for r in range(10):
                await store.append([{"event": "e", "c": c, "r": r, "pad": "x" * 80}])

        await asyncio.gather(*(client(c) for c in range(40)))
        groups = store.commit_groups
        await store.close()
        return groups

    groups = asyncio.run(run())
    assert groups < 400  # batches were grouped
    segs = _segments(tmp_path)
    assert len(segs) > 10
    assert all(p.stat().st_size <= 2_000 for p in segs)
    lines = _lines(tmp_path)  # in sequence order
    assert sorted((e["c"], e["r"]) for e in lines) == [(c, r) for c in range(40) for r in range(10)]
    for c in range(40):
        assert [e["r"] for e in lines if e["c"] == c] == list(range(10))


def _paced_load(tmp_path: Path, interval: float, *, fsync: bool = True) -> tuple[int, float]:
    """Six callers, four batches each, every caller waiting for its answer before it
    sends again: (rounds, seconds)."""

    async def run() -> tuple[int, float]:
        store = _store(tmp_path, commit_interval=interval, fsync=fsync)
        await store.open()

        async def client(c: int) -> None:
            for r in range(4):
                await store.append([{"event": "e", "c": c, "r": r}])

        started = time.monotonic()
        await asyncio.gather(*(client(c) for c in range(6)))
        elapsed = time.monotonic() - started
        groups = store.commit_groups
        await store.close()
        return groups, elapsed

    groups, elapsed = asyncio.run(run())
    lines = _lines(tmp_path)
    assert sorted((e["c"], e["r"]) for e in lines) == [(c, r) for c in range(6) for r in range(4)]
    for c in range(6):
        assert [e["r"] for e in lines if e["c"] == c] == list(range(4))
    return groups, elapsed


def test_commit_interval_paces_rounds_shared_by_several_callers(tmp_path: Path) -> None:
    # Once a round serves more than one caller, the next starts no sooner than the
    # interval after it: every caller is back in the queue by then, so a round carries
    # a batch of (nearly) every caller. A caller has at most one batch per round, so
    # 24 batches need at least 4 rounds; at least two of them are paced.
    interval = 0.1
    groups, elapsed = _paced_load(tmp_path, interval)
    assert 4 <= groups <= 8
    assert elapsed >= 2 * interval


def test_commit_interval_zero_does_not_pace(tmp_path: Path) -> None:
    groups, elapsed = _paced_load(tmp_path, 0.0, fsync=False)
    assert groups >= 4
    # Paced at 0.5 s, the two paced rounds alone would take 1 s (the test above):
    # a wide margin, so that a slow host cannot fail this.
    assert elapsed < 1.0


def test_commit_interval_never_delays_a_lone_caller(tmp_path: Path) -> None:
    # One caller at a time: each round serves one batch, so none is paced. Paced,
    # these five rounds would take at least 2 s.
    interval = 0.5

    async def run() -> tuple[int, float]:
        store = _store(tmp_path, commit_interval=interval, fsync=False)
        await store.open()
        started = time.monotonic()
        for r in range(5):
            await store.append([{"event": "e", "r": r}])
        elapsed = time.monotonic() - started
        groups = store.commit_groups
        await store.close()
        return groups, elapsed

    groups, elapsed = asyncio.run(run())
    assert groups == 5
    assert elapsed < interval
    assert [e["r"] for e in _lines(tmp_path)] == list(range(5))


@pytest.mark.parametrize("interval", [-0.001, 1.5])
def test_commit_interval_out_of_range_is_refused(tmp_path: Path, interval: float) -> None:
    with pytest.raises(ValueError, match="commit_interval"):
        _store(tmp_path, commit_interval=interval)
