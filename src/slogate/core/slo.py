"""SLO definitions: SLI kinds with their parameters, targets, and measurability.

Each SLI kind is declared once here, as data. The engine compiles these to one
portable query each; `slogate.core.sli` holds the reference maths the engine
must agree with.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from slogate.core.catalog import Catalog


class Op(StrEnum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "=="

    @property
    def is_lower_bound(self) -> bool:
        return self in (Op.GE, Op.GT)

    @property
    def is_upper_bound(self) -> bool:
        return self in (Op.LE, Op.LT, Op.EQ)

    def holds(self, value: float, target: float) -> bool:
        if self is Op.GE:
            return value >= target
        if self is Op.GT:
            return value > target
        if self is Op.LE:
            return value <= target
        if self is Op.LT:
            return value < target
        return value == target


class Unit(StrEnum):
    RATIO = "ratio"
    MS = "ms"
    MB = "mb"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class Target:
    op: Op
    value: float
    unit: Unit

    def met_by(self, value: float | None) -> bool | None:
        """None when there is no value: no data is neither a pass nor a miss."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return self.op.holds(value, self.value)

    def margin(self, value: float) -> float:
        """Signed distance to the target in the good direction (negative = miss)."""
        return value - self.value if self.op.is_lower_bound else self.value - value


class FilterOp(StrEnum):
    EQ = "eq"
    IN = "in"
    CONTAINS = "contains"  # case-insensitive substring


@dataclass(frozen=True, slots=True)
class FieldFilter:
    field: str
    op: FilterOp
    value: str | int | float | bool | tuple[str | int | float | bool, ...]

    def matches(self, actual: object) -> bool:
        """Reference semantics; the engine must agree (values compared as text)."""
        if actual is None:
            return False
        if self.op is FilterOp.CONTAINS:
            return str(self.value).lower() in str(actual).lower()
        if self.op is FilterOp.IN:
            assert isinstance(self.value, tuple)
            return _as_text(actual) in {_as_text(v) for v in self.value}
        return _as_text(actual) == _as_text(self.value)


def _as_text(value: object) -> str:
    """Compare 413 and "413" and 413.0 alike, as logs are not consistent about types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Selector:
    """A set of event names plus field filters, all of which must hold."""

    events: tuple[str, ...]
    where: tuple[FieldFilter, ...] = ()

    def with_filters(self, extra: tuple[FieldFilter, ...]) -> Selector:
        return Selector(self.events, self.where + extra) if extra else self


class SLIKind(StrEnum):
    RATIO = "ratio"
    RATE = "rate"
    QUANTILE = "quantile"
    DISTINCT_RATIO = "distinct_ratio"
    COUNT = "count"
    CORRELATION = "correlation"
    GROWTH = "growth"
    MONITOR = "monitor"


@dataclass(frozen=True, slots=True)
class RatioSLI:
    """good / (good + bad) when `bad` is set, else good / total."""

    good: Selector
    bad: Selector | None = None
    total: Selector | None = None
    kind: SLIKind = SLIKind.RATIO


@dataclass(frozen=True, slots=True)
class RateSLI:
    """bad / total, an upper-bound target (e.g. proxy 413 rate)."""

    bad: Selector
    total: Selector
    kind: SLIKind = SLIKind.RATE


@dataclass(frozen=True, slots=True)
class QuantileSLI:
    """Nearest-rank quantile of a numeric field (1-based rank ceil(q * n))."""

    select: Selector
    field: str
    quantile: float = 0.95
    kind: SLIKind = SLIKind.QUANTILE


@dataclass(frozen=True, slots=True)
class DistinctRatioSLI:
    """Units (distinct `key`) started that never hit a failure / units started."""

    start: Selector
    failure: Selector
    key: str = "session_id"
    kind: SLIKind = SLIKind.DISTINCT_RATIO


@dataclass(frozen=True, slots=True)
class CountSLI:
    select: Selector
    kind: SLIKind = SLIKind.COUNT


@dataclass(frozen=True, slots=True)
class CorrelationSLI:
    """Sends joined to acks/errors on `key`: lost + duplicate."""

    send: Selector
    ack: Selector
    error: Selector | None = None
    key: str = "cmd_id"
    grace_seconds: float = 60.0
    kind: SLIKind = SLIKind.CORRELATION


@dataclass(frozen=True, slots=True)
class GrowthSLI:
    """Per unit: max `field` among samples with `progress_field` >= `progress_min`,
    minus the unit's first sample. The SLI is the worst unit."""

    select: Selector
    field: str
    unit_key: str = "session_id"
    progress_field: str = "switch_count"
    progress_min: float = 100
    kind: SLIKind = SLIKind.GROWTH


