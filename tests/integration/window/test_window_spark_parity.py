"""The window document is identical on DuckDB and Spark (kept small: 2 days)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from slogate.config import load_config_text
from slogate.services.window import run_window
from tests.conftest import require
from tests.integration.window.synth import CONFIG, DAY, START, Scenario, write_logs

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PROVENANCE = {"generated", "engine", "inputs", "snapshots"}


def test_duckdb_and_spark_give_the_same_window(tmp_path: Path) -> None:
    from slogate.engine.spark import java_available

    require(java_available(), "Spark needs a Java runtime")
    t0 = START + timedelta(hours=10, minutes=2)
    scenario = Scenario(
        days=2,
        outages=[(t0, t0 + timedelta(minutes=90), 0.5)],
        failures_per_day={1: 20},
        permission_denied_at=[START + DAY + timedelta(hours=5)],
    )
    logs = write_logs(scenario, tmp_path / "events.jsonl")
    loaded = load_config_text(CONFIG.replace("version: 1", "version: 1\nwindow: {days: 2}"))
    now = START + 2 * DAY
    docs = {
        engine: run_window(
            loaded, [logs], start=START.date(), engine=engine, out_dir=None, now=now
        ).document
        for engine in ("duckdb", "spark")
    }
    duck, spark = ({k: v for k, v in d.items() if k not in PROVENANCE} for d in docs.values())
    assert duck["incident_counts"] == {"sev1": 1, "sev2": 2, "sev3": 0}
    assert spark == duck
