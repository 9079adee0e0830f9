"""`combine` rebuilds a range's result from its buckets' results exactly, for every
kind but quantiles: the window relies on it instead of querying each range."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slogate.core import sli as ref
from slogate.core.slo import SLIKind
from tests.integration.engine.corpus import SLOS, T0

COMBINABLE = [s for s in SLOS if s.kind is not SLIKind.QUANTILE]


@st.composite
def event(draw: st.DrawFn) -> dict[str, Any]:
    e: dict[str, Any] = {
        "ts": T0 + timedelta(seconds=draw(st.integers(0, 3 * 86_400))),
        "event": draw(st.sampled_from("abcd")),
    }
    optional = {
        "k": st.sampled_from(["s1", "s2", "s3", "s4"]),
        "x": st.one_of(st.integers(-5, 60), st.floats(-100, 100, allow_nan=False)),
        "p": st.integers(0, 5),
        "br": st.sampled_from(["Firefox 128", "chrome"]),
        "st": st.sampled_from([200, 413, "500"]),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            e[name] = draw(strategy)
    return e


@settings(max_examples=60, deadline=None)
@given(
    st.lists(event(), max_size=60),
    st.sampled_from([timedelta(minutes=5), timedelta(hours=6), timedelta(days=1)]),
)
def test_buckets_combine_to_the_whole_range(events: list[dict[str, Any]], width: timedelta) -> None:
    since, until = T0 + timedelta(hours=3), T0 + timedelta(days=3)
    for slo in COMBINABLE:
        kw: dict[str, Any] = {"since": since, "until": until, "until_ref": until}
        parts = ref.evaluate(slo, events, bucket=width, **kw)
        (whole,) = ref.evaluate(slo, events, **kw)
        assert (ref.combine(slo, parts) or ref.empty_result(slo)) == whole, slo.id


def test_unit_kinds_need_one_evaluation() -> None:
    # A command acknowledged on day 1 and again on day 2 is a duplicate when the
    # two days are judged together and not when each day is judged alone: unit
    # kinds only combine the buckets of one evaluation, which is why the window
    # sums the days of one query and never separate per-day runs.
    slo = next(s for s in SLOS if s.id == "lost_dup")
    events = [
        {"ts": T0 + timedelta(hours=12), "event": "a", "k": "c1"},
        {"ts": T0 + timedelta(hours=12, seconds=1), "event": "b", "k": "c1"},
        {"ts": T0 + timedelta(days=1, seconds=5), "event": "b", "k": "c1"},
    ]
    mid, end = T0 + timedelta(days=1), T0 + timedelta(days=2)
    one = ref.evaluate(slo, events, bucket=timedelta(days=1), since=T0, until=end)
    together = ref.combine(slo, one)
    assert together == ref.evaluate(slo, events, since=T0, until=end)[0]
    assert together is not None and together.counts["duplicate"] == 1
    apart = [
        *ref.evaluate(slo, events, since=T0, until=mid),
        *ref.evaluate(slo, events, since=mid, until=end),
    ]
    combined = ref.combine(slo, apart)
    assert combined is not None and combined.counts["duplicate"] == 0


def test_a_quantile_is_never_combined() -> None:
    slo = next(s for s in SLOS if s.kind is SLIKind.QUANTILE)
    with pytest.raises(ValueError, match="quantile"):
        ref.combine(slo, [])


def test_nothing_to_combine_is_none() -> None:
    assert all(ref.combine(slo, []) is None for slo in COMBINABLE)
