"""Hand-computed expectations over small fixture files, on DuckDB.

Fixture: tests/fixtures/engine/basic.jsonl with the config
tests/fixtures/engine/slogate.yaml. Line by line (L = physical line):

  L1  page_ok   10:00:05  120 ms  "Firefox 128"  e01
  L2  page_ok   10:00:01   80 ms  "Chrome"       e02   (out of time order)
  L3  page_ok   10:00:02  300 ms  "firefox"      e03   (app-log prefix before the JSON)
  L4  page_ok   10:00:03 "250" ms "Safari"       e04   (`name`, number as text)
  L5  page_ok   10:00:04  300 ms  "FIREFOX"      e05   (`type`, `time` epoch seconds)
  L6  page_ok   10:00:06.5 1000ms (no browser)   e06   (`timestamp` epoch ms)
  L7  copy of L1 (e01)                                 -> duplicate, counted once
  L8  page_ok   10:01:00  no duration "Chrome"   e07
  L9  page_err  10:01:00  "Firefox 127"          e08
  L10 page_err  10:02:00  "Chrome"               e09
  L11 blank line                                        -> not a line
  L12-16 proxy status 200, 413, "413", 500, 200
  L17-23 start s1 (10:07), start s1 (10:00), start s2, start s3, crash s2, crash s9,
         start without session_id
  L24 denied (app-log prefix)
  L25-38 commands (below), L39-46 memory samples (below), L47 heartbeat 12:00:00
  L48-54 rejected: "this is not json at all" and "[1, 2, 3]" (invalid_json), ts "not a
         time" (invalid_ts), no event name and event "" (missing_event), "mystery"
         (unknown_event), and a truncated last line without newline (invalid_json)

Lines: 54 physical - 1 blank = 53. Rejected 3 + 1 + 2 + 1 = 7. Accepted 46, one
duplicate -> 45 events.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slogate.config import load_config
from slogate.config.load import LoadedConfig
from slogate.core.result import Exclusion, SLIResult
from slogate.engine import open_events
from slogate.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "engine"
BASIC = FIXTURES / "basic.jsonl"
DAY = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded() -> LoadedConfig:
    return load_config(FIXTURES / "slogate.yaml")


def _evaluate(loaded: LoadedConfig, inputs: list[Any], **kw: Any) -> tuple[Any, dict]:
    cfg = loaded.config
    open_kw = {k: kw.pop(k) for k in ("since", "until") if k in kw}
    with open_events(inputs, cfg.catalog(), **open_kw) as table:
        results = table.evaluate(cfg.core_slos(), **kw)
        return table.stats, results


def _one(results: dict[str, list[SLIResult]], slo_id: str) -> SLIResult:
    (result,) = results[slo_id]
    return result


# Expected whole-range values, worked out by hand from the lines above.
EXPECTED: dict[str, tuple[float | None, int | None, int | None, int, dict[str, int]]] = {
    # good = page_ok e01..e07 = 7; bad = page_err e08, e09 = 2; 7 / (7 + 2)
    "ok_ratio": (7 / 9, 7, 9, 9, {"good": 7, "bad": 2}),
    # browser contains "firefox" (any case): good e01, e03, e05; bad e08 -> 3 / 4
    "ok_ratio_firefox": (0.75, 3, 4, 4, {"good": 3, "bad": 1}),
    # browser in [Chrome, Safari] on both roles: good e02, e04, e07; total + e09 -> 3 / 4
    "ok_of_total": (0.75, 3, 4, 4, {"good": 3, "total": 4}),
    # status 413 and "413" are both 413: bad 2 of 5 proxies; good = total - bad = 3
    "proxy_413": (0.4, 3, 5, 5, {"bad": 2, "total": 5}),
    # samples sorted [80, 120, 250, 300, 300, 1000], n = 6; e07 has no duration.
    # p95 rank ceil(0.95 * 6) = ceil(5.7) = 6 -> 1000; within <= 300: 5
    "page_p95": (1000.0, 5, 6, 6, {"samples": 6, "within": 5}),
    # p75 rank ceil(0.75 * 6) = ceil(4.5) = 5 -> 300 (a tie with rank 4)
    "page_p75": (300.0, 5, 6, 6, {"samples": 6, "within": 5}),
    # started {s1, s2, s3} (s1 twice, one start without id); failed {s2} (s9 never
    # started) -> (3 - 1) / 3
    "crash_free": (2 / 3, 2, 3, 3, {"started": 3, "failed": 1}),
    # one denied event
    "denied_count": (1.0, None, None, 1, {"matched": 1}),
    # grace 60 s measured against the latest event, heartbeat 12:00:00:
    # c1 acked after 1 s; c2 acked twice (duplicate); c3 errored; c4 never answered
    # (lost); c5 acked exactly at its deadline 10:25:00.000 (not lost); c6 acked
    # 1 ms after its deadline (lost); c7 sent 11:59:30, deadline 12:00:30 is after
    # 12:00:00 (pending, not lost); c8 acked but never sent (not counted as sent).
    # sent 7, acked c1 c2 c5 c6 = 4, errored 1, lost 2, duplicate 1 -> 2 + 1 = 3
    "cmd_lost_dup": (
        3.0,
        None,
        None,
        7,
        {"sent": 7, "acked": 4, "errored": 1, "lost": 2, "duplicate": 1},
    ),
    # m1: first sample 10:40 heap 100 (its 10:42 line comes first in the file); samples
    # with switch_count >= 3: 260, 240 -> peak 260, growth 160. m2: two samples at the
    # first instant (60 and 50.0) -> baseline the lowest, 50; peak 120 -> 70. m3 never
    # reaches 3 switches. Worst unit: 160; units 3, reached 2.
    "mem_growth": (160.0, None, None, 2, {"units": 3, "units_reached": 2}),
    # starts 5 (including the one without session_id), crashes 2
    "lifecycle": (7.0, None, None, 7, {"start": 5, "crash": 2}),
}


def _check_expected(results: dict[str, list[SLIResult]]) -> None:
    for slo_id, (value, good, total, samples, counts) in EXPECTED.items():
        r = _one(results, slo_id)
        assert (r.value, r.good, r.total, r.samples, r.counts) == (
            value,
            good,
            total,
            samples,
            counts,
        ), slo_id


def test_basic_fixture_every_kind_by_hand(loaded: LoadedConfig) -> None:
    stats, results = _evaluate(loaded, [BASIC])
    assert (stats.files, stats.lines, stats.events, stats.duplicates) == (1, 53, 45, 1)
    assert stats.rejected == {
        "invalid_json": 3,
        "invalid_ts": 1,
        "missing_event": 2,
        "unknown_event": 1,
    }
    _check_expected(results)
    assert set(results) == {s.id for s in loaded.config.core_slos()}


def test_basic_fixture_met_against_targets(loaded: LoadedConfig) -> None:
    _, results = _evaluate(loaded, [BASIC])
    met = {s.id: _one(results, s.id).met(s) for s in loaded.config.core_slos()}
    assert met == {
        "ok_ratio": False,  # 0.778 < 0.9
        "ok_ratio_firefox": True,  # 0.75 >= 0.7
        "ok_of_total": True,  # 0.75 >= 0.5
        "proxy_413": False,  # 0.4 >= 0.1
        "page_p95": False,  # 1000 > 300
        "page_p75": True,  # 300 <= 300
        "crash_free": False,
        "denied_count": False,  # 1 != 0
        "cmd_lost_dup": False,
        "mem_growth": False,  # 160 > 150
        "lifecycle": None,  # monitor: no target
    }


def test_until_cuts_range_and_moves_the_grace_reference(loaded: LoadedConfig) -> None:
    until = DAY.replace(hour=10, minute=25, second=30)
    stats, results = _evaluate(loaded, [BASIC], until=until)
    # At or after 10:25:30: ack c6, send c7, ack c8, 8 memory samples, heartbeat = 12.
    assert stats.out_of_range == 12
    assert stats.events == 45 - 12
    # Grace measured against 10:25:30: c4 (deadline 10:24) lost; c5 (deadline 10:25:00,
    # ack at 10:25:00.000) answered; c6 (deadline 10:26:00) still pending.
    # sent c1..c6 = 6, acked c1 c2 c5 = 3, errored c3, lost 1, duplicate c2 -> 2
    r = _one(results, "cmd_lost_dup")
    assert r.counts == {"sent": 6, "acked": 3, "errored": 1, "lost": 1, "duplicate": 1}
    assert r.value == 2.0
    # No memory samples before 10:25:30: no data (growth), not zero.
    assert _one(results, "mem_growth").value is None
    assert _one(results, "ok_ratio").value == 7 / 9


def test_hourly_buckets(loaded: LoadedConfig) -> None:
    _, results = _evaluate(loaded, [BASIC], bucket=timedelta(hours=1))
    ten, eleven = DAY.replace(hour=10), DAY.replace(hour=11)
    # Commands bucket by first send: c1..c6 (and c8, acked only) at 10:xx: sent 6, lost
    # c4 c6, duplicate c2 -> 3; c7 alone at 11:xx: sent 1, pending -> 0.
    cmd = results["cmd_lost_dup"]
    assert [(r.bucket_start, r.bucket_end, r.value, r.samples) for r in cmd] == [
        (ten, eleven, 3.0, 6),
        (eleven, eleven + timedelta(hours=1), 0.0, 1),
    ]
    # Page events are all in the 10:00 bucket; the 12:00 heartbeat bucket has none.
    assert [(r.bucket_start, r.value) for r in results["ok_ratio"]] == [(ten, 7 / 9)]
    assert [(r.bucket_start, r.value) for r in results["mem_growth"]] == [(ten, 160.0)]
    assert [r.bucket_start for r in results["denied_count"]] == [ten]


def test_five_minute_buckets_for_quantile_and_distinct(loaded: LoadedConfig) -> None:
    _, results = _evaluate(loaded, [BASIC], bucket=timedelta(minutes=5))
    ten = DAY.replace(hour=10)
    # All six duration samples are at 10:00:01..10:00:06.5 -> one bucket, p95 1000.
    assert [(r.bucket_start, r.value) for r in results["page_p95"]] == [(ten, 1000.0)]
    # Sessions bucket by first start: s1 10:00 (bucket 10:00), s2 10:05 and s3 10:06
    # (bucket 10:05); s2 crashed -> 10:00: 1/1, 10:05: 1/2.
    crash = [(r.bucket_start, r.value, r.counts) for r in results["crash_free"]]
    assert crash == [
        (ten, 1.0, {"started": 1, "failed": 0}),
        (ten + timedelta(minutes=5), 0.5, {"started": 2, "failed": 1}),
    ]


def test_exclusion_removes_events_of_named_slos_only(loaded: LoadedConfig) -> None:
    # Exclude [10:00:00, 10:00:04) for ok_ratio: e02 (10:00:01), e03 (:02), e04 (:03)
    # leave; e05 at 10:00:04 stays (the end is exclusive). good 7 - 3 = 4, bad 2.
    ex = Exclusion(
        DAY.replace(hour=10), DAY.replace(hour=10, second=4), frozenset({"ok_ratio"}), "x"
    )
    _, results = _evaluate(loaded, [BASIC], exclusions=(ex,))
    assert _one(results, "ok_ratio").counts == {"good": 4, "bad": 2}
    assert _one(results, "ok_ratio_firefox").counts == {"good": 3, "bad": 1}


def test_gzip_gives_the_same_numbers(loaded: LoadedConfig, tmp_path: Path) -> None:
    gz = tmp_path / "basic.jsonl.gz"
    gz.write_bytes(gzip.compress(BASIC.read_bytes()))
    stats, results = _evaluate(loaded, [gz])
    assert (stats.lines, stats.events, stats.duplicates) == (53, 45, 1)
    _check_expected(results)


def test_empty_input(loaded: LoadedConfig) -> None:
    stats, results = _evaluate(loaded, [FIXTURES / "empty.jsonl"])
    assert (stats.files, stats.lines, stats.events, stats.rejected) == (1, 0, 0, {})
    for slo in loaded.config.core_slos():
        r = _one(results, slo.id)
        if slo.kind.value in ("count", "monitor"):
            assert r.value == 0.0 and r.samples == 0, slo.id  # zero is a value here
        else:
            assert r.value is None and r.samples == 0, slo.id
    assert _one(results, "denied_count").met(loaded.config.core_slos()[7]) is True


def test_garbage_file_is_counted_not_fatal(loaded: LoadedConfig) -> None:
    # garbage.log: "GET / HTTP/1.1", a line with control bytes (unreadable), an
    # unclosed object, "}{", a blank line (ignored), an HTML template, "null".
    stats, results = _evaluate(loaded, [FIXTURES / "garbage.log"])
    assert stats.lines == 6
    assert stats.events == 0
    assert stats.rejected == {"invalid_json": 5, "unreadable_line": 1}
    assert _one(results, "ok_ratio").value is None


def test_missing_input_is_an_input_error(loaded: LoadedConfig, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        _evaluate(loaded, [tmp_path / "nope.jsonl"])
    with pytest.raises(InputError, match="no file matches"):
        _evaluate(loaded, [str(tmp_path / "*.jsonl")])


KNOWN = {e.name for e in load_config(FIXTURES / "slogate.yaml").config.events}


def _canonical_rows(path: Path) -> list[dict[str, Any]]:
    """Valid lines of the fixture in the store's compacted Parquet layout."""
    rows = []
    for line in path.read_text().splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            doc = json.loads(line[start:])
        except json.JSONDecodeError:
            continue
        name = doc.pop("event", None) or doc.pop("name", None) or doc.pop("type", None)
        raw_ts = doc.pop("ts", None) or doc.pop("timestamp", None) or doc.pop("time", None)
        if not name or name not in {
            e.name for e in load_config(FIXTURES / "slogate.yaml").config.events
        }:
            continue
        if isinstance(raw_ts, int | float):
            ts = datetime.fromtimestamp(raw_ts / (1000 if raw_ts > 1e11 else 1), tz=UTC)
        else:
            try:
                ts = datetime.fromisoformat(str(raw_ts))
            except ValueError:
                continue
        row = {"ts": ts, "event": name}
        for col in ("source", "event_id", "session_id", "user_id", "room_id"):
            row[col] = doc.pop(col, None)
        row["v"] = doc.pop("v", None)
        row["attrs"] = json.dumps(doc)
        rows.append(row)
    return rows


