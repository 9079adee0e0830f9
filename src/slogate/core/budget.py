"""Error budgets: how much badness an SLO may spend per period, and how much it spent.

An SLO has an error budget when its SLI is a fraction of events that may go
wrong: a ratio or distinct ratio with a lower bound (`>= 99.5 %` allows 0.5 %
bad), a rate with an upper bound (`< 0.1 %` allows 0.1 % bad), and a pXX
latency (`p95 <= 2 s` allows 1 - 95 % = 5 % of samples over 2 s). The budget in
events is that allowed fraction times the events of the period.

An SLO whose allowed fraction is zero (a count or correlation with target 0, a
ratio of 100 %) has no budget to burn: any bad event is an incident, and the
window reports it as such. Measured values (memory growth) have no budget.

A window sees only part of the budget period (7 of 30 days). The budget of the
period is extrapolated from the events seen per observed day, so that
`burned = (bad / total) / allowed * observed_days / period_days`: the fraction
of the period's budget the window spent, the number G7 compares to 25 %.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from slogate.core.result import SLIResult
from slogate.core.slo import SLO, SLIKind

DAY = timedelta(days=1)


class BudgetKind(StrEnum):
    BUDGET = "budget"  # a fraction of events may be bad
    ZERO_TARGET = "zero_target"  # nothing may go wrong: bad events are incidents
    NONE = "none"  # a measured value or monitor: no event budget


class PeriodKind(StrEnum):
    ROLLING = "rolling"
    CALENDAR_MONTH = "calendar_month"
    CALENDAR_WEEK = "calendar_week"


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """How long the budget period is and when a pillar's burn is too much (G7)."""

    period: PeriodKind = PeriodKind.ROLLING
    days: int = 30
    max_burned_fraction: float = 0.25

    def period_days(self, at: datetime) -> float:
        """Length of the budget period that contains `at`: N days when rolling, else
        the calendar month (or ISO week) of `at`."""
        if self.period is PeriodKind.CALENDAR_MONTH:
            return float(calendar.monthrange(at.year, at.month)[1])
        if self.period is PeriodKind.CALENDAR_WEEK:
            return 7.0
        return float(self.days)


_BUDGET_KINDS = {SLIKind.RATIO, SLIKind.DISTINCT_RATIO, SLIKind.RATE, SLIKind.QUANTILE}


def budget_kind(slo: SLO) -> BudgetKind:
    if slo.target is None or slo.kind is SLIKind.MONITOR:
        return BudgetKind.NONE
    if slo.kind in (SLIKind.COUNT, SLIKind.CORRELATION):
        return BudgetKind.ZERO_TARGET if slo.target.value == 0 else BudgetKind.NONE
    if slo.kind not in _BUDGET_KINDS:
        return BudgetKind.NONE
    allowed = allowed_bad_fraction(slo)
    if allowed is None:
        return BudgetKind.NONE
    return BudgetKind.ZERO_TARGET if allowed <= 0 else BudgetKind.BUDGET


def allowed_bad_fraction(slo: SLO) -> float | None:
    """The fraction of events that may be bad; None when the SLO is not event-based.

    - ratio / distinct ratio with `>= t`: 1 - t;
    - rate with `< t` / `<= t`: t;
    - quantile q with an upper bound: 1 - q (p95 allows 5 % of samples over the threshold).
    """
    target = slo.target
    if target is None:
        return None
    if slo.kind in (SLIKind.RATIO, SLIKind.DISTINCT_RATIO):
        if not target.op.is_lower_bound:
            return None
        return max(0.0, 1.0 - target.value)
    if slo.kind is SLIKind.RATE:
        return max(0.0, target.value) if target.op.is_upper_bound else None
    if slo.kind is SLIKind.QUANTILE:
        quantile = getattr(slo.sli, "quantile", None)
        if quantile is None or not target.op.is_upper_bound:
            return None
        return max(0.0, round(1.0 - float(quantile), 12))
    return None


def bad_and_total(slo: SLO, result: SLIResult | None) -> tuple[int, int]:
    """Bad and total events behind a result ((0, 0) without data).

    For count kinds the matched events are all bad (the target is a count)."""
    if result is None:
        return 0, 0
    counts = result.counts
    if slo.kind is SLIKind.RATE:
        total = result.total if result.total is not None else int(counts.get("total", 0))
        if "bad" in counts:
            return int(counts["bad"]), int(total)
        value = result.value or 0.0
        return int(round(value * total)), int(total)
    if slo.kind is SLIKind.DISTINCT_RATIO and "started" in counts:
        return int(counts.get("failed", 0)), int(counts["started"])
    if slo.kind is SLIKind.COUNT:
        matched = int(counts.get("matched", result.value or 0))
        return matched, matched
    if slo.kind is SLIKind.CORRELATION:
        bad = int(counts.get("lost", 0)) + int(counts.get("duplicate", 0))
        return bad, int(counts.get("sent", result.samples))
    if result.good is not None and result.total is not None:
        return max(0, result.total - result.good), result.total
    if "good" in counts and "bad" in counts:
        return int(counts["bad"]), int(counts["good"]) + int(counts["bad"])
    return 0, int(result.total or 0)


