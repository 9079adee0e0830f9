"""Bulk benchmark data: the same events as JSONL and as canonical Parquet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from slogate.demo.bulk import BulkSpec
from slogate.demo.bulk_files import write_bulk

SPEC = BulkSpec(start=datetime(2026, 2, 2, tzinfo=UTC), events_per_day=3000, days=2, seed=5)


def test_parquet_has_the_canonical_layout_and_matches_jsonl(tmp_path: Path) -> None:
    jfiles = write_bulk(SPEC, tmp_path / "j", fmt="jsonl", rows_per_file=2000)
    pfiles = write_bulk(SPEC, tmp_path / "p", fmt="parquet", rows_per_file=2000)
    names = sorted(str(p.relative_to(tmp_path / "p")) for p in pfiles)
    assert names == [
        "events/date=2026-02-02/bench-000001.parquet",
        "events/date=2026-02-02/bench-000002.parquet",
        "events/date=2026-02-03/bench-000001.parquet",
        "events/date=2026-02-03/bench-000002.parquet",
    ]
    con = duckdb.connect()
    glob = str(tmp_path / "p" / "events" / "**" / "*.parquet")
    schema = con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning=false)"
    ).fetchall()
    assert [(r[0], r[1]) for r in schema] == [
        ("ts", "TIMESTAMP WITH TIME ZONE"),
        ("event", "VARCHAR"),
        ("source", "VARCHAR"),
        ("v", "BIGINT"),
        ("event_id", "VARCHAR"),
        ("session_id", "VARCHAR"),
        ("user_id", "VARCHAR"),
        ("room_id", "VARCHAR"),
        ("attrs", "VARCHAR"),
    ]
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        f"SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ'), event, source, event_id, attrs "
        f"FROM read_parquet('{glob}', filename=true, hive_partitioning=false) "
        "ORDER BY filename, file_row_number"
    ).fetchall()
    lines = [json.loads(line) for path in sorted(jfiles) for line in path.read_text().splitlines()]
    assert len(rows) == len(lines) == 6000
    canonical = {"ts", "event", "source", "v", "event_id", "session_id", "user_id", "room_id"}
    for (ts, event, source, event_id, attrs), obj in zip(rows, lines, strict=True):
        assert (ts, event, source, event_id) == (
            obj["ts"], obj["event"], obj["source"], obj.get("event_id")
        )  # fmt: skip
        assert json.loads(attrs) == {k: v for k, v in obj.items() if k not in canonical}