CANONICAL_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us", tz="UTC")),
        ("event", pa.string()),
        ("source", pa.string()),
        ("v", pa.int64()),
        ("event_id", pa.string()),
        ("session_id", pa.string()),
        ("user_id", pa.string()),
        ("room_id", pa.string()),
        ("attrs", pa.string()),
    ]
)


def test_canonical_parquet_gives_the_same_numbers(loaded: LoadedConfig, tmp_path: Path) -> None:
    rows = _canonical_rows(BASIC)
    assert len(rows) == 46  # the accepted lines, duplicate included
    path = tmp_path / "basic.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA), path)
    stats, results = _evaluate(loaded, [path])
    assert (stats.lines, stats.events, stats.duplicates, stats.rejected) == (46, 45, 1, {})
    _check_expected(results)


def test_other_parquet_with_alternate_names(loaded: LoadedConfig, tmp_path: Path) -> None:
    # Five proxy rows with `name` and `timestamp` columns; statuses 200, 413, 413, 500
    # and one row without a timestamp (invalid_ts) -> bad 2 of 4 = 0.5.
    table = pa.table(
        {
            "name": ["proxy"] * 5,
            "timestamp": [
                "2026-11-20T10:00:00Z",
                "2026-11-20T10:00:01Z",
                "2026-11-20T10:00:02Z",
                "2026-11-20T10:00:03Z",
                None,
            ],
            "status": [200, 413, 413, 500, 413],
        }
    )
    path = tmp_path / "proxy.parquet"
    pq.write_table(table, path)
    stats, results = _evaluate(loaded, [path])
    assert (stats.lines, stats.events, stats.rejected) == (5, 4, {"invalid_ts": 1})
    assert _one(results, "proxy_413").counts == {"bad": 2, "total": 4}