@dataclass(frozen=True, slots=True)
class SLOBudget:
    """One SLO's budget over a window. `burned_fraction` is of the whole period's budget."""

    slo_id: str
    pillar: str
    kind: BudgetKind
    allowed_fraction: float | None
    bad: int
    total: int
    observed_days: float
    period_days: float
    budget_events: float | None  # the period's budget, extrapolated from the observed rate
    burned_fraction: float | None
    burn_rate: float | None  # error rate / allowed fraction over the window

    @property
    def remaining_fraction(self) -> float | None:
        return None if self.burned_fraction is None else 1.0 - self.burned_fraction

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "allowed_fraction": self.allowed_fraction,
            "bad": self.bad,
            "total": self.total,
            "observed_days": round(self.observed_days, 6),
            "period_days": self.period_days,
            "budget_events": _round(self.budget_events),
            "burned_fraction": _round(self.burned_fraction),
            "remaining_fraction": _round(self.remaining_fraction),
            "burn_rate": _round(self.burn_rate),
        }


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def slo_budget(
    slo: SLO,
    result: SLIResult | None,
    *,
    observed_days: float,
    policy: BudgetPolicy,
    period_at: datetime,
) -> SLOBudget:
    """The budget an SLO spent over `observed_days` of data (the window so far)."""
    kind = budget_kind(slo)
    bad, total = bad_and_total(slo, result)
    period_days = policy.period_days(period_at)
    allowed = allowed_bad_fraction(slo) if kind is BudgetKind.BUDGET else None
    budget_events = burned = burn_rate = None
    if kind is BudgetKind.BUDGET and allowed and observed_days > 0 and total > 0:
        # no events, no budget to speak of: None, not a reassuring 0 %
        budget_events = allowed * total * period_days / observed_days
        burned = bad / budget_events
        burn_rate = (bad / total) / allowed
    return SLOBudget(
        slo_id=slo.id,
        pillar=slo.pillar,
        kind=kind,
        allowed_fraction=allowed,
        bad=bad,
        total=total,
        observed_days=observed_days,
        period_days=period_days,
        budget_events=budget_events,
        burned_fraction=burned,
        burn_rate=burn_rate,
    )


@dataclass(frozen=True, slots=True)
class PillarBudget:
    pillar: str
    burned_fraction: float | None
    worst_slo: str | None
    exceeds: bool

    def to_json(self) -> dict[str, object]:
        return {
            "burned_fraction": _round(self.burned_fraction),
            "worst_slo": self.worst_slo,
            "exceeds": self.exceeds,
        }


def pillar_budgets(budgets: Iterable[SLOBudget], policy: BudgetPolicy) -> dict[str, PillarBudget]:
    """Per pillar the worst of its SLOs (a pillar is as burnt as its most burnt SLO)."""
    out: dict[str, PillarBudget] = {}
    by_pillar: dict[str, list[SLOBudget]] = {}
    for b in budgets:
        by_pillar.setdefault(b.pillar, []).append(b)
    for pillar, items in by_pillar.items():
        spent = [b for b in items if b.burned_fraction is not None]
        if not spent:
            out[pillar] = PillarBudget(pillar, None, None, False)
            continue
        worst = max(spent, key=lambda b: (b.burned_fraction or 0.0, b.slo_id))
        fraction = worst.burned_fraction or 0.0
        out[pillar] = PillarBudget(
            pillar, fraction, worst.slo_id, fraction > policy.max_burned_fraction
        )
    return out


def excluded_days(
    spans: Iterable[tuple[datetime, datetime]], since: datetime, until: datetime
) -> float:
    """Days of [since, until) covered by the union of `spans` (maintenance)."""
    clipped = sorted(
        (max(s, since), min(e, until)) for s, e in spans if min(e, until) > max(s, since)
    )
    covered = timedelta(0)
    cur_start: datetime | None = None
    cur_end: datetime | None = None
    for s, e in clipped:
        if cur_end is None or s > cur_end:
            if cur_start is not None and cur_end is not None:
                covered += cur_end - cur_start
            cur_start, cur_end = s, e
        else:
            cur_end = max(cur_end, e)
    if cur_start is not None and cur_end is not None:
        covered += cur_end - cur_start
    return covered / DAY


# --- live state for /metrics -------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """What a dashboard or /metrics shows for one SLO right now."""

    slo_id: str
    sli: float | None  # good / total over the budget period so far
    budget_remaining: float | None  # 1 - burned fraction of the period's budget
    burn_rate: float | None  # error rate over `burn_window` / allowed fraction


def live_status(
    slo: SLO,
    buckets: Sequence[SLIResult],
    *,
    now: datetime,
    policy: BudgetPolicy = BudgetPolicy(),
    burn_window: timedelta = timedelta(hours=1),
) -> LiveStatus:
    """Current SLI, budget remaining and burn rate from bucketed results (pure, so the
    server can refresh it from the store on an interval and serve it on each scrape).

    Buckets are those ending at or before `now` inside the budget period; the
    period's budget is extrapolated from the observed span when the history is
    shorter than the period."""
    period = timedelta(days=policy.period_days(now))
    since = now - period
    inside = [b for b in buckets if b.bucket_start is not None and since <= b.bucket_start < now]
    bad = total = 0
    recent_bad = recent_total = 0
    for b in inside:
        b_bad, b_total = bad_and_total(slo, b)
        bad += b_bad
        total += b_total
        if b.bucket_start is not None and b.bucket_start >= now - burn_window:
            recent_bad += b_bad
            recent_total += b_total
    if budget_kind(slo) is not BudgetKind.BUDGET:
        return LiveStatus(slo.id, None, None, None)
    allowed = allowed_bad_fraction(slo) or 0.0
    sli = None if total == 0 else 1.0 - bad / total
    if slo.kind is SLIKind.RATE and sli is not None:
        sli = bad / total
    first = min((b.bucket_start for b in inside if b.bucket_start is not None), default=None)
    observed = period if first is None else min(period, now - first)
    remaining = None
    if total and observed > timedelta(0) and allowed > 0:
        budget = allowed * total * (period / observed)
        remaining = 1.0 - bad / budget
    burn = None
    if recent_total and allowed > 0:
        burn = (recent_bad / recent_total) / allowed
    if math.isnan(remaining or 0.0):
        remaining = None
    return LiveStatus(slo.id, sli, remaining, burn)
