"""`slogate demo` tells the whole story: week, snapshot, window, evidence, gates,
score and packet; `--serve` then serves the dashboard over it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.ingest.ingest_server import free_port


@pytest.fixture(scope="module")
def story(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo-story") / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "slogate", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc, out


def test_default_demo_is_the_seed_teams_window(story) -> None:
    proc, out = story
    assert proc.returncode == 0, proc.stderr[-3000:]
    window = json.loads((out / "evidence" / "windows" / "window_2026_02_19.json").read_text())
    assert window["start"] == "2026-02-19" and window["days"] == 7
    assert window["days_completed"] == 7
    assert window["status"] in ("complete", "failed")
    daily = sorted(p.name for p in (out / "evidence" / "snapshots").glob("slo_snapshot_*.json"))
    for day in range(19, 26):
        assert f"slo_snapshot_2026_02_{day}.json" in daily


def test_demo_writes_a_packet_whose_decision_it_prints(story) -> None:
    proc, out = story
    packet_json = out / "evidence" / "packets" / "readiness_packet_2026_02_26.json"
    packet = json.loads(packet_json.read_text())
    verdict = packet["decision"]["verdict"]
    assert verdict in ("GO", "NO-GO")
    assert f"decision: {verdict}" in proc.stdout
    assert str(packet_json) in proc.stdout
    gate_ids = [g["id"] for g in packet["gates"]]
    assert gate_ids[:7] == [f"G{i}" for i in range(1, 8)]
    # Every gate status printed is the packet's.
    for gate in packet["gates"]:
        assert re.search(rf"{gate['id']}\s+.\s+{gate['status']}", proc.stdout), gate["id"]
    # The drill recorded inside the window is what G6 rests on.
    drills = sorted(p.name for p in (out / "evidence" / "drills").glob("*.json"))
    assert "drill_2026_02_24_rollback.json" in drills
    assert (out / "evidence" / "packets" / "readiness_packet_2026_02_26.html").exists()
    assert (out / "evidence" / "packets" / "readiness_packet_2026_02_26.md").exists()


def test_demo_serve_prints_the_dashboard_url(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "slogate", "demo", "--out", str(tmp_path / "out"), "--days", "1",
         "--serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = None
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"dashboard: (http://\S+)", line)
            url = match.group(1) if match else None
        assert url == f"http://127.0.0.1:{port}/"
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(url, timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        assert answer is not None and answer.status_code == 200
        assert "NO-GO" in answer.text or "GO" in answer.text
    finally:
        proc.terminate()
        proc.wait(20)
