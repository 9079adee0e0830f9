"""The engine's faster paths give exactly the numbers of the plain ones.

- canonical Parquet whose scalar fields are promoted to typed top-level columns
  (`slogate.store.compact.promote_attrs`), alone and mixed with attrs-only
  Parquet and JSON lines: the hand-computed expectations still hold;
- deduplication from a hash of event_id: repeated ids across files and formats
  are found and counted exactly, the earliest copy kept;
- the event column is an ENUM of the catalog: SLOs naming events outside the
  catalog (planned events) still evaluate;
- loading only the fields the SLOs read (`slo_fields`) changes no number.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slogate.config import load_config
from slogate.config.load import LoadedConfig
from slogate.engine import open_events, slo_fields
from slogate.store.compact import ATTRS_KEYS_KEY, PROMOTED_KEY, canonical_table, promote_attrs
from tests.integration.engine.test_engine_hand_computed import (
    BASIC,
    CANONICAL_SCHEMA,
    DAY,
    FIXTURES,
    _canonical_rows,
    _check_expected,
)


@pytest.fixture(scope="module")
def loaded() -> LoadedConfig:
    return load_config(FIXTURES / "slogate.yaml")


def _attrs_only(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA)


def _promoted(rows: list[dict[str, Any]]) -> pa.Table:
    return promote_attrs(_attrs_only(rows))


def _run(loaded: LoadedConfig, inputs: list[Any], **kw: Any) -> tuple[Any, dict]:
    cfg = loaded.config
    with open_events(inputs, cfg.catalog(), **kw) as table:
        return table.stats, table.evaluate(cfg.core_slos())


def test_promote_attrs_moves_scalar_fields_of_one_type() -> None:
    rows = [
        {"ts": DAY, "event": "a", "attrs": json.dumps({"s": "x", "i": 1, "f": 1.5, "m": 1})},
        {"ts": DAY, "event": "a", "attrs": json.dumps({"s": "y", "f": 2.0, "m": "1", "b": True})},
        {"ts": DAY, "event": "a", "attrs": json.dumps({"o": {"k": 1}, "n": None, "i": 2**64})},
        {"ts": DAY, "event": "a", "attrs": json.dumps({"event_id": "clash", "i": None})},
    ]
    table = _promoted(rows)
    # s: strings, f: floats; i has a value beyond BIGINT, m mixes types, b is a
    # boolean, o an object, n only null, event_id clashes with a canonical column.
    assert table.schema.names[9:] == ["f", "s"]
    assert table.schema.field("f").type == pa.float64()
    assert table.schema.field("s").type == pa.string()
    assert table.column("s").to_pylist() == ["x", "y", None, None]
    assert table.column("f").to_pylist() == [1.5, 2.0, None, None]
    left = [json.loads(a) for a in table.column("attrs").to_pylist()]
    assert left == [
        {"i": 1, "m": 1},
        {"m": "1", "b": True},
        {"o": {"k": 1}, "n": None, "i": 2**64},
        {"event_id": "clash", "i": None},
    ]
    meta = table.schema.metadata
    assert orjson.loads(meta[PROMOTED_KEY]) == ["f", "s"]
    assert orjson.loads(meta[ATTRS_KEYS_KEY]) == ["b", "event_id", "i", "m", "n", "o"]


def test_promoted_parquet_gives_the_hand_computed_numbers(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    table = _promoted(_canonical_rows(BASIC))
    meta = table.schema.metadata
    # Filters and keys come from typed columns; the fields whose values mix types
    # (duration "250" and 300, heap 60 and 50.0, status 413 and "413") stay in attrs.
    assert orjson.loads(meta[PROMOTED_KEY]) == ["browser", "cmd_id", "path", "switch_count"]
    assert orjson.loads(meta[ATTRS_KEYS_KEY]) == ["duration_ms", "heap_mb", "status"]
    path = tmp_path / "basic.parquet"
    pq.write_table(table, path)
    stats, results = _run(loaded, [path])
    assert (stats.lines, stats.events, stats.duplicates, stats.rejected) == (46, 45, 1, {})
    _check_expected(results)


def test_promoted_and_attrs_only_files_mix(loaded: LoadedConfig, tmp_path: Path) -> None:
    # The same 46 rows split over a promoted file and an attrs-only one (the same
    # fields typed in one, JSON in the other), then over a promoted file plus the
    # rest as JSON lines: the numbers do not change.
    rows = _canonical_rows(BASIC)
    half = len(rows) // 2
    pq.write_table(_promoted(rows[:half]), tmp_path / "a.parquet")
    pq.write_table(_attrs_only(rows[half:]), tmp_path / "b.parquet")
    stats, results = _run(loaded, [tmp_path / "a.parquet", tmp_path / "b.parquet"])
    assert (stats.lines, stats.events, stats.duplicates) == (46, 45, 1)
    _check_expected(results)


def test_promoted_parquet_with_json_lines(loaded: LoadedConfig, tmp_path: Path) -> None:
    rows = _canonical_rows(BASIC)
    pq.write_table(_promoted(rows), tmp_path / "all.parquet")
    # A second copy of every event as JSON lines: each is a duplicate of its
    # Parquet twin (same event_id), except the rows without an event_id.
    no_id = sum(1 for r in rows if not r["event_id"])
    stats, _ = _run(loaded, [tmp_path / "all.parquet", BASIC])
    assert stats.lines == 46 + 53
    assert stats.duplicates == 1 + (46 - no_id)
    assert stats.events == 45 + no_id


def test_hash_dedup_keeps_the_earliest_copy_across_files(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    # proxy events: id p1 three times (413 earliest, then 200 twice), p2 twice
    # (200 then 413), p3 once (500), and two without an id (413, 200).
    def line(eid: str | None, minute: int, status: int) -> str:
        obj: dict[str, Any] = {
            "ts": (DAY + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
            "event": "proxy",
            "status": status,
        }
        if eid is not None:
            obj["event_id"] = eid
        return json.dumps(obj) + "\n"

    (tmp_path / "a.jsonl").write_text(line("p1", 5, 200) + line("p2", 1, 200) + line(None, 2, 413))
    (tmp_path / "b.jsonl").write_text(line("p1", 1, 413) + line("p3", 3, 500) + line(None, 4, 200))
    rows = [
        {"ts": DAY + timedelta(minutes=9), "event": "proxy", "event_id": "p1", "attrs": "{}"},
        {"ts": DAY + timedelta(minutes=8), "event": "proxy", "event_id": "p2", "attrs": "{}"},
    ]
    rows[0]["attrs"] = json.dumps({"status": 200})
    rows[1]["attrs"] = json.dumps({"status": 413})
    pq.write_table(_promoted(rows), tmp_path / "c.parquet")
    for fields in (None, "slos"):
        kw: dict[str, Any] = {}
        if fields == "slos":
            text, numeric = slo_fields(loaded.config.core_slos())
            kw = {"fields": text, "numeric_fields": numeric}
        stats, results = _run(loaded, [tmp_path], **kw)
        assert (stats.lines, stats.duplicates, stats.events) == (8, 3, 5)
        # Kept: p1 at 10:01 (413), p2 at 10:01 (200), p3 (500), the two without id.
        (r,) = results["proxy_413"]
        assert r.counts == {"bad": 2, "total": 5}


def test_fields_of_the_slos_give_the_same_numbers(loaded: LoadedConfig) -> None:
    cfg = loaded.config
    text, numeric = slo_fields(cfg.core_slos())
    with open_events([BASIC], cfg.catalog(), fields=text, numeric_fields=numeric) as table:
        assert table.stats.events == 45
        _check_expected(table.evaluate(cfg.core_slos()))


def test_planned_events_outside_the_catalog_still_evaluate(tmp_path: Path) -> None:
    # The example names auth_token_refresh_* (planned, not in the catalog): the
    # ENUM event column must not make those filters fail.
    loaded = load_config(
        Path(__file__).resolve().parents[3] / "examples/readiness-demo/slogate.yaml"
    )
    cfg = loaded.config
    path = tmp_path / "e.jsonl"
    path.write_text(
        json.dumps({"ts": "2026-11-20T10:00:00Z", "event": "auth_login_success"})
        + "\n"
        + json.dumps({"ts": "2026-11-20T10:00:01Z", "event": "auth_token_refresh_success"})
        + "\n"
    )
    with open_events([path], cfg.catalog()) as table:
        assert table.stats.rejected == {"unknown_event": 1}
        results = table.evaluate(cfg.core_slos())
    (refresh,) = results["auth_token_refresh_success"]
    assert refresh.value is None and refresh.counts == {"good": 0, "bad": 0}
    (login,) = results["auth_login_success"]
    assert login.counts == {"good": 1, "bad": 0}


def test_canonical_table_writer_round_trips(loaded: LoadedConfig, tmp_path: Path) -> None:
    # The writer for bulk Parquet (benchmarks, exports) from plain event objects.
    objs = [json.loads(line[line.index("{") :]) for line in _valid_lines(BASIC)]
    path = tmp_path / "w.parquet"
    pq.write_table(canonical_table(objs), path)
    stats, results = _run(loaded, [path])
    assert stats.duplicates == 1 and stats.events == 45
    _check_expected(results)


def _valid_lines(path: Path) -> list[str]:
    keep = []
    known = {e.name for e in load_config(FIXTURES / "slogate.yaml").config.events}
    for line in path.read_text().splitlines():
        if "{" not in line:
            continue
        try:
            obj = json.loads(line[line.index("{") :])
        except json.JSONDecodeError:
            continue
        name = obj.get("event") or obj.get("name") or obj.get("type")
        ts = obj.get("ts") or obj.get("timestamp") or obj.get("time")
        if name in known and ts not in (None, "not a time"):
            keep.append(line)
    return keep


def test_dedup_when_a_file_grows_between_the_two_reads(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    # A live store segment can grow while it is read. Here a copy of id d1 is
    # appended after the first read: the re-read of the repeated ids no longer
    # matches the table, and the loader decides on the hash alone for them.
    import duckdb

    from slogate.engine.columns import build_layout
    from slogate.engine.loader import Loader
    from slogate.sources.files import discover_inputs

    def line(eid: str, minute: int) -> str:
        ts = (DAY + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")
        return json.dumps({"ts": ts, "event": "proxy", "event_id": eid, "status": 200}) + "\n"

    path = tmp_path / "live.jsonl"
    path.write_text(line("d1", 1) + line("d1", 2) + line("d2", 3))
    cfg = loaded.config
    text, numeric = slo_fields(cfg.core_slos())
    layout = build_layout(cfg.catalog(), text, numeric)
    con = duckdb.connect()
    loader = Loader(con, cfg.catalog(), layout, table="ev")
    con.execute(f"CREATE TABLE ev ({loader._columns_sql()})")
    loader._lines(discover_inputs([path]))
    with path.open("a") as fh:
        fh.write(line("d1", 0))  # arrives after the first read
    loader._tally()
    assert (loader.stats.lines, loader.stats.duplicates, loader.stats.events) == (3, 1, 2)
    rows = con.execute("SELECT ts_us FROM ev ORDER BY ts_us").fetchall()
    first = int((DAY + timedelta(minutes=1)).timestamp() * 1_000_000)
    assert [r[0] for r in rows] == [first, first + 120_000_000]


def test_top_level_column_without_metadata_is_read_before_attrs(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    # Canonical Parquet written by another tool: a `status` column next to
    # `attrs`, no slogate metadata. The column wins where it is set; `attrs` is
    # read where it is NULL. Rows: column 413, column 200, attrs 413, attrs "413",
    # neither (no status) -> bad 3 of 5.
    table = pa.table(
        {
            "ts": pa.array([DAY] * 5, pa.timestamp("us", tz="UTC")),
            "event": ["proxy"] * 5,
            "attrs": ["{}", json.dumps({"status": 500}), json.dumps({"status": 413}),
                      json.dumps({"status": "413"}), "{}"],
            "status": pa.array([413, 200, None, None, None], pa.int64()),
        }
    )  # fmt: skip
    pq.write_table(table, tmp_path / "other-tool.parquet")
    stats, results = _run(loaded, [tmp_path / "other-tool.parquet"])
    assert (stats.events, stats.rejected) == (5, {})
    (r,) = results["proxy_413"]
    assert r.counts == {"bad": 3, "total": 5}
