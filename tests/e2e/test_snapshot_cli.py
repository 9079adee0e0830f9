"""`slogate snapshot` end to end, in a subprocess, on the example configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_CONFIG, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "engine"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "slogate", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _example_events(path: Path) -> Path:
    lines = [
        {"ts": "2026-11-20T10:00:00Z", "event": "hydra_preset_eval_success", "duration_ms": 900},
        {"ts": "2026-11-20T10:00:01Z", "event": "hydra_preset_eval_success", "duration_ms": 2500},
        {"ts": "2026-11-20T10:00:02Z", "event": "hydra_preset_eval_error", "error": "x"},
        {"ts": "2026-11-20T10:00:03Z", "event": "video_proxy_response", "status": 200},
        {"ts": "2026-11-20T10:00:04Z", "event": "auth_permission_denied", "path": "/a"},
        {"ts": "2026-11-20T23:59:59Z", "event": "socket_connect", "session_id": "s"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    path.write_text(text)
    return path


def test_snapshot_writes_files_and_prints_json(tmp_path: Path) -> None:
    events = _example_events(tmp_path / "app.log")
    out = tmp_path / "evidence"
    proc = _run(
        "snapshot",
        "--config",
        str(EXAMPLE_CONFIG),
        "--input",
        str(events),
        "--since",
        "2026-11-20",
        "--until",
        "2026-11-21T00:00:00Z",
        "--out",
        str(out),
        "--json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["date"] == "2026-11-20"
    assert doc["window"] == {
        "since": "2026-11-20T00:00:00.000Z",
        "until": "2026-11-21T00:00:00.000Z",
    }
    assert doc["inputs"]["events"] == 6
    assert doc["inputs"]["rejected"] == {"invalid_json": 1}
    assert len(doc["slos"]) == 15
    by_id = {s["id"]: s for s in doc["slos"]}
    # 2 successes, 1 error -> 2/3; p95 of [900, 2500] is 2500 (rank 2) > 2000
    assert by_id["hydra_preset_load_success"]["value"] == 2 / 3
    assert by_id["hydra_first_frame_p95"]["value"] == 2500.0
    assert by_id["hydra_first_frame_p95"]["met"] is False
    assert by_id["auth_permission_incidents"]["value"] == 1.0
    assert by_id["socket_connection_lifecycle"]["counts"]["socket_connect"] == 1
    assert doc["classification"]["measurable_now"] == 12
    written = json.loads((out / "slo_snapshot_2026_11_20.json").read_text())
    assert written == doc
    md = (out / "slo_snapshot_2026_11_20.md").read_text()
    assert "hydra_first_frame_p95" in md and "**MISSED**" in md
    assert not list(out.glob(".*.tmp"))


def test_snapshot_summary_line_and_date_option(tmp_path: Path) -> None:
    events = _example_events(tmp_path / "events.jsonl")
    proc = _run(
        "snapshot",
        "-c",
        str(EXAMPLE_CONFIG),
        "-i",
        str(events),
        "--date",
        "2026-11-20",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "evidence" / "snapshots" / "slo_snapshot_2026_11_20.json"
    assert target.exists()
    assert "15 SLOs" in proc.stdout


def test_missing_input_exits_2(tmp_path: Path) -> None:
    proc = _run(
        "snapshot", "-c", str(EXAMPLE_CONFIG), "-i", str(tmp_path / "nope.jsonl"), cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "nope.jsonl" in proc.stderr and "no such file" in proc.stderr
    assert not (tmp_path / "evidence").exists()


def test_bad_time_and_bad_engine_exit_2(tmp_path: Path) -> None:
    events = _example_events(tmp_path / "e.jsonl")
    bad_time = _run(
        "snapshot",
        "-c",
        str(EXAMPLE_CONFIG),
        "-i",
        str(events),
        "--since",
        "yesterday",
        cwd=tmp_path,
    )
    assert bad_time.returncode == 2 and "--since" in bad_time.stderr
    bad_engine = _run(
        "snapshot", "-c", str(EXAMPLE_CONFIG), "-i", str(events), "--engine", "oracle", cwd=tmp_path
    )
    assert bad_engine.returncode == 2 and "engine" in bad_engine.stderr


def test_bad_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("version: 1\nslos: 3\n")
    events = _example_events(tmp_path / "e.jsonl")
    proc = _run("snapshot", "-c", str(config), "-i", str(events), cwd=tmp_path)
    assert proc.returncode == 2
    assert "bad.yaml" in proc.stderr


def test_garbage_only_input_still_writes_a_snapshot(tmp_path: Path) -> None:
    proc = _run(
        "snapshot",
        "-c",
        str(EXAMPLE_CONFIG),
        "-i",
        str(FIXTURES / "garbage.log"),
        "--json",
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["inputs"]["events"] == 0
    assert doc["inputs"]["rejected"] == {"invalid_json": 5, "unreadable_line": 1}
    assert all(s["met"] is None or s["kind"] == "count" for s in doc["slos"])


def test_spark_without_java_is_a_clear_engine_error(tmp_path: Path) -> None:
    events = _example_events(tmp_path / "e.jsonl")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env.update(PATH=str(tmp_path / "no-bin"), PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, "-m", "slogate", "snapshot", "-c", str(EXAMPLE_CONFIG)]
        + ["-i", str(events), "--engine", "spark"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    assert "Java runtime" in proc.stderr
    assert not (tmp_path / "evidence").exists()