def _proxy_line(ts: str, status: int) -> str:
    return json.dumps({"ts": ts, "event": "proxy", "status": status}) + "\n"


def test_hive_partitions_are_pruned_and_compacted_files_not_double_counted(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    events = tmp_path / "data" / "events"
    d19, d20, d21 = (events / f"date=2026-11-{d}" for d in (19, 20, 21))
    for d in (d19, d20, d21):
        d.mkdir(parents=True)
    # The 19th holds one late event stamped on the 20th: pruning skips the whole file.
    (d19 / "i-000001.jsonl").write_text(_proxy_line("2026-11-20T00:10:00Z", 413))
    (d20 / "i-000001.jsonl").write_text(
        _proxy_line("2026-11-20T09:00:00Z", 200) + _proxy_line("2026-11-20T09:01:00Z", 413)
    )
    # i-000002 was compacted: the .parquet holds two 200s, its leftover .jsonl is ignored.
    rows = [
        {"ts": DAY.replace(hour=h), "event": "proxy", "attrs": json.dumps({"status": 200})}
        for h in (11, 12)
    ]
    pq.write_table(
        pa.Table.from_pylist(
            rows,
            schema=pa.schema(
                [
                    ("ts", pa.timestamp("us", tz="UTC")),
                    ("event", pa.string()),
                    ("attrs", pa.string()),
                ]
            ),
        ),
        d20 / "i-000002.parquet",
    )
    (d20 / "i-000002.jsonl").write_text(_proxy_line("2026-11-20T11:00:00Z", 413) * 5)
    (d21 / "i-000001.jsonl").write_text(_proxy_line("2026-11-21T01:00:00Z", 413))
    dead = tmp_path / "data" / "deadletter" / "date=2026-11-20"
    dead.mkdir(parents=True)
    (dead / "i-000001.jsonl").write_text(_proxy_line("2026-11-20T09:30:00Z", 413))

    stats, results = _evaluate(
        loaded, [tmp_path / "data"], since=DAY, until=DAY + timedelta(days=1)
    )
    # Read: date=2026-11-20/i-000001.jsonl and i-000002.parquet only.
    assert stats.files == 2
    assert stats.out_of_range == 0  # pruned files are never read
    assert _one(results, "proxy_413").counts == {"bad": 1, "total": 4}
    # Without a range nothing is pruned: 1 + 2 + 2 + 1 events, 3 of them 413.
    stats, results = _evaluate(loaded, [tmp_path / "data"])
    assert stats.files == 4
    assert _one(results, "proxy_413").counts == {"bad": 3, "total": 6}


def test_globs_and_several_inputs(loaded: LoadedConfig, tmp_path: Path) -> None:
    for i in range(3):
        shutil.copy(BASIC, tmp_path / f"part{i}.log")
    stats, results = _evaluate(loaded, [str(tmp_path / "part*.log")])
    # Three copies: every event_id'd event is a duplicate twice over; events without an
    # event_id (proxies, denied, acks, memory, heartbeat) count three times.
    assert stats.files == 3 and stats.lines == 3 * 53
    assert _one(results, "proxy_413").counts == {"bad": 6, "total": 15}
    assert _one(results, "ok_ratio").counts == {"good": 7, "bad": 2}


@pytest.mark.parametrize("storage", ["memory", "disk"])
def test_storage_modes_give_the_same_numbers(loaded: LoadedConfig, storage: Any) -> None:
    cfg = loaded.config
    with open_events([BASIC], cfg.catalog(), storage=storage, memory_limit="64MB") as table:
        assert table.stats.events == 45
        _check_expected(table.evaluate(cfg.core_slos()))


def test_canonical_parquet_with_a_malformed_attrs_row(loaded: LoadedConfig, tmp_path: Path) -> None:
    # Two proxies: one with attrs {"status": 413}, one whose attrs is not JSON. The
    # second is still an event (its name and time are columns) but has no status.
    rows = [
        {"ts": DAY, "event": "proxy", "attrs": json.dumps({"status": 413})},
        {"ts": DAY, "event": "proxy", "attrs": "{not json"},
    ]
    path = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA), path)
    stats, results = _evaluate(loaded, [path])
    assert (stats.events, stats.rejected) == (2, {})
    assert _one(results, "proxy_413").counts == {"bad": 1, "total": 2}


