"""Compaction of closed segments into canonical Parquet: content, atomicity, idempotence."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from slogate.errors import StoreError
from slogate.store import SegmentStore
from slogate.store.compact import CANONICAL_SCHEMA, compact_store


def _write_segment(data: Path, name: str, lines: list[bytes], day: str = "2026-11-26") -> Path:
    part = data / "events" / f"date={day}"
    part.mkdir(parents=True, exist_ok=True)
    path = part / name
    path.write_bytes(b"".join(lines))
    return path


def _line(obj: dict) -> bytes:
    return orjson.dumps(obj) + b"\n"


def test_closed_segment_becomes_canonical_parquet(tmp_path: Path) -> None:
    seg = _write_segment(
        tmp_path,
        "a-000001.jsonl",
        [
            _line(
                {
                    "ts": "2026-11-26T10:00:00.123Z",
                    "event": "queue_cmd_ack",
                    "source": "server",
                    "v": 2,
                    "event_id": "e-1",
                    "session_id": "s-1",
                    "user_id": "u-1",
                    "room_id": "r-1",
                    "client_ts": 1764151200000,
                    "cmd_id": "c-9",
                    "nested": {"a": [1, 2.5, None, True]},
                }
            ),
            _line({"timestamp": 1764151200, "name": "session_start", "session_id": 42}),
            _line({"time": 1764151200500, "type": "x", "v": "3"}),
            _line({"ts": "not a time", "event": "bad_ts"}),
        ],
    )
    report = compact_store(tmp_path)
    target = seg.with_suffix(".parquet")
    assert not seg.exists() and target.exists()
    assert [r.rows for r in report.compacted] == [4]
    table = pq.read_table(target)
    assert table.schema.equals(CANONICAL_SCHEMA)
    rows = table.to_pylist()
    first = rows[0]
    assert first["ts"] == datetime(2026, 11, 26, 10, 0, 0, 123000, tzinfo=UTC)
    assert (first["event"], first["source"], first["v"]) == ("queue_cmd_ack", "server", 2)
    assert (first["event_id"], first["session_id"], first["user_id"], first["room_id"]) == (
        "e-1",
        "s-1",
        "u-1",
        "r-1",
    )
    assert json.loads(first["attrs"]) == {
        "client_ts": 1764151200000,
        "cmd_id": "c-9",
        "nested": {"a": [1, 2.5, None, True]},
    }
    assert rows[1]["ts"] == datetime(2025, 11, 26, 10, 0, tzinfo=UTC)
    assert (rows[1]["event"], rows[1]["session_id"], rows[1]["attrs"]) == (
        "session_start",
        "42",
        "{}",
    )
    assert rows[2]["ts"] == datetime(2025, 11, 26, 10, 0, 0, 500000, tzinfo=UTC)
    assert (rows[2]["event"], rows[2]["v"]) == ("x", 3)
    # A time that cannot be read is kept in attrs, never dropped silently.
    assert rows[3]["ts"] is None and json.loads(rows[3]["attrs"]) == {"ts": "not a time"}


def test_compaction_is_idempotent(tmp_path: Path) -> None:
    seg = _write_segment(
        tmp_path, "a-000001.jsonl", [_line({"event": "e", "i": i}) for i in range(50)]
    )
    first = compact_store(tmp_path)
    target = seg.with_suffix(".parquet")
    before = target.read_bytes()
    second = compact_store(tmp_path)
    assert len(first.compacted) == 1
    assert second.compacted == [] and second.finished == [] and second.corrupt == []
    assert target.read_bytes() == before


def test_open_segment_of_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    async def run() -> tuple[list[str], list[str]]:
        store = SegmentStore(
            tmp_path, instance="live", clock=lambda: datetime.now(UTC), max_segment_bytes=300
        )
        await store.open()
        for i in range(20):
            await store.append([{"event": "e", "i": i, "pad": "z" * 40}])
        report = compact_store(tmp_path)
        # The writer keeps going after a compaction, into its open segment.
        await store.append([{"event": "e", "i": 20}])
        await store.close()
        return [r.jsonl for r in report.compacted], report.skipped_open

    compacted, skipped = asyncio.run(run())
    assert len(skipped) == 1 and skipped[0] not in compacted
    assert len(compacted) >= 3
    assert Path(skipped[0]).exists()
    # Once the writer stopped, its last segment is closed too.
    report = compact_store(tmp_path)
    assert set(skipped) <= {r.jsonl for r in report.compacted}
    rows = pq.read_table(sorted((tmp_path / "events").glob("date=*/*.parquet"))).to_pylist()
    assert sorted(json.loads(r["attrs"])["i"] for r in rows) == list(range(21))


def test_crash_between_rename_and_unlink_is_finished_without_rewriting(tmp_path: Path) -> None:
    seg = _write_segment(
        tmp_path, "a-000001.jsonl", [_line({"event": "e", "i": i}) for i in range(5)]
    )
    backup = seg.read_bytes()
    compact_store(tmp_path)
    seg.write_bytes(backup)  # as if the crash came before the JSONL was removed
    target = seg.with_suffix(".parquet")
    mtime = target.stat().st_mtime_ns
    report = compact_store(tmp_path)
    assert report.finished == [str(seg)] and report.compacted == []
    assert not seg.exists() and target.stat().st_mtime_ns == mtime


def test_stale_parquet_with_other_rows_is_rebuilt(tmp_path: Path) -> None:
    seg = _write_segment(tmp_path, "a-000001.jsonl", [_line({"event": "e", "i": 1})])
    compact_store(tmp_path)
    _write_segment(tmp_path, "a-000001.jsonl", [_line({"event": "e", "i": i}) for i in range(3)])
    report = compact_store(tmp_path)
    assert [r.rows for r in report.compacted] == [3]
    assert pq.read_table(seg.with_suffix(".parquet")).num_rows == 3


def test_leftover_temp_file_is_removed_and_torn_tail_skipped(tmp_path: Path) -> None:
    seg = _write_segment(tmp_path, "a-000001.jsonl", [_line({"event": "ok"}), b'{"event": "to'])
    tmp = seg.parent / ".a-000002.parquet.tmp"
    tmp.write_bytes(b"half a parquet file")
    report = compact_store(tmp_path)
    assert report.removed_temp == [str(tmp)] and not tmp.exists()
    assert [(r.rows, r.torn_tail) for r in report.compacted] == [(1, True)]


def test_corrupt_line_keeps_the_segment(tmp_path: Path) -> None:
    seg = _write_segment(
        tmp_path, "a-000001.jsonl", [_line({"event": "ok"}), b"{nope\n", _line({"event": "ok"})]
    )
    report = compact_store(tmp_path)
    assert report.compacted == []
    assert report.corrupt and report.corrupt[0].startswith(f"{seg}:2:")
    assert seg.exists() and not seg.with_suffix(".parquet").exists()


def test_failed_write_leaves_jsonl_and_no_partial_parquet(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        _failed_write_with_rlimit(tmp_path)  # mounting not permitted: EFBIG instead
        return
    try:
        rows = [_line({"event": "e", "i": i, "u": f"{i:x}" * 20}) for i in range(1500)]
        seg = _write_segment(disk, "a-000001.jsonl", rows)
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # fill what is left of the disk
            with pytest.raises(OSError):
                while True:
                    os.write(fd, b"\0" * 4096)
        finally:
            os.close(fd)
        with pytest.raises(StoreError, match="compaction failed"):
            compact_store(disk)
        assert seg.exists() and seg.read_bytes() == b"".join(rows)
        assert list(seg.parent.glob("*.parquet*")) == []
        assert list(seg.parent.glob(".*")) == []
        filler.unlink()
        report = compact_store(disk)
        assert [r.rows for r in report.compacted] == [1500]
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no event store"):
        compact_store(tmp_path / "nothing")


def test_periodic_compaction_runs_next_to_a_live_writer(tmp_path: Path) -> None:
    from slogate.store.compact import compact_periodically

    async def run() -> list:
        store = SegmentStore(
            tmp_path, instance="live", clock=lambda: datetime.now(UTC), max_segment_bytes=200
        )
        await store.open()
        reports: list = []
        task = asyncio.create_task(
            compact_periodically(tmp_path, interval_s=0.02, on_report=reports.append)
        )
        for i in range(30):
            await store.append([{"event": "e", "i": i, "pad": "q" * 60}])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not any(r.compacted for r in reports):
            assert loop.time() < deadline, "no compaction happened"
            await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()
        return reports

    reports = asyncio.run(run())
    assert all(r.corrupt == [] for r in reports)
    assert list((tmp_path / "events").glob("date=*/*.parquet"))
    # Every event is in exactly one place: a Parquet row or a JSONL line.
    rows = sum(pq.read_table(p).num_rows for p in (tmp_path / "events").glob("date=*/*.parquet"))
    lines = sum(
        len(p.read_bytes().splitlines()) for p in (tmp_path / "events").glob("date=*/*.jsonl")
    )
    assert rows + lines == 30


_RLIMIT_COMPACT = """
import resource, signal, sys
from pathlib import Path
from slogate.errors import StoreError
from slogate.store.compact import compact_store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2048, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    compact_store(Path(sys.argv[1]))
except StoreError as exc:
    print("StoreError:", exc)
"""


def _failed_write_with_rlimit(tmp_path: Path) -> None:
    rows = [_line({"event": "e", "i": i, "u": f"{i:x}" * 20}) for i in range(1500)]
    seg = _write_segment(tmp_path, "a-000001.jsonl", rows)
    done = subprocess.run(
        [sys.executable, "-c", _RLIMIT_COMPACT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "StoreError:" in done.stdout and "compaction failed" in done.stdout
    assert seg.read_bytes() == b"".join(rows)
    assert list(seg.parent.glob("*.parquet*")) == [] and list(seg.parent.glob(".*")) == []
    report = compact_store(tmp_path)  # the limit is gone: it completes
    assert [r.rows for r in report.compacted] == [1500]


def test_failed_write_under_a_file_size_limit_keeps_the_segment(tmp_path: Path) -> None:
    _failed_write_with_rlimit(tmp_path)
