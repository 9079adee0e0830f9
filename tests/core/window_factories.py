"""Synthetic SLOs and SLI result series for the window core tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slogate.core.result import SLIResult
from slogate.core.slo import (
    SLO,
    CountSLI,
    Op,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
    Target,
    Unit,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
FIVE = timedelta(minutes=5)
DAY = timedelta(days=1)


def ratio_slo(slo_id: str = "preset", target: float = 0.995, pillar: str = "hydra") -> SLO:
    return SLO(
        slo_id,
        pillar,
        slo_id,
        RatioSLI(Selector(("ok",)), bad=Selector(("err",))),
        Target(Op.GE, target, Unit.RATIO),
    )


def latency_slo(slo_id: str = "p95", threshold: float = 2000.0, pillar: str = "hydra") -> SLO:
    return SLO(
        slo_id,
        pillar,
        slo_id,
        QuantileSLI(Selector(("ok",)), "duration_ms", 0.95),
        Target(Op.LE, threshold, Unit.MS),
    )


def rate_slo(slo_id: str = "r413", target: float = 0.001, pillar: str = "streaming") -> SLO:
    return SLO(
        slo_id,
        pillar,
        slo_id,
        RateSLI(Selector(("resp",)), Selector(("resp",))),
        Target(Op.LT, target, Unit.RATIO),
    )


def count_slo(slo_id: str = "denied", pillar: str = "auth") -> SLO:
    return SLO(
        slo_id, pillar, slo_id, CountSLI(Selector(("denied",))), Target(Op.EQ, 0, Unit.COUNT)
    )


def ratio_result(
    slo_id: str, good: int, bad: int, start: datetime | None = None, span: timedelta = FIVE
) -> SLIResult:
    total = good + bad
    return SLIResult(
        slo_id,
        None if total == 0 else good / total,
        good,
        total,
        total,
        {"good": good, "bad": bad},
        start,
        None if start is None else start + span,
    )


def series(
    slo_id: str,
    start: datetime,
    n: int,
    per_bucket: int,
    bad_at: dict[int, int] | None = None,
    step: timedelta = FIVE,
) -> list[SLIResult]:
    """n buckets of `per_bucket` events; bad_at maps bucket index -> bad events."""
    bad_at = bad_at or {}
    return [
        ratio_result(
            slo_id, per_bucket - bad_at.get(i, 0), bad_at.get(i, 0), start + i * step, step
        )
        for i in range(n)
    ]