@dataclass(frozen=True, slots=True)
class MonitorSLI:
    """Counts per event; no target."""

    select: Selector
    kind: SLIKind = SLIKind.MONITOR


SLI = (
    RatioSLI
    | RateSLI
    | QuantileSLI
    | DistinctRatioSLI
    | CountSLI
    | CorrelationSLI
    | GrowthSLI
    | MonitorSLI
)


def selectors_of(sli: SLI) -> Iterator[tuple[str, Selector]]:
    """Every role an SLI reads, by name; used for classification and validation."""
    if isinstance(sli, RatioSLI):
        yield "good", sli.good
        if sli.bad is not None:
            yield "bad", sli.bad
        if sli.total is not None:
            yield "total", sli.total
    elif isinstance(sli, RateSLI):
        yield "bad", sli.bad
        yield "total", sli.total
    elif isinstance(sli, DistinctRatioSLI):
        yield "start", sli.start
        yield "failure", sli.failure
    elif isinstance(sli, CorrelationSLI):
        yield "send", sli.send
        yield "ack", sli.ack
        if sli.error is not None:
            yield "error", sli.error
    else:
        yield "select", sli.select


def events_of(sli: SLI) -> list[str]:
    seen: dict[str, None] = {}
    for _, selector in selectors_of(sli):
        for name in selector.events:
            seen.setdefault(name, None)
    return list(seen)


def fields_of(sli: SLI) -> list[str]:
    """Event fields an SLI reads (filters, values, keys): the runbook must name them."""
    names: dict[str, None] = {}
    for _, selector in selectors_of(sli):
        for flt in selector.where:
            names.setdefault(flt.field, None)
    for attr in ("field", "key", "unit_key", "progress_field"):
        value = getattr(sli, attr, None)
        if isinstance(value, str):
            names.setdefault(value, None)
    return list(names)


class Measurability(StrEnum):
    MEASURABLE_NOW = "measurable_now"
    INSTRUMENTED_NOT_COMPUTABLE = "instrumented_not_computable"
    INSTRUMENTED_NEEDS_SOAK = "instrumented_needs_soak"
    BLOCKED = "blocked"


MEASURABILITY_ORDER: tuple[Measurability, ...] = (
    Measurability.MEASURABLE_NOW,
    Measurability.INSTRUMENTED_NOT_COMPUTABLE,
    Measurability.INSTRUMENTED_NEEDS_SOAK,
    Measurability.BLOCKED,
)


@dataclass(frozen=True, slots=True)
class SLO:
    id: str
    pillar: str
    name: str
    sli: SLI
    target: Target | None
    soak: bool = False
    min_samples: int = 1
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> SLIKind:
        return self.sli.kind


@dataclass(frozen=True, slots=True)
class Classification:
    status: Measurability
    reason: str


def classify(slo: SLO, catalog: Catalog, *, client_relay: bool) -> Classification:
    """Computed, never typed in. Order matters: an SLO that cannot be computed at
    all is not merely waiting for a soak.

    - blocked: it names an event the catalog does not define;
    - instrumented_not_computable: the relay is off and some role of the SLI is
      fed only by client events (a role with at least one server event still counts);
    - instrumented_needs_soak: it is marked `soak`;
    - measurable_now: otherwise.
    """
    missing = [name for name in events_of(slo.sli) if name not in catalog]
    if missing:
        return Classification(
            Measurability.BLOCKED, f"events not defined in the catalog: {', '.join(missing)}"
        )
    if not client_relay:
        for role, selector in selectors_of(slo.sli):
            specs = [catalog.events[name] for name in selector.events]
            if specs and all(spec.client_only for spec in specs):
                return Classification(
                    Measurability.INSTRUMENTED_NOT_COMPUTABLE,
                    f"{role} events are client-only and the client relay is disabled: "
                    + ", ".join(selector.events),
                )
    if slo.soak:
        return Classification(
            Measurability.INSTRUMENTED_NEEDS_SOAK,
            "needs a soak window before its value means anything",
        )
    return Classification(Measurability.MEASURABLE_NOW, "events are defined and reach the store")


def classification_counts(statuses: Iterable[Measurability]) -> dict[str, int]:
    counts = {m.value: 0 for m in MEASURABILITY_ORDER}
    for status in statuses:
        counts[status.value] += 1
    return counts
