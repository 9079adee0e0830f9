"""The whole window on real DuckDB over synthetic logs with known ground truth."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from slogate.config import load_config_text
from slogate.services.window import run_window
from tests.integration.window.synth import CONFIG, DAY, START, Scenario, write_logs

NOW = START + 7 * DAY + timedelta(hours=1)
PRESET = "hydra_preset_load_success"


def _run(tmp_path: Path, scenario: Scenario, config: str = CONFIG, now=NOW, **kw):
    logs = write_logs(scenario, tmp_path / "events.jsonl")
    loaded = load_config_text(config, file="slogate.yaml")
    return run_window(
        loaded, [logs], start=START.date(), out_dir=tmp_path / "evidence", now=now, **kw
    )


def test_clean_week(tmp_path: Path) -> None:
    outcome = _run(tmp_path, Scenario())
    doc = outcome.document
    assert doc["status"] == "complete"
    assert [c["passed"] for c in doc["completion_criteria"]] == [True] * 5
    assert doc["incidents"] == [] and doc["alerts"]["firings"] == []
    assert doc["consecutive_miss_pillars"] == []
    assert doc["budgets"]["pillars"]["hydra"]["burned_fraction"] == 0.0
    # files: the window JSON + Markdown, and one snapshot per day, all parseable
    on_disk = json.loads(outcome.json_path.read_text())
    assert on_disk["status"] == "complete" and on_disk["config_sha256"]
    assert outcome.md_path.read_text().startswith("# Validation window from 2026-03-02")
    names = sorted(p.name for p in (tmp_path / "evidence" / "snapshots").glob("*.json"))
    assert names == [f"slo_snapshot_2026_03_0{d}.json" for d in range(2, 9)]
    snap = json.loads((tmp_path / "evidence/snapshots/slo_snapshot_2026_03_04.json").read_text())
    preset = next(s for s in snap["slos"] if s["id"] == PRESET)
    assert snap["date"] == "2026-03-04" and preset["total"] == 2880 and preset["met"] is True


def test_ninety_minute_outage_is_one_sev1_within_five_minutes(tmp_path: Path) -> None:
    t0 = START + 2 * DAY + timedelta(hours=10, minutes=2)
    t1 = t0 + timedelta(minutes=90)
    doc = _run(tmp_path, Scenario(outages=[(t0, t1, 0.5)])).document
    sev1 = [i for i in doc["incidents"] if i["severity"] == 1]
    assert len(sev1) == 1
    inc = sev1[0]
    assert inc["slo"] == PRESET and inc["pillar"] == "hydra"
    start = _parse(inc["start"])
    end = _parse(inc["end"])
    assert abs(start - t0) <= timedelta(minutes=5)
    assert abs(end - t1) <= timedelta(minutes=5)
    assert inc["worst_value"] == pytest.approx(0.5)
    assert doc["status"] == "failed"
    assert next(c for c in doc["completion_criteria"] if c["name"] == "no_sev1")["passed"] is False
    # the page alert caught it
    assert any(
        f["severity"] == "page" and inc["id"] in f["caught"] for f in doc["alerts"]["firings"]
    )
    assert doc["alerts"]["missed_incidents"] == []


def test_thirty_minute_outage_is_one_sev2(tmp_path: Path) -> None:
    t0 = START + 4 * DAY + timedelta(hours=15)
    doc = _run(tmp_path, Scenario(outages=[(t0, t0 + timedelta(minutes=30), 0.5)])).document
    # 30 of 2880 evaluations fail that day: 98.96 % < 99.5 %
    assert [(i["severity"], i["slo"], i["start"]) for i in doc["incidents"]] == [
        (2, PRESET, "2026-03-06T00:00:00Z")
    ]
    day = next(s for s in doc["slos"] if s["id"] == PRESET)["daily"][4]
    assert day["status"] == "missed" and day["value"] == pytest.approx(2850 / 2880)


def test_day_without_traffic_for_one_slo(tmp_path: Path) -> None:
    doc = _run(tmp_path, Scenario(proxy_silent_days={3})).document
    proxy = next(s for s in doc["slos"] if s["id"] == "streaming_proxy_413_rate")
    assert proxy["no_data_days"] == ["2026-03-05"]
    assert proxy["daily"][3]["status"] == "no_data" and proxy["daily"][3]["met"] is None
    assert doc["incidents"] == [] and doc["status"] == "complete"
    snap = json.loads((tmp_path / "evidence/snapshots/slo_snapshot_2026_03_05.json").read_text())
    row = next(s for s in snap["slos"] if s["id"] == "streaming_proxy_413_rate")
    assert row["samples"] == 0 and row["met"] is None


def test_pillar_burning_thirty_percent_fails_g7(tmp_path: Path) -> None:
    # 130 failures out of 20160 against 0.5 %: 130 / (0.005 * 20160 * 30/7) = 0.301
    doc = _run(tmp_path, Scenario(failures_per_day={1: 130})).document
    hydra = doc["budgets"]["pillars"]["hydra"]
    assert hydra["burned_fraction"] == pytest.approx(130 / (0.005 * 20160 * 30 / 7), rel=1e-6)
    assert hydra["worst_slo"] == PRESET and hydra["exceeds"] is True
    assert doc["budgets"]["exceeding_pillars"] == ["hydra"]
    assert doc["consecutive_miss_pillars"] == []


def test_two_consecutive_missed_days_in_one_pillar(tmp_path: Path) -> None:
    doc = _run(tmp_path, Scenario(failures_per_day={2: 40, 3: 40})).document
    assert doc["consecutive_miss_pillars"] == ["hydra"]
    assert doc["consecutive_misses"]["hydra"] == [["2026-03-04", "2026-03-05"]]
    assert sorted(i["start"][:10] for i in doc["incidents"] if i["severity"] == 2) == [
        "2026-03-04",
        "2026-03-05",
    ]


def test_in_progress_window_is_never_failed(tmp_path: Path) -> None:
    t0 = START + DAY + timedelta(hours=10)
    now = START + 3 * DAY + timedelta(hours=6)
    outcome = _run(tmp_path, Scenario(outages=[(t0, t0 + timedelta(minutes=90), 0.5)]), now=now)
    doc = outcome.document
    assert doc["status"] == "in_progress" and doc["days_completed"] == 3
    assert doc["incident_counts"]["sev1"] == 1
    assert len(outcome.snapshot_paths) == 3
    preset = next(s for s in doc["slos"] if s["id"] == PRESET)
    assert len(preset["daily"]) == 4 and preset["daily"][-1]["partial"] is True


def test_maintenance_is_excluded_everywhere_and_reported(tmp_path: Path) -> None:
    t0 = START + 2 * DAY + timedelta(hours=10)
    config = (
        CONFIG
        + """
