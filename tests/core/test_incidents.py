"""Sev-1 runs over 5-minute buckets, Sev-2/Sev-3 days, low traffic and gaps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slogate.core.incidents import (
    DayStatus,
    IncidentPolicy,
    MarginBasis,
    classify_day,
    find_incidents,
    fully_excluded,
    misses_badly,
    number_incidents,
    relative_margin,
    sev1_incidents,
)
from slogate.core.result import Exclusion, SLIResult
from tests.core.window_factories import (
    DAY,
    FIVE,
    T0,
    count_slo,
    latency_slo,
    ratio_result,
    ratio_slo,
    series,
)

POLICY = IncidentPolicy()


def outage_series(start_min: int, minutes: int, error_rate: float = 0.5, per: int = 100):
    """A day of 5-minute buckets with `per` events spread evenly; an outage from
    `start_min` (minutes after midnight) lasting `minutes`, at `error_rate`."""
    out = []
    for i in range(288):
        b0, b1 = i * 5, i * 5 + 5
        overlap = max(0, min(b1, start_min + minutes) - max(b0, start_min))
        bad = round(per * error_rate * overlap / 5)
        out.append(ratio_result("preset", per - bad, bad, T0 + i * FIVE))
    return out


def test_ninety_minute_outage_is_one_sev1_close_to_truth() -> None:
    truth_start, truth_end = T0 + timedelta(minutes=602), T0 + timedelta(minutes=692)
    incidents, traffic = sev1_incidents(ratio_slo(), outage_series(602, 90), POLICY)
    assert len(incidents) == 1
    inc = incidents[0]
    assert abs(inc.start - truth_start) <= timedelta(minutes=5)
    assert abs(inc.end - truth_end) <= timedelta(minutes=5)
    assert inc.worst_value == pytest.approx(0.5)
    assert traffic.with_data == 288 and traffic.missing_badly == 19


def test_thirty_minute_outage_is_not_sev1() -> None:
    assert sev1_incidents(ratio_slo(), outage_series(602, 30), POLICY)[0] == []


def test_exactly_sixty_minutes_is_not_more_than_sixty() -> None:
    assert sev1_incidents(ratio_slo(), outage_series(600, 60), POLICY)[0] == []
    assert len(sev1_incidents(ratio_slo(), outage_series(600, 65), POLICY)[0]) == 1


def test_small_miss_is_not_sev1() -> None:
    # 4 % errors against 99.5 %: misses, but by less than 5 % of the target (0.04975).
    assert sev1_incidents(ratio_slo(), outage_series(0, 600, error_rate=0.04), POLICY)[0] == []
    assert len(sev1_incidents(ratio_slo(), outage_series(0, 600, error_rate=0.06), POLICY)[0]) == 1


def test_buckets_without_data_are_bridged_up_to_the_max_gap() -> None:
    full = outage_series(600, 90)
    # drop two buckets (10 minutes) inside the outage: still one run, same span
    holes = [b for i, b in enumerate(full) if i not in (125, 126)]
    incidents = sev1_incidents(ratio_slo(), holes, POLICY)[0]
    assert len(incidents) == 1
    assert incidents[0].start == T0 + timedelta(minutes=600)
    assert incidents[0].end == T0 + timedelta(minutes=690)
    # a 30-minute hole splits it into two runs of 45 minutes: no Sev-1
    split = [b for i, b in enumerate(full) if not 129 <= i < 135]
    assert sev1_incidents(ratio_slo(), split, POLICY)[0] == []


def test_low_traffic_buckets_are_treated_as_no_data() -> None:
    data = outage_series(600, 90)
    # three buckets in the middle carry 2 events each, all good: too few to count
    for i in (125, 126, 127):
        data[i] = ratio_result("preset", 2, 0, T0 + i * FIVE)
    incidents, traffic = sev1_incidents(ratio_slo(), data, POLICY)
    assert len(incidents) == 1 and traffic.low_traffic == 3
    # with a minimum of 1 event the good buckets break the run
    strict = IncidentPolicy(min_events_per_bucket=1)
    assert sev1_incidents(ratio_slo(), data, strict)[0] == []


def test_latency_sev1_uses_five_percent_of_threshold() -> None:
    slo = latency_slo(threshold=2000)
    assert not misses_badly(slo, 2100, 0.05)
    assert misses_badly(slo, 2101, 0.05)
    buckets = [
        SLIResult(
            "p95",
            2500.0 if 24 <= i < 40 else 900.0,
            90,
            100,
            100,
            {},
            T0 + i * FIVE,
            T0 + (i + 1) * FIVE,
        )
        for i in range(100)
    ]
    incidents = sev1_incidents(slo, buckets, POLICY)[0]
    assert [(i.start, i.end) for i in incidents] == [
        (T0 + timedelta(minutes=120), T0 + timedelta(minutes=200))
    ]
    assert incidents[0].worst_value == 2500.0


def test_day_statuses_and_margins() -> None:
    slo = ratio_slo(target=0.995)
    d = date(2026, 3, 2)
    assert classify_day(slo, d, ratio_result("preset", 990, 10), POLICY).status is DayStatus.MISSED
    # 0.4 % errors: margin 0.001 / 0.005 = 20 % of the budget
    met = classify_day(slo, d, ratio_result("preset", 996, 4), POLICY)
    assert met.status is DayStatus.MET and met.relative_margin == pytest.approx(0.2)
    # 0.4995 % errors: margin 0.1 % of the budget -> near miss (Sev-3)
    near = classify_day(slo, d, ratio_result("preset", 199_001, 999), POLICY)
    assert near.status is DayStatus.NEAR_MISS
    assert classify_day(slo, d, ratio_result("preset", 10, 0), POLICY).status is (
        DayStatus.LOW_TRAFFIC
    )
    assert classify_day(slo, d, None, POLICY).status is DayStatus.NO_DATA
    assert classify_day(slo, d, None, POLICY, excluded=True).status is DayStatus.EXCLUDED
    # a count SLO without events is met (zero is a result)
    assert classify_day(count_slo(), d, None, POLICY).status is DayStatus.MET


def test_margin_basis_target() -> None:
    slo = ratio_slo(target=0.995)
    assert relative_margin(slo, 0.996, MarginBasis.BUDGET) == pytest.approx(0.2)
    assert relative_margin(slo, 0.996, MarginBasis.TARGET) == pytest.approx(0.001 / 0.995)
    assert relative_margin(latency_slo(), 1990.0, MarginBasis.BUDGET) == pytest.approx(0.005)


def test_sev2_per_missed_day_and_suppressed_by_same_day_sev1() -> None:
    slo = ratio_slo()
    days = [
        (date(2026, 3, 2), ratio_result("preset", 9_800, 200, T0, DAY), False, False),
        (date(2026, 3, 3), ratio_result("preset", 9_800, 200, T0 + DAY, DAY), False, False),
        (date(2026, 3, 4), ratio_result("preset", 9_800, 200, T0 + 2 * DAY, DAY), False, True),
    ]
    buckets = [
        ratio_result("preset", 50, 50, T0 + DAY + i * FIVE) for i in range(20)
    ]  # a 100-minute Sev-1 on the second day
    found = find_incidents(slo, days=days, buckets=buckets, policy=POLICY)
    sev = sorted((i.severity, i.start) for i in found.incidents)
    assert sev == [(1, T0 + DAY), (2, T0)]  # partial third day: no Sev-2 yet
    numbered = number_incidents(found.incidents)
    assert [i.id for i in numbered] == ["INC-1", "INC-2"]
    assert numbered[0].severity == 2 and numbered[0].duration_s == 86400


def test_near_miss_day_is_sev3() -> None:
    slo = ratio_slo()
    days = [(date(2026, 3, 2), ratio_result("preset", 199_001, 999, T0, DAY), False, False)]
    found = find_incidents(slo, days=days, buckets=[], policy=POLICY)
    assert [i.severity for i in found.incidents] == [3]


def test_fully_excluded() -> None:
    excl = [
        Exclusion(T0, T0 + timedelta(hours=12), frozenset({"preset"}), "deploy"),
        Exclusion(T0 + timedelta(hours=12), T0 + DAY, None, "migration"),
    ]
    assert fully_excluded("preset", T0, T0 + DAY, excl)
    assert not fully_excluded("other", T0, T0 + DAY, excl)
    assert fully_excluded("other", T0 + timedelta(hours=13), T0 + DAY, excl)


def test_series_helper_is_sound() -> None:
    s = series("preset", T0, 3, 10, {1: 4})
    assert [(r.good, r.total) for r in s] == [(10, 10), (6, 10), (10, 10)]


@given(pattern=st.lists(st.sampled_from(["good", "bad", "none", "low"]), min_size=1, max_size=120))
@settings(max_examples=200, deadline=None)
def test_sev1_runs_property(pattern: list[str]) -> None:
    """Each Sev-1 spans only badly missing buckets (bridging at most 15 minutes without
    data), lasts more than 60 minutes, and no longer such run is left unreported."""
    slo = ratio_slo()
    buckets = []
    for i, kind in enumerate(pattern):
        start = T0 + i * FIVE
        if kind == "good":
            buckets.append(ratio_result("preset", 100, 0, start))
        elif kind == "bad":
            buckets.append(ratio_result("preset", 50, 50, start))
        elif kind == "low":
            buckets.append(ratio_result("preset", 1, 1, start))
    incidents = sev1_incidents(slo, buckets, POLICY)[0]
    covered = set()
    for inc in incidents:
        assert inc.end - inc.start > timedelta(minutes=60)
        first, last = int((inc.start - T0) / FIVE), int((inc.end - T0) / FIVE) - 1
        assert pattern[first] == "bad" and pattern[last] == "bad"
        gap = 0
        for i in range(first, last + 1):
            assert pattern[i] != "good"
            gap = gap + 1 if pattern[i] != "bad" else 0
            assert gap <= 3  # at most 15 minutes bridged
            covered.add(i)
    # maximal runs computed independently
    runs, current, gap = [], [], 0
    for i, kind in enumerate(pattern + ["good"]):
        if kind == "bad":
            if current and gap > 3:
                runs.append(current)
                current = []
            current.append(i)
            gap = 0
        elif kind == "good":
            if current:
                runs.append(current)
            current, gap = [], 0
        else:
            gap += 1
    long_runs = [r for r in runs if (r[-1] - r[0] + 1) * 5 > 60]
    assert len(long_runs) == len(incidents)
    for r in long_runs:
        assert r[0] in covered and r[-1] in covered


def test_growth_days_need_only_the_slo_min_samples() -> None:
    from slogate.core.slo import SLO, GrowthSLI, Op, Selector, Target, Unit

    growth = SLO(
        "mem", "hydra", "mem", GrowthSLI(Selector(("m",)), "heap"), Target(Op.LE, 150, Unit.MB)
    )
    r = SLIResult("mem", 180.0, None, None, 3, {"units": 9, "units_reached": 3})
    assert classify_day(growth, date(2026, 3, 2), r, POLICY).status is DayStatus.MISSED
