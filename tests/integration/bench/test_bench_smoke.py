"""The benchmark scripts run end to end on tiny sizes and print their ratios.

No timing assertions (timing goals live in bench/ and docs/benchmarks.md); the
checks are that every measured command succeeds and that the naive peer, slogate
on JSONL and slogate on Parquet compute the same values.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _run(script: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_snapshot_bench_quick(tmp_path: Path) -> None:
    out = _run("snapshot.py", "--quick", "--sizes", "2k,4k", "--workdir", str(tmp_path))
    assert "| 4k | naive |" in out and "| 4k | floor |" in out
    assert "| 4k | jsonl |" in out and "| 4k | parquet |" in out
    for goal in ("naive / slogate at 4k", "slogate / floor at 4k", "time 4k / time 2k",
                 "JSONL / Parquet at 4k", "slogate peak RSS at 4k"):  # fmt: skip
        assert goal in out
    assert "FAILED" not in out, out
    assert "MISMATCH" not in out, out
    assert "values: identical across slogate JSONL / slogate Parquet / naive peer" in out


def test_window_bench_quick(tmp_path: Path) -> None:
    out = _run("window.py", "--quick", "--per-day", "2k", "--workdir", str(tmp_path))
    assert "| snapshot |" in out
    for layout in ("partitioned", "logs"):
        assert f"| per_day[{layout}] |" in out and f"| window[{layout}] |" in out
        assert f"per-day snapshots / window ({layout}; at one snapshot's cost:" in out
    assert "FAILED" not in out, out


def test_ingest_bench_quick() -> None:
    # A real server and load generator for one second per phase: every request of
    # every phase answered 200, and the stage costs measured along the server's path.
    out = _run("ingest.py", "--duration", "1")
    for run in ("floor", "ingest", "paced_80pct"):
        row = next(line for line in out.splitlines() if line.startswith(f"| {run} |"))
        assert row.rstrip().endswith("|") and "'200'" in row, row
        assert all(f"'{code}'" not in row for code in ("400", "413", "429", "500", "503")), row
    assert "ingest / floor (requests):" in out
    # The group-commit columns: the ingest phases commit, and each commit serves
    # at least one request; the floor writes nothing.
    header = next(line for line in out.splitlines() if line.startswith("| run |"))
    cols = [c.strip() for c in header.strip("|").split("|")]
    assert "commits/s" in cols and "req/commit" in cols, header
    for run, commits in (("floor", False), ("ingest", True), ("paced_80pct", True)):
        row = next(line for line in out.splitlines() if line.startswith(f"| {run} |"))
        values = [c.strip() for c in row.strip().strip("|").split("|")]
        cells = dict(zip(cols, values, strict=False))
        assert (float(cells["commits/s"]) > 0) is commits, row
        if commits:
            assert float(cells["req/commit"]) >= 1, row
    for stage in ("parse_us", "validate_us", "scrub_us", "serialise_us", "write_us", "fsync_us"):
        assert f'"{stage}":' in out, stage
