"""Incidents by the runbook's severities, found in bucketed SLI results.

- **Sev-1**: over 5-minute buckets, the SLI misses its target by more than 5 %
  of the target value in every bucket with data for more than 60 consecutive
  minutes (ratio, rate, distinct ratio and quantile SLOs; a count target is a
  per-day number, so counts are judged per day only).
- **Sev-2**: a complete day whose value misses the target.
- **Sev-3**: a complete day whose value meets the target with less than 1 %
  margin.

Buckets without data (the engine omits them) and low-traffic buckets (fewer
events than `min_events_per_bucket`) are neither a miss nor a pass: inside a
run of missing buckets they are bridged when the gap between two buckets with
data is at most `sev1_max_gap`; a longer gap ends the run. The run starts at
the start of its first missing bucket and ends at the end of its last one; its
duration is wall-clock time including bridged gaps. A day with fewer events
than `min_events_per_day` is `low_traffic`, never a miss. A Sev-2 is not
reported for a day of an SLO that already has a Sev-1 overlapping that day
(it is the same incident at a higher severity).

Margins: Sev-1 compares the miss to the target value (`|target| * 5 %`; a zero
target counts any miss). Sev-3's margin is, by default, measured against the
error budget for fractions with a lower bound (`(value - t) / (1 - t)`), since
1 % of a 99.5 % target would call every day at target a near miss; all other
targets use the target value. `margin_basis: target` uses the target value
everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from slogate.core.result import Exclusion, SLIResult
from slogate.core.slo import SLO, SLIKind, Unit

SEV1_KINDS = frozenset({SLIKind.RATIO, SLIKind.RATE, SLIKind.DISTINCT_RATIO, SLIKind.QUANTILE})
DAY = timedelta(days=1)


class MarginBasis(StrEnum):
    BUDGET = "budget"
    TARGET = "target"


@dataclass(frozen=True, slots=True)
class IncidentPolicy:
    bucket: timedelta = timedelta(minutes=5)
    sev1_miss_fraction: float = 0.05
    sev1_min_duration: timedelta = timedelta(minutes=60)
    sev1_max_gap: timedelta = timedelta(minutes=15)
    sev3_margin: float = 0.01
    margin_basis: MarginBasis = MarginBasis.BUDGET
    min_events_per_bucket: int = 5
    min_events_per_day: int = 20


class DayStatus(StrEnum):
    MET = "met"
    NEAR_MISS = "near_miss"  # met, with less than the Sev-3 margin
    MISSED = "missed"
    LOW_TRAFFIC = "low_traffic"
    NO_DATA = "no_data"
    EXCLUDED = "excluded"  # the whole day is under maintenance for this SLO
    NO_TARGET = "no_target"


@dataclass(frozen=True, slots=True)
class DayVerdict:
    day: date
    status: DayStatus
    value: float | None
    samples: int
    good: int | None
    total: int | None
    margin: float | None  # signed, in the SLI's unit; negative = miss
    relative_margin: float | None
    partial: bool = False  # the day has not finished yet

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat(),
            "status": self.status.value,
            "value": self.value,
            "samples": self.samples,
            "good": self.good,
            "total": self.total,
            "margin": _r(self.margin),
            "relative_margin": _r(self.relative_margin),
            "met": _met(self.status),
            "partial": self.partial,
        }


def _met(status: DayStatus) -> bool | None:
    if status in (DayStatus.MET, DayStatus.NEAR_MISS):
        return True
    if status is DayStatus.MISSED:
        return False
    return None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 9)


@dataclass(frozen=True, slots=True)
class Incident:
    slo_id: str
    pillar: str
    severity: int
    start: datetime
    end: datetime
    worst_value: float | None
    reason: str
    buckets: int = 0  # buckets with data that missed (Sev-1)
    id: str = ""

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "slo": self.slo_id,
            "pillar": self.pillar,
            "severity": self.severity,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "duration_s": self.duration_s,
            "worst_value": self.worst_value,
            "reason": self.reason,
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event_count(result: SLIResult) -> int:
    """Events a bucket's value rests on (the low-traffic guard compares this)."""
    if result.total is not None:
        return result.total
    return result.samples