maintenance:
  - start: 2026-03-04T09:00:00Z
    end: 2026-03-04T13:00:00Z
    pillars: [hydra]
    reason: planned database migration
"""
    )
    doc = _run(
        tmp_path, Scenario(outages=[(t0, t0 + timedelta(minutes=90), 0.5)]), config=config
    ).document
    assert doc["incidents"] == []
    assert doc["exclusions"] == [
        {
            "start": "2026-03-04T09:00:00Z",
            "end": "2026-03-04T13:00:00Z",
            "slos": ["hydra_first_frame_p95", PRESET],
            "reason": "planned database migration",
        }
    ]
    preset = next(s for s in doc["slos"] if s["id"] == PRESET)
    assert preset["daily"][2]["total"] == 2880 - 480
    assert doc["budgets"]["slos"][PRESET]["bad"] == 0
    assert doc["budgets"]["slos"][PRESET]["observed_days"] == pytest.approx(7 - 4 / 24)


def test_low_traffic_day_is_not_a_miss(tmp_path: Path) -> None:
    config = CONFIG.replace("version: 1", "version: 1\nwindow: {min_events_per_day: 5000}")
    doc = _run(tmp_path, Scenario(failures_per_day={2: 40})).document
    assert doc["incident_counts"]["sev2"] == 1
    logs = tmp_path / "events.jsonl"
    doc = run_window(
        load_config_text(config), [logs], start=START.date(), out_dir=None, now=NOW
    ).document
    preset = next(s for s in doc["slos"] if s["id"] == PRESET)
    assert preset["daily"][2]["status"] == "low_traffic"
    assert doc["incident_counts"]["sev2"] == 0


def test_permission_denied_is_an_incident_not_a_budget(tmp_path: Path) -> None:
    at = START + 5 * DAY + timedelta(hours=3)
    doc = _run(tmp_path, Scenario(permission_denied_at=[at])).document
    assert [(i["severity"], i["slo"]) for i in doc["incidents"]] == [
        (2, "auth_permission_incidents")
    ]
    assert doc["budgets"]["zero_target_slos"] == ["auth_permission_incidents"]
    assert doc["budgets"]["slos"]["auth_permission_incidents"]["bad"] == 1


def _parse(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_window_not_started_yet(tmp_path: Path) -> None:
    outcome = _run(tmp_path, Scenario(days=1), now=START - timedelta(hours=2))
    doc = outcome.document
    assert doc["status"] == "in_progress" and doc["days_completed"] == 0
    assert outcome.snapshot_paths == [] and doc["incidents"] == []
    assert doc["completion_criteria"][0]["reason"] == "0 of 7 days complete so far"
    assert all(s["daily"] == [] for s in doc["slos"])
