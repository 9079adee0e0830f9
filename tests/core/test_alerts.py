"""Multiwindow multi-burn-rate replay against hand-worked cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slogate.core.alerts import (
    DEFAULT_BURN_WINDOWS,
    AlertPolicy,
    BucketCount,
    BurnWindow,
    match_alerts,
    number_firings,
    replay,
)
from slogate.core.incidents import Incident, number_incidents
from tests.core.window_factories import DAY, FIVE, T0

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
ALLOWED = 0.001  # a 99.9 % SLO


def counts(n: int, per: int, bad_at: dict[int, int], start=T0) -> list[BucketCount]:
    return [BucketCount(start + i * FIVE, bad_at.get(i, 0), per) for i in range(n)]


def only_fast_page(min_events: int = 30) -> AlertPolicy:
    return AlertPolicy(windows=(BurnWindow("page", H, FIVE, 14.4),), min_events=min_events)


def test_single_bad_bucket_hand_worked() -> None:
    # 100 events per 5 minutes; 20 bad at 02:00. At t=02:05 the 5m rate is 0.2 and the
    # 1h rate 20/1200 = 0.0167 > 14.4 * 0.001 = 0.0144: it fires; at 02:10 the 5m
    # window is clean again.
    fired = replay(
        "s",
        ALLOWED,
        counts(48, 100, {24: 20}),
        step=FIVE,
        start=T0,
        end=T0 + 4 * H,
        policy=only_fast_page(),
    )
    assert [(f.start, f.end, f.windows) for f in fired] == [
        (T0 + 2 * H + FIVE, T0 + 2 * H + 2 * FIVE, ("1h/5m",))
    ]
    assert fired[0].peak_burn_rate == pytest.approx(200.0)
    # 17 bad: the 1h rate is 17/1200 = 0.01417 < 0.0144: nothing fires
    assert (
        replay(
            "s",
            ALLOWED,
            counts(48, 100, {24: 17}),
            step=FIVE,
            start=T0,
            end=T0 + 4 * H,
            policy=only_fast_page(),
        )
        == []
    )


def test_minimum_events_guard_keeps_a_quiet_hour_quiet() -> None:
    quiet = counts(24, 1, {20: 1})  # one event per bucket, one failure
    assert (
        replay("s", ALLOWED, quiet, step=FIVE, start=T0, end=T0 + 2 * H, policy=only_fast_page(30))
        == []
    )
    assert (
        len(
            replay(
                "s", ALLOWED, quiet, step=FIVE, start=T0, end=T0 + 2 * H, policy=only_fast_page(1)
            )
        )
        == 1
    )


def test_default_policy_hand_worked_outage() -> None:
    # Two days of 100 events per 5 minutes; on day 2 from 10:00 to 10:30, 50 % errors
    # (6 buckets, 300 bad). Replay day 2 only; day 1 warms up the long windows.
    day2 = T0 + DAY
    outage = {288 + 120 + k: 50 for k in range(6)}
    fired = replay(
        "s",
        ALLOWED,
        counts(576, 100, outage),
        step=FIVE,
        start=day2,
        end=day2 + DAY,
        policy=AlertPolicy(),
    )
    got = [(f.severity, f.start, f.end, f.windows) for f in fired]
    assert got == [
        # page: 1h/5m and 6h/30m both fire at 10:05 (5m 0.5, 1h 0.042; 30m 0.083, 6h
        # 0.0069 > 0.006); 1h/5m stops at 10:35, 6h/30m when the 30m window is clean
        # at 11:00.
        ("page", day2 + 10 * H + FIVE, day2 + 11 * H, ("1h/5m", "6h/30m")),
        # ticket: 72h/6h fires at 10:05 (6h 0.0069; 72h 50/40900 = 0.0012 > 0.001);
        # 24h/2h joins at 10:10 (24h 100/28800 = 0.0035 > 0.003 but 50/28800 was not);
        # it ends when the 6h window is clean at 16:30.
        (
            "ticket",
            day2 + 10 * H + FIVE,
            day2 + 16 * H + 30 * timedelta(minutes=1),
            ("72h/6h", "24h/2h"),
        ),
    ]
    assert fired[0].peak_burn_rate == pytest.approx(500.0)


def test_open_firing_at_end() -> None:
    fired = replay(
        "s",
        ALLOWED,
        counts(24, 100, {k: 50 for k in range(12, 24)}),
        step=FIVE,
        start=T0,
        end=T0 + 2 * H,
        policy=only_fast_page(),
    )
    assert len(fired) == 1 and fired[0].open and fired[0].end == T0 + 2 * H


def test_match_alerts_to_incidents() -> None:
    day2 = T0 + DAY
    outage = {288 + 120 + k: 50 for k in range(6)}
    fired = number_firings(
        replay(
            "s",
            ALLOWED,
            counts(576, 100, outage),
            step=FIVE,
            start=day2,
            end=day2 + DAY,
            policy=AlertPolicy(),
        )
    )
    incidents = number_incidents(
        [
            Incident("s", "p", 2, day2, day2 + DAY, 0.997, "daily miss"),
            Incident("other", "p", 1, day2, day2 + 2 * H, 0.5, "outage elsewhere"),
            Incident("other", "p", 3, day2, day2 + DAY, 0.9991, "near miss"),
        ]
    )
    match = match_alerts(fired, incidents, AlertPolicy())
    by_slo = {i.slo_id + str(i.severity): i.id for i in incidents}
    assert match.caught_by[by_slo["s2"]] == ["ALERT-1", "ALERT-2"]
    assert [i.id for i in match.missed] == [by_slo["other1"]]  # Sev-3 is never "missed"
    assert match.noise == []


def test_default_windows_are_the_workbook_policy() -> None:
    assert [(w.severity, w.long, w.short, w.factor) for w in DEFAULT_BURN_WINDOWS] == [
        ("page", H, FIVE, 14.4),
        ("page", 6 * H, 30 * timedelta(minutes=1), 6.0),
        ("ticket", 24 * H, 2 * H, 3.0),
        ("ticket", 72 * H, 6 * H, 1.0),
    ]


@given(
    rows=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=60),
    min_events=st.integers(0, 50),
)
@settings(max_examples=100, deadline=None)
def test_replay_matches_brute_force(rows: list[tuple[int, int]], min_events: int) -> None:
    """Prefix sums agree with summing each window bucket by bucket."""
    policy = AlertPolicy(
        windows=(BurnWindow("page", H, FIVE, 14.4), BurnWindow("ticket", 2 * H, 30 * MIN, 3.0)),
        min_events=min_events,
    )
    data = [BucketCount(T0 + i * FIVE, min(b, t), t) for i, (b, t) in enumerate(rows)]
    end = T0 + len(rows) * FIVE
    fired = replay("s", 0.01, data, step=FIVE, start=T0, end=end, policy=policy)

    def rate(at, span):
        inside = [d for d in data if at - span <= d.start < at]
        total = sum(d.total for d in inside)
        return (sum(d.bad for d in inside) / total if total else None), total

    for severity in ("page", "ticket"):
        expected = []
        for k in range(1, len(rows) + 1):
            at = T0 + k * FIVE
            on = False
            for w in policy.windows:
                if w.severity != severity:
                    continue
                (lr, le), (sr, _) = rate(at, w.long), rate(at, w.short)
                thr = w.factor * 0.01
                if lr is not None and sr is not None and le >= min_events and lr > thr and sr > thr:
                    on = True
            expected.append(on)
        got = [False] * len(rows)
        for f in fired:
            if f.severity != severity:
                continue
            for k in range(1, len(rows) + 1):
                if f.start <= T0 + k * FIVE < f.end or (f.open and T0 + k * FIVE == f.end):
                    got[k - 1] = True
        assert got == expected
