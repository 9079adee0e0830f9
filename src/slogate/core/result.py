"""The result of evaluating one SLI over one slice of time.

This is the contract between the engine (which computes counts and values on
DuckDB or Spark) and everything after it (snapshots, windows, budgets,
incidents, gates, dashboards). A whole-range snapshot is one `SLIResult` per
SLO with `bucket_start=None`; a window evaluation is a series of them per SLO,
one per bucket (day, 5 minutes, ...), computed in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from slogate.core.slo import SLO, SLIKind


@dataclass(frozen=True, slots=True)
class SLIResult:
    """Value and the counts it came from.

    - `value`: the SLI (a fraction for ratio kinds, ms/mb for quantile/growth,
      a count for count/correlation); None when there is no data.
    - `good` / `total`: the event counts behind a ratio (for a quantile, samples
      within the threshold / samples; for count kinds, None).
    - `samples`: how many data points the value rests on (events, units, sends).
    - `counts`: the raw counts by name (e.g. {"good": 10, "bad": 1}, per event
      for a monitor, {"lost": 0, "duplicate": 1, "sent": 40} for correlation).
    """

    slo_id: str
    value: float | None
    good: int | None
    total: int | None
    samples: int
    counts: dict[str, int] = field(default_factory=dict)
    bucket_start: datetime | None = None
    bucket_end: datetime | None = None

    def met(self, slo: SLO) -> bool | None:
        """True/False against the SLO target; None when no data, no target, or
        fewer samples than the SLO's minimum."""
        if slo.target is None or self.value is None:
            return None
        if slo.kind is SLIKind.COUNT:
            # Zero matching events is a result (no permission incidents), not missing data.
            return slo.target.met_by(self.value)
        if self.samples < max(slo.min_samples, 1):
            return None
        return slo.target.met_by(self.value)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A declared maintenance window: events in [start, end) are left out of the
    SLIs named (all SLOs when `slo_ids` is None), and reports say so."""

    start: datetime
    end: datetime
    slo_ids: frozenset[str] | None
    reason: str

    def applies_to(self, slo_id: str) -> bool:
        return self.slo_ids is None or slo_id in self.slo_ids
