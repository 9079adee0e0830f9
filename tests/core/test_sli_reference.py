"""The reference SLI maths (core.sli): nearest rank, kinds, buckets, properties."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slogate.core import sli
from slogate.core.result import Exclusion
from slogate.core.slo import (
    SLO,
    CorrelationSLI,
    CountSLI,
    FieldFilter,
    FilterOp,
    GrowthSLI,
    MonitorSLI,
    Op,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
    Target,
    Unit,
)

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def _slo(sli_: Any, target: Target | None = None, id_: str = "x") -> SLO:
    return SLO(id=id_, pillar="p", name="n", sli=sli_, target=target)


def _ev(name: str, seconds: float, **fields: Any) -> dict[str, Any]:
    return {"event": name, "ts": T0 + timedelta(seconds=seconds), **fields}


@pytest.mark.parametrize(
    ("q", "n", "rank"),
    [
        (0.95, 1, 1),
        (0.95, 20, 19),  # 0.95 * 20 = 19 exactly
        (0.95, 21, 20),  # 19.95 -> 20
        (0.95, 60, 57),  # 57.000000000000007 in floating point must still be 57
        (0.95, 100, 95),
        (0.5, 4, 2),
        (1.0, 7, 7),
        (0.01, 7, 1),
    ],
)
def test_nearest_rank(q: float, n: int, rank: int) -> None:
    assert sli.nearest_rank(q, n) == rank


def test_nearest_rank_value_with_ties_and_empty() -> None:
    assert sli.nearest_rank_value([], 0.95) is None
    # sorted [1, 2, 2, 2, 9]: p50 rank ceil(2.5) = 3 -> 2; p95 rank 5 -> 9
    assert sli.nearest_rank_value([2, 9, 2, 1, 2], 0.5) == 2
    assert sli.nearest_rank_value([2, 9, 2, 1, 2], 0.95) == 9


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=60), st.floats(0.001, 1.0))
def test_nearest_rank_is_a_sample_with_enough_below(values: list[int], q: float) -> None:
    v = sli.nearest_rank_value(values, q)
    assert v in values
    below = sum(1 for x in values if x <= v)
    assert below >= math.ceil(q * len(values) - sli.RANK_EPSILON)
    strictly_below = sum(1 for x in values if x < v)
    assert strictly_below < max(1, math.ceil(q * len(values) - sli.RANK_EPSILON))


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (3, 3.0),
        (2.5, 2.5),
        ("7", 7.0),
        (" 1e3 ", 1000.0),
        (True, None),
        ("abc", None),
        (None, None),
        (float("nan"), None),
        ("inf", None),
        ({"a": 1}, None),
    ],
)
def test_as_number(value: object, number: float | None) -> None:
    assert sli.as_number(value) == number


def test_filters_compare_numbers_by_value() -> None:
    eq = FieldFilter("status", FilterOp.EQ, 413)
    assert all(sli.filter_matches(eq, v) for v in (413, 413.0, "413"))
    assert not any(sli.filter_matches(eq, v) for v in (None, "4130", 412, True))
    contains = FieldFilter("browser", FilterOp.CONTAINS, "firefox")
    assert sli.filter_matches(contains, "Mozilla FIREFOX 128")
    assert not sli.filter_matches(contains, None)


def test_ratio_rate_and_empty() -> None:
    ratio = _slo(RatioSLI(Selector(("ok",)), bad=Selector(("err",))))
    events = [_ev("ok", 1), _ev("ok", 2), _ev("ok", 3), _ev("err", 4), _ev("other", 5)]
    (r,) = sli.evaluate(ratio, events)
    assert (r.value, r.good, r.total, r.counts) == (0.75, 3, 4, {"good": 3, "bad": 1})
    (empty,) = sli.evaluate(ratio, [_ev("other", 1)])
    assert empty.value is None and empty.samples == 0
    rate = _slo(RateSLI(Selector(("err",)), Selector(("ok", "err"))))
    (r,) = sli.evaluate(rate, events)
    assert (r.value, r.counts) == (0.25, {"bad": 1, "total": 4})


def test_quantile_within_follows_target_op() -> None:
    q = QuantileSLI(Selector(("lat",)), "ms", 0.5)
    events = [_ev("lat", i, ms=v) for i, v in enumerate([10, 20, 30, 40, "x", None])]
    (le,) = sli.evaluate(_slo(q, Target(Op.LE, 20, Unit.MS)), events)
    (lt,) = sli.evaluate(_slo(q, Target(Op.LT, 20, Unit.MS)), events)
    # samples 10, 20, 30, 40 (text and missing values are not samples); p50 rank 2 -> 20
    assert (le.value, le.samples, le.good) == (20.0, 4, 2)
    assert lt.good == 1


def test_count_zero_is_a_value_and_met() -> None:
    slo = _slo(CountSLI(Selector(("denied",))), Target(Op.EQ, 0, Unit.COUNT))
    (r,) = sli.evaluate(slo, [_ev("ok", 1)])
    assert r.value == 0.0 and r.met(slo) is True
    assert sli.evaluate(slo, [_ev("ok", 1)], bucket=timedelta(days=1)) == []


def test_correlation_grace_boundaries() -> None:
    slo = _slo(CorrelationSLI(Selector(("s",)), Selector(("a",)), None, "id", 10.0))
    events = [
        _ev("s", 0, id="on-time"),
        _ev("a", 10, id="on-time"),  # exactly at the deadline: answered
        _ev("s", 0, id="late"),
        _ev("a", 10.001, id="late"),  # 1 ms after: lost
        _ev("s", 95, id="pending"),  # deadline 105 > until_ref 100: not judged yet
        _ev("a", 50, id="dup"),
        _ev("a", 51, id="dup"),  # acked twice, never sent: duplicate only
        _ev("x", 100),
    ]
    (r,) = sli.evaluate(slo, events)
    assert r.counts == {"sent": 3, "acked": 2, "errored": 0, "lost": 1, "duplicate": 1}
    assert r.value == 2.0
    (later,) = sli.evaluate(slo, events, until_ref=T0 + timedelta(seconds=105))
    assert later.counts["lost"] == 2  # now the pending send is overdue


def test_growth_and_monitor() -> None:
    g = _slo(GrowthSLI(Selector(("m",)), "heap", "sid", "n", 2))
    events = [
        _ev("m", 5, sid="a", heap=300, n=2),
        _ev("m", 1, sid="a", heap=100, n=0),
        _ev("m", 1, sid="b", heap=10, n=5),  # first sample already past the threshold
    ]
    (r,) = sli.evaluate(g, events)
    assert (r.value, r.counts) == (200.0, {"units": 2, "units_reached": 2})
    (none,) = sli.evaluate(g, [_ev("m", 1, sid="a", heap=1, n=0)])
    assert none.value is None and none.counts == {"units": 1, "units_reached": 0}
    mon = _slo(MonitorSLI(Selector(("a", "b", "c"))))
    (m,) = sli.evaluate(mon, [_ev("a", 1), _ev("a", 2), _ev("c", 3)])
    assert m.counts == {"a": 2, "b": 0, "c": 1} and m.value == 3.0


def test_buckets_align_on_utc_multiples() -> None:
    ts = datetime(2026, 11, 20, 13, 7, 31, tzinfo=UTC)
    assert sli.bucket_of(ts, timedelta(days=1)) == datetime(2026, 11, 20, tzinfo=UTC)
    assert sli.bucket_of(ts, timedelta(minutes=5)) == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def test_exclusion_applies_to_named_slos() -> None:
    slo = _slo(CountSLI(Selector(("e",))), id_="c")
    events = [_ev("e", 1), _ev("e", 5), _ev("e", 10)]
    ex = Exclusion(T0 + timedelta(seconds=5), T0 + timedelta(seconds=10), frozenset({"c"}), "m")
    other = Exclusion(T0, T0 + timedelta(hours=1), frozenset({"other"}), "m")
    assert sli.evaluate(slo, events, exclusions=(ex,))[0].value == 2.0
    assert sli.evaluate(slo, events, exclusions=(other,))[0].value == 3.0


_events = st.lists(
    st.builds(
        lambda name, s: _ev(name, s),
        st.sampled_from(["ok", "err", "other"]),
        st.integers(0, 3 * 86_400),
    ),
    max_size=50,
)


@given(_events)
def test_bucket_counts_add_up_to_the_whole(events: list[dict[str, Any]]) -> None:
    ratio = _slo(RatioSLI(Selector(("ok",)), bad=Selector(("err",))))
    (whole,) = sli.evaluate(ratio, events)
    daily = sli.evaluate(ratio, events, bucket=timedelta(days=1))
    assert sum(r.good or 0 for r in daily) == whole.good
    assert sum(r.total or 0 for r in daily) == whole.total
    assert all(r.bucket_start is not None and r.total for r in daily)
    if whole.value is not None:
        assert 0.0 <= whole.value <= 1.0
