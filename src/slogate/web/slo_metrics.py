"""Live SLO gauges on `/metrics`: current SLI, error budget remaining and burn
rate per SLO, for teams that scrape slogate with Prometheus.

Values are recomputed on an interval from the server's incremental aggregates
(5-minute buckets kept as events arrive and rebuilt from the store on start), so
a scrape reads a few cached numbers and never rescans events."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from slogate.core.budget import BudgetPolicy, live_status
from slogate.core.slo import SLO
from slogate.web.aggregates import BUCKET_SECONDS, SLOAggregates


@dataclass(frozen=True)
class SLOGauge:
    slo_id: str
    pillar: str
    sli: float | None
    target: float | None
    samples: int
    budget_remaining: float | None
    burn_rate: float | None


class SLOStatusCollector(Collector):
    """A prometheus_client collector over cached `SLOGauge`s; `refresh()` fills them."""

    def __init__(
        self,
        slos: Sequence[SLO],
        aggregates: SLOAggregates,
        *,
        policy: BudgetPolicy,
        clock: Callable[[], datetime],
        burn_window: timedelta = timedelta(hours=1),
    ) -> None:
        self.slos = tuple(slos)
        self.aggregates = aggregates
        self.policy = policy
        self.clock = clock
        self.burn_window = burn_window
        self._lock = threading.Lock()
        self._gauges: tuple[SLOGauge, ...] = ()
        self.refreshed_at: datetime | None = None

    def refresh(self) -> tuple[SLOGauge, ...]:
        now = self.clock()
        period = timedelta(days=self.policy.period_days(now))
        since = now - period
        gauges = []
        for slo in self.slos:
            current = self.aggregates.current(slo.id, since, now, now=now)
            buckets = self.aggregates.series(slo.id, since, now, step=BUCKET_SECONDS, now=now)
            status = live_status(
                slo, buckets, now=now, policy=self.policy, burn_window=self.burn_window
            )
            gauges.append(
                SLOGauge(
                    slo_id=slo.id,
                    pillar=slo.pillar,
                    sli=current.value,
                    target=slo.target.value if slo.target else None,
                    samples=current.samples,
                    budget_remaining=status.budget_remaining,
                    burn_rate=status.burn_rate,
                )
            )
        with self._lock:
            self._gauges = tuple(gauges)
            self.refreshed_at = now
        return self._gauges

    async def run(self, interval_seconds: float) -> None:
        """Refresh now and then every `interval_seconds` until cancelled."""
        while True:
            await asyncio.to_thread(self.refresh)
            await asyncio.sleep(interval_seconds)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            gauges, refreshed = self._gauges, self.refreshed_at
        labels = ["slo", "pillar"]
        families = {
            "sli": GaugeMetricFamily(
                "slogate_slo_sli",
                "Current SLI over the budget period (fraction, ms, mb or count by kind).",
                labels=labels,
            ),
            "target": GaugeMetricFamily(
                "slogate_slo_target", "The SLO's target value.", labels=labels
            ),
            "samples": GaugeMetricFamily(
                "slogate_slo_samples", "Samples the current SLI rests on.", labels=labels
            ),
            "budget": GaugeMetricFamily(
                "slogate_slo_error_budget_remaining_ratio",
                "Fraction of the period's error budget not yet burned (negative = overspent).",
                labels=labels,
            ),
            "burn": GaugeMetricFamily(
                "slogate_slo_burn_rate",
                "Error rate over the last hour divided by the allowed error rate.",
                labels=labels,
            ),
        }
        for g in gauges:
            values = {
                "sli": g.sli,
                "target": g.target,
                "samples": float(g.samples),
                "budget": g.budget_remaining,
                "burn": g.burn_rate,
            }
            for key, value in values.items():
                if value is not None:
                    families[key].add_metric([g.slo_id, g.pillar], float(value))
        yield from families.values()
        stamp = GaugeMetricFamily(
            "slogate_slo_refreshed_timestamp_seconds",
            "When the SLO gauges were last recomputed (Unix time).",
        )
        if refreshed is not None:
            stamp.add_metric([], refreshed.timestamp())
        yield stamp