def relative_margin(slo: SLO, value: float, basis: MarginBasis) -> float | None:
    """Signed margin as a fraction of the basis (see the module docstring)."""
    target = slo.target
    if target is None:
        return None
    raw = target.margin(value)
    if (
        basis is MarginBasis.BUDGET
        and target.unit is Unit.RATIO
        and target.op.is_lower_bound
        and target.value < 1
    ):
        return raw / (1.0 - target.value)
    if target.value == 0:
        return None
    return raw / abs(target.value)


def misses_badly(slo: SLO, value: float, miss_fraction: float) -> bool:
    """Misses the target by more than `miss_fraction` of the target value."""
    target = slo.target
    if target is None:
        return False
    if target.met_by(value):
        return False
    return -target.margin(value) > miss_fraction * abs(target.value)


def classify_day(
    slo: SLO,
    day: date,
    result: SLIResult | None,
    policy: IncidentPolicy,
    *,
    excluded: bool = False,
    partial: bool = False,
) -> DayVerdict:
    """A day's status; a count SLO without events has the value 0 (a result)."""
    if result is None and slo.kind is SLIKind.COUNT:
        result = SLIResult(slo.id, 0.0, None, None, 0, {"matched": 0})
    if result is None or result.value is None:
        status = DayStatus.EXCLUDED if excluded else DayStatus.NO_DATA
        if slo.target is None:
            status = DayStatus.NO_TARGET
        samples = 0 if result is None else result.samples
        return DayVerdict(day, status, None, samples, None, None, None, None, partial)
    value = result.value
    base = (day, value, result.samples, result.good, result.total)
    if slo.target is None:
        return DayVerdict(
            base[0], DayStatus.NO_TARGET, value, base[2], base[3], base[4], None, None, partial
        )
    margin = slo.target.margin(value)
    rel = relative_margin(slo, value, policy.margin_basis)
    # counts are judged at zero events; growth rests on a few long sessions, so only
    # the SLO's own min_samples applies to it
    low = slo.kind is not SLIKind.COUNT and (
        result.met(slo) is None
        or (slo.kind is not SLIKind.GROWTH and event_count(result) < policy.min_events_per_day)
    )
    if low:
        status = DayStatus.LOW_TRAFFIC
    elif not slo.target.met_by(value):
        status = DayStatus.MISSED
    elif rel is not None and rel < policy.sev3_margin:
        status = DayStatus.NEAR_MISS
    else:
        status = DayStatus.MET
    return DayVerdict(
        day, status, value, result.samples, result.good, result.total, margin, rel, partial
    )


@dataclass(frozen=True, slots=True)
class BucketTraffic:
    """How many 5-minute buckets an SLO had, by kind (reported, not judged)."""

    with_data: int = 0
    low_traffic: int = 0
    missing_badly: int = 0


@dataclass
class _Run:
    start: datetime
    end: datetime
    worst: float
    buckets: int = 1


def sev1_incidents(
    slo: SLO, buckets: Sequence[SLIResult], policy: IncidentPolicy
) -> tuple[list[Incident], BucketTraffic]:
    """Runs of badly missing buckets longer than `sev1_min_duration` (see module doc)."""
    if slo.target is None or slo.kind not in SEV1_KINDS:
        return [], BucketTraffic()
    ordered = sorted(
        (b for b in buckets if b.bucket_start is not None and b.value is not None),
        key=lambda b: b.bucket_start or datetime.min,
    )
    incidents: list[Incident] = []
    with_data = low = bad = 0
    run: _Run | None = None
    worse = _worse(slo)

    def close(current: _Run | None) -> None:
        if current is None:
            return
        if current.end - current.start > policy.sev1_min_duration:
            incidents.append(
                Incident(
                    slo.id,
                    slo.pillar,
                    1,
                    current.start,
                    current.end,
                    current.worst,
                    f"missed target by more than {policy.sev1_miss_fraction:.0%} of the target "
                    f"in every {int(policy.bucket.total_seconds() // 60)}-minute bucket with "
                    f"data for {(current.end - current.start).total_seconds() / 60:.0f} minutes",
                    current.buckets,
                )
            )

    for b in ordered:
        assert b.bucket_start is not None and b.value is not None
        end = b.bucket_end or b.bucket_start + policy.bucket
        if event_count(b) < max(policy.min_events_per_bucket, 1):
            low += 1
            continue
        with_data += 1
        if misses_badly(slo, b.value, policy.sev1_miss_fraction):
            bad += 1
            if run is not None and b.bucket_start - run.end <= policy.sev1_max_gap:
                run.end = end
                run.worst = worse(run.worst, b.value)
                run.buckets += 1
            else:
                close(run)
                run = _Run(b.bucket_start, end, b.value)
        else:
            close(run)
            run = None
    close(run)
    return incidents, BucketTraffic(with_data, low, bad)


