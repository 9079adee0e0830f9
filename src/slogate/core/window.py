"""The validation window (DOMAIN.md section 7): bounds, progress, completion.

A window is `days` UTC days from `start`. A day is complete once `now` has
passed its end; a window with fewer complete days than `days` is
`in_progress` (never `failed`, whatever it has seen so far). A complete window
is `complete` when every completion criterion passes, else `failed`:

1. `daily_snapshots`: every day of the window is complete and has data (a day
   with no event for any SLO has no snapshot worth the name);
2. `measurable_have_samples`: every measurable_now SLO has a non-zero sample
   count over the window (count SLOs excepted: zero matches is a result);
3. `no_sev1`: there was no Sev-1;
4. `measurable_met_target`: every measurable_now SLO met its target over the
   window as a whole;
5. `soak_have_data`: every instrumented_needs_soak SLO has initial data.

Two consecutive complete days on which some measurable_now SLO of a pillar
missed its target (low-traffic and no-data days are not misses) is an
automatic NO-GO; the pillars are listed in `consecutive_miss_pillars`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from slogate.core.alerts import (
    AlertMatch,
    AlertPolicy,
    BucketCount,
    match_alerts,
    number_firings,
    replay,
)
from slogate.core.budget import (
    BudgetKind,
    BudgetPolicy,
    PillarBudget,
    SLOBudget,
    allowed_bad_fraction,
    bad_and_total,
    excluded_days,
    pillar_budgets,
    slo_budget,
)
from slogate.core.incidents import (
    DayStatus,
    DayVerdict,
    Incident,
    IncidentPolicy,
    SLOIncidents,
    find_incidents,
    fully_excluded,
    number_incidents,
    relative_margin,
)
from slogate.core.result import Exclusion, SLIResult
from slogate.core.slo import SLO, Measurability, SLIKind

DAY = timedelta(days=1)


class WindowStatus:
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WindowSpan:
    """`days` UTC days from `start` (00:00 UTC)."""

    start: date
    days: int = 7

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return self.since + self.days * DAY

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def days_completed(self, now: datetime) -> int:
        if now <= self.since:
            return 0
        return min(self.days, int((now - self.since) / DAY))

    def evaluated_until(self, now: datetime) -> datetime:
        """End of the data a report may use: the window end, or `now` when earlier."""
        return max(self.since, min(self.until, now))

    def is_complete(self, now: datetime) -> bool:
        return self.days_completed(now) >= self.days


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    passed: bool
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "passed": self.passed, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class SLOWindow:
    slo: SLO
    status: Measurability
    days: list[DayVerdict]
    window_value: float | None
    window_samples: int
    met: bool | None
    worst_day: DayVerdict | None
    min_margin: float | None
    min_relative_margin: float | None
    low_traffic_buckets: int = 0

    def to_json(self) -> dict[str, object]:
        target = self.slo.target
        return {
            "id": self.slo.id,
            "pillar": self.slo.pillar,
            "name": self.slo.name,
            "kind": self.slo.kind.value,
            "status": self.status.value,
            "target": None
            if target is None
            else {"op": target.op.value, "value": target.value, "unit": target.unit.value},
            "daily": [d.to_json() for d in self.days],
            "window_value": self.window_value,
            "window_samples": self.window_samples,
            "worst_day": None
            if self.worst_day is None
            else {"date": self.worst_day.day.isoformat(), "value": self.worst_day.value},
            "min_margin": None if self.min_margin is None else round(self.min_margin, 9),
            "min_relative_margin": None
            if self.min_relative_margin is None
            else round(self.min_relative_margin, 9),
            "met": self.met,
            "low_traffic_days": [
                d.day.isoformat() for d in self.days if d.status is DayStatus.LOW_TRAFFIC
            ],
            "no_data_days": [d.day.isoformat() for d in self.days if d.status is DayStatus.NO_DATA],
            "low_traffic_buckets": self.low_traffic_buckets,
        }


@dataclass(frozen=True, slots=True)
class WindowReport:
    span: WindowSpan
    now: datetime
    days_completed: int
    status: str
    criteria: list[Criterion]
    slos: list[SLOWindow]
    incidents: list[Incident]
    budgets: list[SLOBudget]
    pillars: dict[str, PillarBudget]
    consecutive_misses: dict[str, list[tuple[date, date]]]
    alerts: AlertMatch
    exclusions: list[Exclusion]
    budget_policy: BudgetPolicy
    incident_policy: IncidentPolicy
    alert_policy: AlertPolicy
    notes: list[str] = field(default_factory=list)

    @property
    def consecutive_miss_pillars(self) -> list[str]:
        return sorted(self.consecutive_misses)

    def to_json(self) -> dict[str, object]:
        """The window document (CONTRACTS.md), without the provenance keys the
        service adds (`generated`, `inputs`, `config_sha256`, `tool_version`)."""
        return {
            "start": self.span.start.isoformat(),
            "end": (self.span.start + timedelta(days=self.span.days - 1)).isoformat(),
            "days": self.span.days,
            "days_completed": self.days_completed,
            "status": self.status,
            "now": _iso(self.now),
            "completion_criteria": [c.to_json() for c in self.criteria],
            "consecutive_miss_pillars": self.consecutive_miss_pillars,
            "consecutive_misses": {
                p: [[a.isoformat(), b.isoformat()] for a, b in pairs]
                for p, pairs in sorted(self.consecutive_misses.items())
            },
            "incidents": [i.to_json() for i in self.incidents],
            "incident_counts": {
                f"sev{s}": sum(1 for i in self.incidents if i.severity == s) for s in (1, 2, 3)
            },
            "budgets": {
                "period": self.budget_policy.period.value,
                "period_days": self.budget_policy.period_days(self.span.since),
                "max_burned_fraction": self.budget_policy.max_burned_fraction,
                "exceeding_pillars": sorted(p for p, b in self.pillars.items() if b.exceeds),
                "slos": {b.slo_id: b.to_json() for b in self.budgets},
                "pillars": {p: b.to_json() for p, b in sorted(self.pillars.items())},
                "zero_target_slos": sorted(
                    b.slo_id for b in self.budgets if b.kind is BudgetKind.ZERO_TARGET
                ),
            },
            "alerts": alerts_json(self.alerts),
            "exclusions": [exclusion_json(e) for e in self.exclusions],
            "slos": [s.to_json() for s in self.slos],
            "policy": {
                "bucket_minutes": self.incident_policy.bucket.total_seconds() / 60,
                "sev1_miss_fraction": self.incident_policy.sev1_miss_fraction,
                "sev1_min_minutes": self.incident_policy.sev1_min_duration.total_seconds() / 60,
                "sev1_max_gap_minutes": self.incident_policy.sev1_max_gap.total_seconds() / 60,
                "sev3_margin": self.incident_policy.sev3_margin,
                "margin_basis": self.incident_policy.margin_basis.value,
                "min_events_per_bucket": self.incident_policy.min_events_per_bucket,
                "min_events_per_day": self.incident_policy.min_events_per_day,
                "burn_windows": [
                    {
                        "severity": w.severity,
                        "long_minutes": w.long.total_seconds() / 60,
                        "short_minutes": w.short.total_seconds() / 60,
                        "factor": w.factor,
                    }
                    for w in self.alert_policy.windows
                ],
                "alert_min_events": self.alert_policy.min_events,
            },
            "notes": list(self.notes),
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def exclusion_json(e: Exclusion) -> dict[str, object]:
    return {
        "start": _iso(e.start),
        "end": _iso(e.end),
        "slos": None if e.slo_ids is None else sorted(e.slo_ids),
        "reason": e.reason,
    }


def alerts_json(match: AlertMatch) -> dict[str, object]:
    return {
        "firings": [
            {
                "id": f.id,
                "slo": f.slo_id,
                "severity": f.severity,
                "start": _iso(f.start),
                "end": _iso(f.end),
                "duration_s": f.duration_s,
                "windows": list(f.windows),
                "peak_burn_rate": round(f.peak_burn_rate, 6),
                "open": f.open,
                "caught": match.caught.get(f.id, []),
            }
            for f in match.firings
        ],
        "caught_by": match.caught_by,
        "missed_incidents": [i.id for i in match.missed],
        "noise": [f.id for f in match.noise],
    }


def consecutive_misses(
    slos: Sequence[SLOWindow],
) -> dict[str, list[tuple[date, date]]]:
    """Pairs of consecutive complete days on which the pillar missed (measurable_now SLOs)."""
    missed: dict[str, set[date]] = {}
    for s in slos:
        if s.status is not Measurability.MEASURABLE_NOW:
            continue
        for d in s.days:
            if d.status is DayStatus.MISSED and not d.partial:
                missed.setdefault(s.slo.pillar, set()).add(d.day)
    out: dict[str, list[tuple[date, date]]] = {}
    for pillar, days in missed.items():
        pairs = [(d, d + timedelta(days=1)) for d in sorted(days) if d + timedelta(days=1) in days]
        if pairs:
            out[pillar] = pairs
    return out


def completion_criteria(
    span: WindowSpan,
    now: datetime,
    slos: Sequence[SLOWindow],
    incidents: Sequence[Incident],
) -> list[Criterion]:
    done = span.days_completed(now)
    criteria: list[Criterion] = []
    complete_days = span.day_list()[:done]
    empty = [
        d
        for i, d in enumerate(complete_days)
        if not any(len(s.days) > i and s.days[i].samples > 0 for s in slos)
    ]
    if done < span.days:
        reason = f"{done} of {span.days} days complete so far"
        if empty:
            reason += "; no data on " + ", ".join(d.isoformat() for d in empty)
        criteria.append(Criterion("daily_snapshots", False, reason))
    elif empty:
        criteria.append(
            Criterion(
                "daily_snapshots", False, "no data on " + ", ".join(d.isoformat() for d in empty)
            )
        )
    else:
        criteria.append(
            Criterion("daily_snapshots", True, f"{span.days} consecutive days with data")
        )

    measurable = [s for s in slos if s.status is Measurability.MEASURABLE_NOW]
    no_samples = [
        s.slo.id for s in measurable if s.window_samples <= 0 and s.slo.kind is not SLIKind.COUNT
    ]
    criteria.append(
        Criterion(
            "measurable_have_samples",
            not no_samples,
            "every measurable_now SLO has samples"
            if not no_samples
            else "no samples: " + ", ".join(no_samples),
        )
    )
    sev1 = [i for i in incidents if i.severity == 1]
    criteria.append(
        Criterion(
            "no_sev1",
            not sev1,
            "no Sev-1"
            if not sev1
            else f"{len(sev1)} Sev-1: " + ", ".join(f"{i.id} ({i.slo_id})" for i in sev1),
        )
    )
    judged = [s for s in measurable if s.slo.target is not None]  # monitors have no target
    not_met = [s for s in judged if s.met is not True]
    if not_met:
        parts = [
            f"{s.slo.id} ({'no data' if s.met is None else f'value {s.window_value:g}'})"
            for s in not_met
        ]
        criteria.append(Criterion("measurable_met_target", False, "not met: " + ", ".join(parts)))
    else:
        criteria.append(
            Criterion(
                "measurable_met_target",
                True,
                f"all {len(judged)} measurable_now SLOs with a target met it",
            )
        )
    soak = [s for s in slos if s.status is Measurability.INSTRUMENTED_NEEDS_SOAK]
    no_data = [s.slo.id for s in soak if s.window_samples <= 0]
    criteria.append(
        Criterion(
            "soak_have_data",
            not no_data,
            (f"all {len(soak)} needs_soak SLOs have initial data" if soak else "no needs_soak SLOs")
            if not no_data
            else "no data yet: " + ", ".join(no_data),
        )
    )
    return criteria


def _window_met(slo: SLO, result: SLIResult | None) -> bool | None:
    if result is None:
        if slo.kind is SLIKind.COUNT and slo.target is not None:
            return slo.target.met_by(0.0)
        return None
    return result.met(slo)


def build_window(
    span: WindowSpan,
    *,
    now: datetime,
    slos: Sequence[SLO],
    statuses: Mapping[str, Measurability],
    whole: Mapping[str, SLIResult],
    daily: Mapping[str, Sequence[SLIResult]],
    buckets: Mapping[str, Sequence[SLIResult]],
    exclusions: Sequence[Exclusion] = (),
    incident_policy: IncidentPolicy = IncidentPolicy(),
    budget_policy: BudgetPolicy = BudgetPolicy(),
    alert_policy: AlertPolicy = AlertPolicy(),
) -> WindowReport:
    """Everything the window reports, from results the engine computed in one pass:
    one whole-window result, daily results and `incident_policy.bucket` results per
    SLO (the latter may start before the window to warm up the alert windows)."""
    done = span.days_completed(now)
    until = span.evaluated_until(now)
    per_slo: list[SLOWindow] = []
    all_incidents: list[Incident] = []
    budgets: list[SLOBudget] = []
    bucketed: dict[str, list[SLIResult]] = {}
    for slo in slos:
        by_day = {
            r.bucket_start.date(): r for r in daily.get(slo.id, ()) if r.bucket_start is not None
        }
        day_inputs: list[tuple[date, SLIResult | None, bool, bool]] = []
        for i, d in enumerate(span.day_list()):
            day_start = span.since + i * DAY
            if day_start >= until:
                break
            partial = i >= done
            excl = fully_excluded(slo.id, day_start, day_start + DAY, exclusions)
            day_inputs.append((d, by_day.get(d), excl, partial))
        in_window = [
            b
            for b in buckets.get(slo.id, ())
            if b.bucket_start is not None and span.since <= b.bucket_start < until
        ]
        found: SLOIncidents = find_incidents(
            slo, days=day_inputs, buckets=in_window, policy=incident_policy
        )
        all_incidents.extend(found.incidents)
        result = whole.get(slo.id)
        judged = [
            d
            for d in found.days
            if d.value is not None and d.status not in (DayStatus.LOW_TRAFFIC, DayStatus.NO_TARGET)
        ]
        worst = min(judged, key=lambda d: d.margin or 0.0) if judged else None
        window_value = result.value if result is not None else None
        if result is None and slo.kind is SLIKind.COUNT:
            window_value = 0.0
        rel = (
            relative_margin(slo, window_value, incident_policy.margin_basis)
            if window_value is not None and slo.target is not None
            else None
        )
        min_margin = worst.margin if worst is not None else None
        min_rel = worst.relative_margin if worst is not None else rel
        per_slo.append(
            SLOWindow(
                slo=slo,
                status=statuses.get(slo.id, Measurability.MEASURABLE_NOW),
                days=found.days,
                window_value=window_value,
                window_samples=result.samples if result is not None else 0,
                met=_window_met(slo, result),
                worst_day=worst,
                min_margin=min_margin,
                min_relative_margin=min_rel,
                low_traffic_buckets=found.traffic.low_traffic,
            )
        )
        spans = [(e.start, e.end) for e in exclusions if e.applies_to(slo.id)]
        observed = (until - span.since) / DAY - excluded_days(spans, span.since, until)
        budgets.append(
            slo_budget(
                slo, result, observed_days=observed, policy=budget_policy, period_at=span.since
            )
        )
        bucketed[slo.id] = list(buckets.get(slo.id, ()))

    incidents = number_incidents(all_incidents)
    firings = []
    for slo in slos:
        allowed = allowed_bad_fraction(slo)
        if allowed is None or allowed <= 0 or slo.target is None:
            continue
        counts = [
            BucketCount(b.bucket_start, *bad_and_total(slo, b))
            for b in bucketed[slo.id]
            if b.bucket_start is not None and b.bucket_start < until
        ]
        firings.extend(
            replay(
                slo.id,
                allowed,
                counts,
                step=incident_policy.bucket,
                start=span.since,
                end=until,
                policy=alert_policy,
            )
        )
    match = match_alerts(number_firings(firings), incidents, alert_policy)
    criteria = completion_criteria(span, now, per_slo, incidents)
    if done < span.days:
        status = WindowStatus.IN_PROGRESS
    elif all(c.passed for c in criteria):
        status = WindowStatus.COMPLETE
    else:
        status = WindowStatus.FAILED
    return WindowReport(
        span=span,
        now=now,
        days_completed=done,
        status=status,
        criteria=criteria,
        slos=per_slo,
        incidents=incidents,
        budgets=budgets,
        pillars=pillar_budgets(budgets, budget_policy),
        consecutive_misses=consecutive_misses(per_slo),
        alerts=match,
        exclusions=list(exclusions),
        budget_policy=budget_policy,
        incident_policy=incident_policy,
        alert_policy=alert_policy,
    )
