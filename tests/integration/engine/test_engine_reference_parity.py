"""The Ibis engine on DuckDB agrees with the pure-Python reference (core.sli)
for every SLI kind, on random small event sets, whole-range and bucketed."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slogate.core import sli as ref
from slogate.core.result import Exclusion
from slogate.engine import open_events
from tests.integration.engine.corpus import CATALOG, SLOS, T0, grid_events, write_jsonl

_values = {
    "k": st.one_of(st.none(), st.sampled_from(["s1", "s2", "s3", "1", "x y"]), st.just(1)),
    "x": st.one_of(
        st.none(),
        st.integers(-5, 120),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        st.sampled_from(["7", "abc", True]),
    ),
    "p": st.one_of(st.none(), st.integers(0, 5), st.just("4")),
    "br": st.one_of(st.none(), st.sampled_from(["Firefox 128", "chrome", "FIREFOX", "fire"])),
    "st": st.one_of(st.none(), st.sampled_from([200, 413, "413", 413.0, "500", 500, True])),
}


@st.composite
def event(draw: st.DrawFn) -> dict[str, Any]:
    # Seconds over two days; a small range makes equal timestamps (ties) common.
    offset = draw(st.one_of(st.integers(0, 40), st.integers(0, 2 * 86_400)))
    ms = draw(st.sampled_from([0, 0, 250, 500, 999]))
    e: dict[str, Any] = {
        "ts": T0 + timedelta(seconds=offset, milliseconds=ms),
        "event": draw(st.sampled_from(["a", "b", "c", "d"])),
    }
    for name, strategy in _values.items():
        value = draw(strategy)
        if value is not None:
            e[name] = value
    return e


def _compare(events: list[dict[str, Any]], **kw: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_jsonl(Path(tmp) / "events.jsonl", events, epoch_ms=True)
        with open_events([path], CATALOG) as table:
            assert table.stats.events == len(events)
            got = table.evaluate(SLOS, **kw)
    until_ref = kw.get("until") or (max(e["ts"] for e in events) if events else None)
    want = ref.evaluate_all(SLOS, events, until_ref=until_ref, **kw)
    for slo in SLOS:
        assert got[slo.id] == want[slo.id], slo.id


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event(), max_size=40))
def test_engine_matches_reference_whole_range(events: list[dict[str, Any]]) -> None:
    _compare(events)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(event(), max_size=40),
    st.sampled_from([timedelta(days=1), timedelta(minutes=5), timedelta(seconds=10)]),
)
def test_engine_matches_reference_in_buckets(
    events: list[dict[str, Any]], bucket: timedelta
) -> None:
    _compare(events, bucket=bucket)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(event(), max_size=30),
    st.integers(0, 100_000),
    st.integers(1, 100_000),
    st.sampled_from([None, frozenset({"p95", "ratio_bad", "lost_dup"})]),
)
def test_engine_matches_reference_with_range_and_exclusion(
    events: list[dict[str, Any]], start: int, length: int, ids: frozenset[str] | None
) -> None:
    since = T0 + timedelta(seconds=start // 4)
    until = since + timedelta(seconds=length)
    ex = Exclusion(since + timedelta(seconds=5), since + timedelta(seconds=30), ids, "deploy")
    _compare(events, since=since, until=until, exclusions=(ex,))


def test_engine_matches_reference_on_the_grid_corpus(tmp_path: Path) -> None:
    events = grid_events()
    _compare(events)
    _compare(events, bucket=timedelta(hours=6))
    until = datetime(2026, 11, 21, 3, tzinfo=UTC)
    _compare(events, until=until, bucket=timedelta(days=1))


def test_grid_corpus_exercises_every_slo(tmp_path: Path) -> None:
    """Guard against a vacuous parity: on the grid every SLO has data."""
    results = ref.evaluate_all(SLOS, grid_events())
    for slo in SLOS:
        (r,) = results[slo.id]
        assert r.samples > 0, slo.id
    assert results["lost_dup"][0].counts["duplicate"] > 0
    assert results["lost_dup"][0].counts["lost"] > 0
    assert results["growth"][0].value is not None
