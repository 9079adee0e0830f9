"""`slogate demo` end to end: a real process generates the week, snapshots it
with the engine, and prints the 15 SLOs with the seed team's classification."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from slogate.config import load_config
from slogate.demo import Garbage, Scenario, generate_week
from tests.conftest import EXAMPLE_CONFIG, require

SNAPSHOT_SERVICE = importlib.util.find_spec("slogate.services.snapshot") is not None


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    require(SNAPSHOT_SERVICE, "slogate.services.snapshot (engine issue) is not there yet")
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    env = dict(os.environ, COLUMNS="160")
    proc = subprocess.run(
        [sys.executable, "-m", "slogate", "demo", "--out", str(out), "--start", "2026-02-02",
         "--seed", "7"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    return proc, out


def test_demo_prints_every_slo_and_the_classification(demo_run) -> None:
    proc, _ = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    ids = [slo.id for slo in load_config(EXAMPLE_CONFIG).config.core_slos()]
    assert len(ids) == 15
    for slo_id in ids:
        assert slo_id in proc.stdout, slo_id
    assert (
        "12 measurable_now, 0 instrumented_not_computable, 2 instrumented_needs_soak, 1 blocked"
        in proc.stdout
    )


def test_demo_writes_the_week_and_the_snapshot(demo_run) -> None:
    proc, out = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    days = [date(2026, 2, 2) + timedelta(days=i) for i in range(7)]
    for day in days:
        part = out / "events" / f"date={day.isoformat()}"
        assert (part / "relay-000001.jsonl").stat().st_size > 0
        assert (part / "app-000001.log").stat().st_size > 0
    assert (out / "slogate.yaml").read_text() == EXAMPLE_CONFIG.read_text()
    snapshots = sorted((out / "snapshot").glob("slo_snapshot_*.json"))
    assert len(snapshots) == 1 and snapshots[0].with_suffix(".md").exists()
    assert snapshots[0].name in proc.stdout
    doc = json.loads(snapshots[0].read_text())
    assert doc["classification"] == {
        "measurable_now": 12,
        "instrumented_not_computable": 0,
        "instrumented_needs_soak": 2,
        "blocked": 1,
    }
    assert len(doc["slos"]) == 15
    by_id = {s["id"]: s for s in doc["slos"]}
    # The declared garbage and retried batches are counted, never silently lost.
    garbage = Garbage()
    assert sum(doc["inputs"]["rejected"].values()) == garbage.rejected
    assert doc["inputs"]["duplicates"] == garbage.duplicates
    # A realistic week: near-target numbers, the injected faults visible.
    assert by_id["auth_token_refresh_success"]["status"] == "blocked"
    assert by_id["auth_permission_incidents"]["value"] == 3
    assert by_id["queue_duplicate_lost_commands"]["value"] == 5
    for slo_id in ("hydra_first_frame_p95", "streaming_first_frame_p95", "queue_reconnect_p95"):
        slo = by_id[slo_id]
        assert 0.5 * slo["target"]["value"] < slo["value"] <= slo["target"]["value"], slo
    week = generate_week(Scenario(start=datetime(2026, 2, 2, tzinfo=UTC), seed=7))
    assert by_id["hydra_crash_free_sessions"]["counts"]["started"] == week.stats["sessions"]


def test_demo_is_reproducible(demo_run, tmp_path: Path) -> None:
    proc, out = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = tmp_path / "again"
    second = subprocess.run(
        [sys.executable, "-m", "slogate", "demo", "--out", str(again), "--start", "2026-02-02",
         "--seed", "7"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr[-3000:]
    first_files = sorted(p.relative_to(out) for p in (out / "events").rglob("*") if p.is_file())
    second_files = sorted(
        p.relative_to(again) for p in (again / "events").rglob("*") if p.is_file()
    )
    assert first_files == second_files
    for rel in first_files:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_demo_outage_shows_in_the_snapshot(tmp_path: Path) -> None:
    require(SNAPSHOT_SERVICE, "slogate.services.snapshot (engine issue) is not there yet")
    out = tmp_path / "outage"
    proc = subprocess.run(
        [sys.executable, "-m", "slogate", "demo", "--out", str(out), "--start", "2026-02-02",
         "--days", "1", "--outage", "2026-02-02T00:00/1d/0.5/streaming_video_init_success"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(next((out / "snapshot").glob("*.json")).read_text())
    video = {s["id"]: s for s in doc["slos"]}["streaming_video_init_success"]
    assert 0.4 < video["value"] < 0.6 and video["met"] is False
    bad = subprocess.run(
        [sys.executable, "-m", "slogate", "demo", "--out", str(out), "--outage", "tomorrow"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("slogate: error: --outage:") and bad.stderr.count("\n") == 1
