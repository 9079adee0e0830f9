"""Error budgets: allowed fractions per kind, burn over a window, per-pillar worst."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slogate.core.budget import (
    BudgetKind,
    BudgetPolicy,
    PeriodKind,
    allowed_bad_fraction,
    bad_and_total,
    budget_kind,
    excluded_days,
    live_status,
    pillar_budgets,
    slo_budget,
)
from slogate.core.result import SLIResult
from tests.core.window_factories import (
    T0,
    count_slo,
    latency_slo,
    rate_slo,
    ratio_result,
    ratio_slo,
    series,
)


def test_allowed_fraction_per_kind() -> None:
    assert allowed_bad_fraction(ratio_slo(target=0.995)) == pytest.approx(0.005)
    # p95 <= 2 s allows 5 % of samples over 2 s
    assert allowed_bad_fraction(latency_slo()) == pytest.approx(0.05)
    assert allowed_bad_fraction(rate_slo(target=0.001)) == pytest.approx(0.001)
    assert allowed_bad_fraction(count_slo()) is None


def test_zero_targets_are_incidents_not_budgets() -> None:
    assert budget_kind(count_slo()) is BudgetKind.ZERO_TARGET
    assert budget_kind(ratio_slo(target=1.0)) is BudgetKind.ZERO_TARGET
    assert budget_kind(ratio_slo()) is BudgetKind.BUDGET
    b = slo_budget(
        count_slo(),
        SLIResult("denied", 3.0, None, None, 3, {"matched": 3}),
        observed_days=7,
        policy=BudgetPolicy(),
        period_at=T0,
    )
    assert b.kind is BudgetKind.ZERO_TARGET
    assert b.burned_fraction is None and b.bad == 3


def test_burned_fraction_hand_worked() -> None:
    # 7 days, 100 000 events, 150 bad; target 99.5 % -> allowed 0.5 %.
    # Budget of 30 days = 0.005 * 100000 * 30/7 = 2142.857 events; burned = 150/2142.857 = 0.07
    b = slo_budget(
        ratio_slo(),
        ratio_result("preset", 99_850, 150),
        observed_days=7,
        policy=BudgetPolicy(),
        period_at=T0,
    )
    assert b.budget_events == pytest.approx(2142.857, rel=1e-6)
    assert b.burned_fraction == pytest.approx(0.07)
    assert b.burn_rate == pytest.approx(0.3)
    assert b.remaining_fraction == pytest.approx(0.93)


def test_calendar_periods() -> None:
    feb = datetime(2026, 2, 10, tzinfo=UTC)
    assert BudgetPolicy(PeriodKind.CALENDAR_MONTH).period_days(feb) == 28
    assert BudgetPolicy(PeriodKind.CALENDAR_MONTH).period_days(T0) == 31
    assert BudgetPolicy(PeriodKind.CALENDAR_WEEK).period_days(T0) == 7
    week = slo_budget(
        ratio_slo(),
        ratio_result("preset", 99_850, 150),
        observed_days=7,
        policy=BudgetPolicy(PeriodKind.CALENDAR_WEEK),
        period_at=T0,
    )
    assert week.burned_fraction == pytest.approx(0.3)


def test_quantile_bad_is_samples_over_threshold() -> None:
    r = SLIResult("p95", 2100.0, 900, 1000, 1000, {"samples": 1000, "within": 900})
    assert bad_and_total(latency_slo(), r) == (100, 1000)


def test_rate_bad_from_counts_or_value() -> None:
    slo = rate_slo()
    assert bad_and_total(slo, SLIResult("r413", 0.01, None, 200, 200, {"bad": 2})) == (2, 200)
    assert bad_and_total(slo, SLIResult("r413", 0.01, None, 200, 200, {})) == (2, 200)


def test_pillar_takes_worst_slo_and_flags_over_threshold() -> None:
    policy = BudgetPolicy(max_burned_fraction=0.25)
    a = slo_budget(
        ratio_slo("a"), ratio_result("a", 9_990, 10), observed_days=7, policy=policy, period_at=T0
    )
    # 0.6 % errors against 0.5 % allowed over 7 of 30 days: 1.2 * 7/30 = 0.28
    b = slo_budget(
        ratio_slo("b"), ratio_result("b", 9_940, 60), observed_days=7, policy=policy, period_at=T0
    )
    pillars = pillar_budgets([a, b], policy)
    assert pillars["hydra"].worst_slo == "b"
    assert pillars["hydra"].burned_fraction == pytest.approx(0.28)
    assert pillars["hydra"].exceeds


def test_excluded_days_merges_overlaps() -> None:
    spans = [
        (T0 + timedelta(hours=1), T0 + timedelta(hours=7)),
        (T0 + timedelta(hours=6), T0 + timedelta(hours=13)),
        (T0 - timedelta(days=2), T0 - timedelta(days=1)),
    ]
    assert excluded_days(spans, T0, T0 + timedelta(days=7)) == pytest.approx(0.5)


@given(
    good=st.integers(0, 10**6),
    bad=st.integers(0, 10**5),
    days=st.floats(0.5, 30),
    target=st.floats(0.5, 0.9999),
)
def test_burn_is_error_rate_over_allowed_times_share_of_period(
    good: int, bad: int, days: float, target: float
) -> None:
    b = slo_budget(
        ratio_slo(target=target),
        ratio_result("preset", good, bad),
        observed_days=days,
        policy=BudgetPolicy(),
        period_at=T0,
    )
    if good + bad == 0:
        assert b.burned_fraction in (0.0, None)
        return
    expected = (bad / (good + bad)) / (1 - target) * days / 30
    assert b.burned_fraction == pytest.approx(expected, rel=1e-9)


def test_live_status() -> None:
    slo = ratio_slo()
    now = T0 + timedelta(days=30)
    # 30 days of 5-minute buckets with 100 events; the last hour has 2 % errors.
    n = 30 * 288
    bad_at = {i: 2 for i in range(n - 12, n)}
    status = live_status(slo, series("preset", T0, n, 100, bad_at), now=now)
    total, bad = n * 100, 24
    assert status.sli == pytest.approx(1 - bad / total)
    assert status.budget_remaining == pytest.approx(1 - bad / (0.005 * total))
    assert status.burn_rate == pytest.approx(0.02 / 0.005)
