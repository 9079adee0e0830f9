"""The window, alerts, export and import commands through the real CLI process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, require
from tests.integration.window.synth import CONFIG, START, Scenario, write_logs

DAY = timedelta(days=1)


def slogate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slogate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("window-cli")
    t0 = START + 2 * DAY + timedelta(hours=10)
    write_logs(Scenario(outages=[(t0, t0 + timedelta(minutes=90), 0.5)]), root / "events.jsonl")
    (root / "slogate.yaml").write_text(CONFIG)
    return root


def test_window_writes_report_and_snapshots(outage: Path) -> None:
    done = slogate(
        "window", "--config", "slogate.yaml", "--input", "events.jsonl",
        "--start", "2026-03-02", "--now", "2026-03-09T06:00:00Z", "--out", "ev", cwd=outage,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "window 2026-03-02 (7 days): failed, 7/7 days complete" in done.stdout
    assert "[FAIL] no_sev1" in done.stdout
    assert "INC-1 Sev-1 hydra_preset_load_success 2026-03-04T10:00:00Z" in done.stdout
    doc = json.loads((outage / "ev/windows/window_2026_03_02.json").read_text())
    assert doc["status"] == "failed" and doc["incident_counts"]["sev1"] == 1
    assert (outage / "ev/windows/window_2026_03_02.md").read_text().count("INC-1") >= 2
    snaps = sorted((outage / "ev/snapshots").glob("slo_snapshot_*.json"))
    assert len(snaps) == 7
    assert len(list((outage / "ev/snapshots").glob("slo_snapshot_*.md"))) == 7
    # no temporary files left behind by the atomic writes
    assert not [p for p in (outage / "ev").rglob(".*") if p.is_file()]


def test_window_json_in_progress(outage: Path) -> None:
    done = slogate(
        "window", "--config", "slogate.yaml", "--input", "events.jsonl", "--start",
        "2026-03-02", "--now", "2026-03-05T12:00:00Z", "--out", "ev2", "--json", cwd=outage,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "in_progress" and doc["days_completed"] == 3
    assert doc["tool_version"] and len(doc["config_sha256"]) == 64


def test_alerts_backtest_lists_caught_and_missed(outage: Path) -> None:
    done = slogate(
        "alerts", "backtest", "--config", "slogate.yaml", "--input", "events.jsonl",
        "--start", "2026-03-02", "--now", "2026-03-09T00:00:00Z", cwd=outage,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ALERT-1 page hydra_preset_load_success 2026-03-04T10:")
    assert "    caught INC-1 Sev-1 2026-03-04T10:00:00Z .. 2026-03-04T11:30:00Z" in lines
    assert "incidents no alert caught: 0" in lines


def test_bad_start_is_a_usage_error(outage: Path) -> None:
    done = slogate(
        "window", "--config", "slogate.yaml", "--input", "events.jsonl", "--start", "March",
        cwd=outage,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "slogate: error: --start must be YYYY-MM-DD, got 'March'"


def test_missing_input_is_an_input_error(outage: Path) -> None:
    done = slogate(
        "window", "--config", "slogate.yaml", "--input", "nowhere.jsonl", "--start",
        "2026-03-02", "--now", "2026-03-09T00:00:00Z", cwd=outage,
    )  # fmt: skip
    assert done.returncode == 2
    assert "nowhere.jsonl" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_exports_and_import(tmp_path: Path) -> None:
    cfg = str(EXAMPLE_CONFIG)
    done = slogate("export", "prometheus", "--config", cfg, "-o", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    promtool = shutil.which("promtool")
    require(promtool is not None, "promtool (Debian package prometheus) is not installed")
    assert promtool is not None
    check = subprocess.run(
        [promtool, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    done = slogate("export", "grafana", "--config", cfg, cwd=tmp_path)
    assert done.returncode == 0 and json.loads(done.stdout)["panels"]
    done = slogate("export", "openslo", "--config", cfg, "-o", "openslo.yaml", cwd=tmp_path)
    assert done.returncode == 0
    assert "skipped auth_permission_incidents" in done.stderr
    done = slogate("import", "openslo", "openslo.yaml", "-o", "imported.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = slogate("validate", "--config", "imported.yaml", cwd=tmp_path)
    assert done.returncode == 0 and "12 SLOs" in done.stdout
