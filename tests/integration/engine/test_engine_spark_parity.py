"""The same corpus on DuckDB and on real Spark (local mode) gives identical
results for every SLI kind: whole range, buckets, ranges and exclusions.

The corpus has quantile ties, buckets where some SLOs have no events, keys
answered exactly at the grace deadline, and numbers as JSON numbers and text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from slogate.core import sli as ref
from slogate.core.result import Exclusion
from slogate.engine import open_events
from tests.integration.engine.corpus import CATALOG, SLOS, T0, grid_events, write_jsonl

pytestmark = [pytest.mark.spark, pytest.mark.slow]

CASES: list[dict[str, Any]] = [
    {},
    {"bucket": timedelta(days=1)},
    {"bucket": timedelta(minutes=5)},
    {"until": datetime(2026, 11, 21, 1, tzinfo=UTC), "bucket": timedelta(hours=1)},
    {
        "since": T0 + timedelta(minutes=20),
        "exclusions": (
            Exclusion(T0 + timedelta(minutes=30), T0 + timedelta(hours=1), None, "deploy"),
            Exclusion(T0, T0 + timedelta(days=1), frozenset({"p95"}), "p95 only"),
        ),
    },
]


def test_duckdb_and_spark_agree_on_every_kind(tmp_path: Path, spark: Any) -> None:
    events = grid_events()
    path = write_jsonl(tmp_path / "events.jsonl", events, epoch_ms=True)
    with (
        open_events([path], CATALOG, engine="duckdb") as duck,
        open_events([path], CATALOG, engine="spark", spark_session=spark) as spk,
    ):
        assert duck.stats == spk.stats
        for case in CASES:
            on_duck = duck.evaluate(SLOS, **case)
            on_spark = spk.evaluate(SLOS, **case)
            for slo in SLOS:
                assert on_spark[slo.id] == on_duck[slo.id], (slo.id, case)
            # Not vacuous: most SLOs have data in each case, and the engines
            # also agree with the reference.
            with_data = [s for s in SLOS if any(r.samples for r in on_duck[s.id])]
            assert len(with_data) >= len(SLOS) - 1, case
            until_ref = case.get("until") or max(e["ts"] for e in events)
            want = ref.evaluate_all(SLOS, events, until_ref=until_ref, **case)
            assert on_duck == want, case


def test_spark_empty_input_gives_no_data(tmp_path: Path, spark: Any) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with open_events([path], CATALOG, engine="spark", spark_session=spark) as spk:
        results = spk.evaluate(SLOS)
        buckets = spk.evaluate(SLOS, bucket=timedelta(days=1))
    for slo in SLOS:
        assert results[slo.id] == [ref.empty_result(slo)]
        assert buckets[slo.id] == []


def test_snapshot_service_on_spark_matches_duckdb(tmp_path: Path, spark: Any) -> None:
    from slogate.config import load_config
    from slogate.services.snapshot import run_snapshot

    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "engine"
    loaded = load_config(fixtures / "slogate.yaml")
    now = datetime(2026, 11, 21, tzinfo=UTC)
    inputs = [fixtures / "basic.jsonl"]
    duck = run_snapshot(loaded, inputs, out_dir=None, now=now).document
    spk = run_snapshot(
        loaded, inputs, engine="spark", out_dir=tmp_path, now=now, spark_session=spark
    ).document
    assert spk.pop("engine") == "spark" and duck.pop("engine") == "duckdb"
    assert spk == duck
    assert {s["id"]: s["value"] for s in spk["slos"]}["page_p95"] == 1000.0
    # No --until: the snapshot is dated by `now`.
    assert (tmp_path / "slo_snapshot_2026_11_21.json").exists()


def test_canonical_parquet_on_spark_matches_duckdb(tmp_path: Path, spark: Any) -> None:
    from slogate.config import load_config
    from tests.integration.engine.test_engine_hand_computed import FIXTURES, canonical_parquet

    cfg = load_config(FIXTURES / "slogate.yaml").config
    path = canonical_parquet(tmp_path / "basic.parquet")
    slos = cfg.core_slos()
    with (
        open_events([path], cfg.catalog()) as duck,
        open_events([path], cfg.catalog(), engine="spark", spark_session=spark) as spk,
    ):
        assert spk.stats == duck.stats and duck.stats.duplicates == 1
        for bucket in (None, timedelta(hours=1)):
            assert spk.evaluate(slos, bucket=bucket) == duck.evaluate(slos, bucket=bucket)
        assert duck.evaluate(slos)["page_p95"][0].value == 1000.0
