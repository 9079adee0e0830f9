"""Multiwindow, multi-burn-rate alerts (SRE Workbook, chapter 5), replayed over history.

The policy is data: each `BurnWindow` pairs a long and a short window with a
burn-rate factor; an alert of a severity fires while, for any of its windows,
both the long and the short window's error rate exceed `factor * allowed`
(Sloth's form: `rate_short > f * budget and rate_long > f * budget`). The
error rate of a window is the ratio of sums (bad / total over the buckets
inside it), as Prometheus computes `rate(bad) / rate(total)`.

Replay evaluates at every bucket boundary `t`; the windows cover
`[t - L, t)`. A window with no events has no error rate and never fires. The
minimum-events guard requires at least `min_events` events in the long window,
so that a quiet hour with one failure does not page. A firing interval runs
from the first evaluation at which the alert fires to the first at which it
no longer does (or the end of the replay, marked `open`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slogate.core.incidents import Incident


@dataclass(frozen=True, slots=True)
class BurnWindow:
    severity: str  # "page" or "ticket"
    long: timedelta
    short: timedelta
    factor: float

    @property
    def name(self) -> str:
        return f"{_span(self.long)}/{_span(self.short)}"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


#: The SRE Workbook's policy for a 30-day SLO (also shipped as
#: `slogate/config/defaults/burn_windows_30d.yaml`).
DEFAULT_BURN_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("page", timedelta(hours=1), timedelta(minutes=5), 14.4),
    BurnWindow("page", timedelta(hours=6), timedelta(minutes=30), 6.0),
    BurnWindow("ticket", timedelta(hours=24), timedelta(hours=2), 3.0),
    BurnWindow("ticket", timedelta(hours=72), timedelta(hours=6), 1.0),
)


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    windows: tuple[BurnWindow, ...] = DEFAULT_BURN_WINDOWS
    min_events: int = 30
    match_grace: timedelta = timedelta(hours=1)
    match_severities: frozenset[int] = frozenset({1, 2})

    @property
    def longest(self) -> timedelta:
        return max((w.long for w in self.windows), default=timedelta(0))

    def severities(self) -> list[str]:
        seen: dict[str, None] = {}
        for w in self.windows:
            seen.setdefault(w.severity, None)
        return list(seen)


@dataclass(frozen=True, slots=True)
class BucketCount:
    start: datetime
    bad: int
    total: int


@dataclass(frozen=True, slots=True)
class AlertFiring:
    slo_id: str
    severity: str
    start: datetime
    end: datetime
    windows: tuple[str, ...]  # which window pairs fired at some point
    peak_burn_rate: float  # highest short-window burn rate while firing
    open: bool = False  # still firing at the end of the replay
    id: str = ""

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


def replay(
    slo_id: str,
    allowed: float,
    buckets: Sequence[BucketCount],
    *,
    step: timedelta,
    start: datetime,
    end: datetime,
    policy: AlertPolicy,
) -> list[AlertFiring]:
    """Firing intervals of each severity between `start` and `end`.

    `buckets` may begin before `start` (history warms up the long windows) and may
    omit empty buckets; they must be aligned on `step`."""
    if allowed <= 0 or not policy.windows or not buckets:
        return []
    origin = min(min(b.start for b in buckets), start - policy.longest)
    n = int((end - origin) / step)
    bad = [0] * n
    total = [0] * n
    for b in buckets:
        i = int((b.start - origin) / step)
        if 0 <= i < n:
            bad[i] += b.bad
            total[i] += b.total
    pbad = [0] * (n + 1)
    ptot = [0] * (n + 1)
    for i in range(n):
        pbad[i + 1] = pbad[i] + bad[i]
        ptot[i + 1] = ptot[i] + total[i]

    first = int((start - origin) / step)
    firings: list[AlertFiring] = []
    for severity in policy.severities():
        # Window lengths in buckets and thresholds, worked out once: the loop
        # below runs once per bucket of the window and its warm-up.
        windows = [
            (w.name, int(w.long / step), int(w.short / step), w.factor * allowed)
            for w in policy.windows
            if w.severity == severity
        ]
        current: dict[str, object] | None = None
        for idx in range(max(first, 1), n + 1):
            fired: list[str] = []
            peak = 0.0
            for name, k_long, k_short, threshold in windows:
                lo = idx - k_long if idx > k_long else 0
                long_events = ptot[idx] - ptot[lo]
                if long_events == 0 or long_events < policy.min_events:
                    continue
                if (pbad[idx] - pbad[lo]) / long_events <= threshold:
                    continue
                lo = idx - k_short if idx > k_short else 0
                short_events = ptot[idx] - ptot[lo]
                if short_events == 0:
                    continue
                short_rate = (pbad[idx] - pbad[lo]) / short_events
                if short_rate > threshold:
                    fired.append(name)
                    peak = max(peak, short_rate / allowed)
            if fired:
                if current is None:
                    at = origin + idx * step
                    current = {"start": at, "windows": dict.fromkeys(fired), "peak": peak}
                else:
                    current["windows"].update(dict.fromkeys(fired))  # type: ignore[attr-defined]
                    current["peak"] = max(current["peak"], peak)  # type: ignore[call-overload]
            elif current is not None:
                firings.append(_firing(slo_id, severity, current, origin + idx * step, open_=False))
                current = None
        if current is not None:
            firings.append(_firing(slo_id, severity, current, origin + n * step, open_=True))
    return sorted(firings, key=lambda f: (f.start, f.severity))


def _firing(
    slo_id: str, severity: str, current: dict[str, object], end: datetime, *, open_: bool
) -> AlertFiring:
    start = current["start"]
    assert isinstance(start, datetime)
    windows = current["windows"]
    assert isinstance(windows, dict)
    peak = current["peak"]
    assert isinstance(peak, float)
    return AlertFiring(slo_id, severity, start, end, tuple(windows), peak, open_)


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """Which alert caught which incident (alert quality evidence)."""

    firings: list[AlertFiring]
    caught: dict[str, list[str]] = field(default_factory=dict)  # alert id -> incident ids
    caught_by: dict[str, list[str]] = field(default_factory=dict)  # incident id -> alert ids
    missed: list[Incident] = field(default_factory=list)  # incidents no alert caught

    @property
    def noise(self) -> list[AlertFiring]:
        """Alerts that caught no incident."""
        return [f for f in self.firings if not self.caught.get(f.id)]


def number_firings(firings: Sequence[AlertFiring]) -> list[AlertFiring]:
    ordered = sorted(firings, key=lambda f: (f.start, f.severity, f.slo_id))
    return [
        AlertFiring(
            f.slo_id, f.severity, f.start, f.end, f.windows, f.peak_burn_rate, f.open, f"ALERT-{n}"
        )
        for n, f in enumerate(ordered, start=1)
    ]


def match_alerts(
    firings: Sequence[AlertFiring], incidents: Sequence[Incident], policy: AlertPolicy
) -> AlertMatch:
    """An alert catches an incident of the same SLO when it fires between the
    incident's start and its end plus `match_grace` (long windows lag). Incidents
    of severities outside `match_severities` (near misses) are matched when caught
    but never listed as missed."""
    caught: dict[str, list[str]] = {f.id: [] for f in firings}
    caught_by: dict[str, list[str]] = {}
    missed: list[Incident] = []
    for inc in incidents:
        hits = [
            f.id
            for f in firings
            if f.slo_id == inc.slo_id
            and f.start < inc.end + policy.match_grace
            and f.end > inc.start
        ]
        caught_by[inc.id] = hits
        for h in hits:
            caught[h].append(inc.id)
        if not hits and inc.severity in policy.match_severities:
            missed.append(inc)
    return AlertMatch(list(firings), caught, caught_by, missed)
