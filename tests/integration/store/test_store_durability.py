"""Durability under SIGKILL and a full disk, with real processes and a real tmpfs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pytest

from slogate.errors import StoreError
from slogate.store import SegmentStore

CHILD = Path(__file__).with_name("store_child.py")


def _all_lines(data: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted((data / "events").glob("date=*/*.jsonl")):
        raw = path.read_bytes()
        assert raw == b"" or raw.endswith(b"\n"), f"half-written line in {path}"
        lines.extend(raw.splitlines())
    return lines


def _ids(data: Path) -> set[str]:
    return {orjson.loads(line)["event_id"] for line in _all_lines(data)}


def _read_acks(proc: subprocess.Popen[str], want: int, acked: set[str]) -> None:
    deadline = time.monotonic() + 60
    got = 0
    assert proc.stdout is not None
    while got < want:
        assert time.monotonic() < deadline, "child too slow to acknowledge"
        line = proc.stdout.readline()
        assert line, f"child exited early: {proc.poll()}"
        if line.startswith("ACK ") and line.endswith("\n"):
            acked.update(line.split()[1:])
            got += 1


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_event(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acked: set[str] = set()
    reports = []
    for _cycle in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), "load", str(data), "k9"],
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        try:
            assert proc.stdout is not None
            ready = proc.stdout.readline()
            assert ready.startswith("READY "), ready
            reports.append(json.loads(ready[6:]))
            _read_acks(proc, 120, acked)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        # Lines printed before the kill were acknowledged too (fsync came first).
        for line in rest.splitlines(keepends=True):
            if line.startswith("ACK ") and line.endswith("\n"):
                acked.update(line.split()[1:])
        # Every restart continues with a fresh segment after the old ones.
        if len(reports) > 1:
            assert reports[-1]["next_seq"] > reports[-2]["next_seq"]

    async def recover():
        store = SegmentStore(data, instance="k9", clock=lambda: datetime.now(UTC))
        report = await store.open()
        await store.close()
        return report

    asyncio.run(recover())
    stored = _ids(data)
    assert len(acked) >= 3 * 120 * 25
    assert acked - stored == set()
    # A reader finds nothing corrupt: DuckDB parses every line strictly.
    lines = _all_lines(data)
    glob = str(data / "events" / "date=*" / "*.jsonl")
    con = duckdb.connect()
    count = con.execute(
        f"SELECT count(*) FROM read_json('{glob}', format='newline_delimited', "
        "columns={'event_id': 'VARCHAR', 'event': 'VARCHAR', 'pad': 'VARCHAR'})"
    ).fetchall()[0][0]
    con.close()
    assert count == len(lines) == len(stored)


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_full_disk_raises_store_error_writes_nothing_half_and_recovers(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "1m"):
        _full_disk_with_rlimit(tmp_path)
        return
    try:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (600 * 1024))
        data = disk / "data"

        async def run() -> tuple[list[str], str, bool, bool]:
            store = SegmentStore(data, instance="full", clock=lambda: datetime.now(UTC))
            await store.open()
            acked: list[str] = []
            error = ""
            for i in range(1000):
                ids = [f"b{i}-{k}" for k in range(10)]
                try:
                    await store.append(
                        [{"event": "fill", "event_id": e, "pad": "p" * 700} for e in ids]
                    )
                except StoreError as exc:
                    error = str(exc)
                    break
                acked.extend(ids)
            writable_when_full = store.is_writable()
            with pytest.raises(StoreError):
                await store.append_dead_letters([{"reason": "x", "raw": "r" * 4000}] * 200)
            # The disk is still full: the next attempt fails the same clean way.
            with pytest.raises(StoreError):
                await store.append([{"event": "fill", "event_id": "retry", "pad": "p" * 9000}])
            assert {orjson.loads(x)["event_id"] for x in _all_lines(data)} == set(acked)
            filler.unlink()  # space comes back
            writable_after = store.is_writable()
            await store.append([{"event": "fill", "event_id": "after-recovery"}])
            acked.append("after-recovery")
            assert store.is_writable()
            await store.close()
            return acked, error, writable_when_full, writable_after

        acked, error, writable_when_full, writable_after = asyncio.run(run())
        assert "No space left on device" in error
        assert writable_when_full is False
        assert writable_after is True
        assert len(acked) > 100
        assert _ids(data) == set(acked)  # exactly the acknowledged events, nothing partial
        for path in (data / "deadletter").glob("date=*/*.jsonl"):
            raw = path.read_bytes()
            assert raw == b"" or raw.endswith(b"\n")
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _full_disk_with_rlimit(tmp_path: Path) -> None:
    """Fallback where mounting is not allowed: RLIMIT_FSIZE makes writes fail (EFBIG)."""
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, str(CHILD), "fsize", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "write failed" in result["error"]
    assert len(result["acked"]) > 10
    assert _ids(data) == set(result["acked"])


def test_file_size_limit_fails_like_a_full_disk_and_recovers(tmp_path: Path) -> None:
    """The same guarantees where a write fails with EFBIG (RLIMIT_FSIZE, in a child)."""
    _full_disk_with_rlimit(tmp_path)