def canonical_parquet(path: Path) -> Path:
    """The basic fixture as the store's compacted Parquet (for other tests)."""
    pq.write_table(pa.Table.from_pylist(_canonical_rows(BASIC), schema=CANONICAL_SCHEMA), path)
    return path


def test_parquet_with_text_timestamps_is_read_as_generic_rows(
    loaded: LoadedConfig, tmp_path: Path
) -> None:
    # ts/event/attrs columns but ts as text (one of them garbage): not the canonical
    # layout, so rows are read as JSON objects and the bad time is counted.
    table = pa.table(
        {
            "ts": ["2026-11-20T10:00:00Z", "yesterday"],
            "event": ["proxy", "proxy"],
            "attrs": ['{"x": 1}', "{}"],
            "status": [413, 200],
        }
    )
    path = tmp_path / "odd.parquet"
    pq.write_table(table, path)
    stats, results = _evaluate(loaded, [path])
    assert (stats.events, stats.rejected) == (1, {"invalid_ts": 1})
    assert _one(results, "proxy_413").counts == {"bad": 1, "total": 1}


def test_empty_catalog_rejects_every_event_as_unknown(tmp_path: Path) -> None:
    from slogate.core.catalog import Catalog

    with open_events([BASIC], Catalog(events={})) as table:
        assert table.stats.events == 0
        # the 46 accepted lines plus "mystery", unknown anyway
        assert table.stats.rejected["unknown_event"] == 47