def _worse(slo: SLO) -> Callable[[float, float], float]:
    assert slo.target is not None
    return min if slo.target.op.is_lower_bound else max


def daily_incidents(
    slo: SLO, verdicts: Sequence[DayVerdict], sev1: Sequence[Incident]
) -> list[Incident]:
    """Sev-2 for each complete missed day, Sev-3 for each complete near miss."""
    out: list[Incident] = []
    for v in verdicts:
        if v.partial:
            continue
        start = datetime.combine(v.day, datetime.min.time(), tzinfo=UTC)
        end = start + DAY
        if v.status is DayStatus.MISSED:
            if any(i.start < end and i.end > start for i in sev1):
                continue
            out.append(
                Incident(
                    slo.id,
                    slo.pillar,
                    2,
                    start,
                    end,
                    v.value,
                    f"daily value {v.value} misses target {_target_text(slo)}",
                )
            )
        elif v.status is DayStatus.NEAR_MISS:
            out.append(
                Incident(
                    slo.id,
                    slo.pillar,
                    3,
                    start,
                    end,
                    v.value,
                    f"daily value {v.value} meets target {_target_text(slo)} with a "
                    f"margin of {v.relative_margin:.2%}",
                )
            )
    return out


def _target_text(slo: SLO) -> str:
    t = slo.target
    return "none" if t is None else f"{t.op.value} {t.value:g} {t.unit.value}"


@dataclass(frozen=True, slots=True)
class SLOIncidents:
    slo_id: str
    days: list[DayVerdict] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    traffic: BucketTraffic = BucketTraffic()


def find_incidents(
    slo: SLO,
    *,
    days: Sequence[tuple[date, SLIResult | None, bool, bool]],
    buckets: Sequence[SLIResult],
    policy: IncidentPolicy,
) -> SLOIncidents:
    """All incidents of one SLO. `days` holds (day, result, excluded, partial)."""
    verdicts = [
        classify_day(slo, d, r, policy, excluded=excl, partial=part) for d, r, excl, part in days
    ]
    sev1, traffic = sev1_incidents(slo, buckets, policy)
    return SLOIncidents(slo.id, verdicts, sev1 + daily_incidents(slo, verdicts, sev1), traffic)


def number_incidents(incidents: Sequence[Incident]) -> list[Incident]:
    """Stable ids (INC-1, ...) in order of start, severity, SLO."""
    ordered = sorted(incidents, key=lambda i: (i.start, i.severity, i.slo_id))
    return [
        Incident(
            i.slo_id,
            i.pillar,
            i.severity,
            i.start,
            i.end,
            i.worst_value,
            i.reason,
            i.buckets,
            f"INC-{n}",
        )
        for n, i in enumerate(ordered, start=1)
    ]


def fully_excluded(
    slo_id: str, start: datetime, end: datetime, exclusions: Sequence[Exclusion]
) -> bool:
    """Whether maintenance windows cover all of [start, end) for this SLO."""
    spans = sorted((e.start, e.end) for e in exclusions if e.applies_to(slo_id))
    cursor = start
    for s, e in spans:
        if s > cursor:
            break
        cursor = max(cursor, e)
        if cursor >= end:
            return True
    return cursor >= end


def severity_counts(incidents: Sequence[Incident]) -> Mapping[int, int]:
    counts = {1: 0, 2: 0, 3: 0}
    for i in incidents:
        counts[i.severity] = counts.get(i.severity, 0) + 1
    return counts
