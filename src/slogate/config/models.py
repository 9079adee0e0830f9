"""Pydantic v2 models of slogate.yaml, and their mapping to the pure core.

The root model is assembled from section mixins (`ingest.py`, `window.py`,
`readiness.py`) so that each part of the tool owns its keys. Checks that span
sections (an SLO naming an undefined event, a gate naming an unknown SLO) are
`reference_issues_*` methods returning `ConfigIssue`s with the path to the
offending key, which `load.py` turns into file:line.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from slogate.config.base import ConfigIssue, Loc, StrictModel
from slogate.config.dashboard import DashboardSection
from slogate.config.ingest import IngestSection
from slogate.config.readiness import ReadinessSection
from slogate.config.store import StoreSection
from slogate.config.window import WindowSection
from slogate.core.catalog import CANONICAL_FIELDS, Catalog, EventSpec, FieldType, Origin
from slogate.core.slo import (
    SLO,
    CorrelationSLI,
    CountSLI,
    DistinctRatioSLI,
    FieldFilter,
    FilterOp,
    GrowthSLI,
    MonitorSLI,
    Op,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
    Target,
    Unit,
)

Scalar = str | int | float | bool

__all__ = ["ConfigIssue", "Loc", "SlogateConfig"]


# --- event catalog ---------------------------------------------------------


class EventModel(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$")
    family: str = Field(description="Pillar the event belongs to (hydra, queue, ...).")
    origin: Origin = Field(description="server, client (relayed through ingest) or both.")
    fields: dict[str, FieldType] = Field(default_factory=dict)
    correlation: list[str] = Field(
        default_factory=list, description="Correlation fields the event must carry."
    )
    description: str = ""

    def to_core(self) -> EventSpec:
        return EventSpec(
            name=self.name,
            family=self.family,
            origin=self.origin,
            fields=dict(self.fields),
            correlation=tuple(self.correlation),
            description=self.description,
        )


class PlannedEventModel(StrictModel):
    """An event an SLO needs but nobody emits yet: its SLOs are `blocked`."""

    name: str
    note: str = ""


# --- selectors and SLI kinds -------------------------------------------------


class FilterModel(StrictModel):
    field: str
    eq: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    contains: str | None = Field(None, description="Case-insensitive substring.")

    @model_validator(mode="after")
    def _exactly_one(self) -> FilterModel:
        given = [k for k in ("eq", "in_", "contains") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a filter needs exactly one of eq, in, contains")
        return self

    def to_core(self) -> FieldFilter:
        if self.contains is not None:
            return FieldFilter(self.field, FilterOp.CONTAINS, self.contains)
        if self.in_ is not None:
            return FieldFilter(self.field, FilterOp.IN, tuple(self.in_))
        assert self.eq is not None
        return FieldFilter(self.field, FilterOp.EQ, self.eq)


class SelectorModel(StrictModel):
    events: list[str] = Field(min_length=1)
    where: list[FilterModel] = Field(default_factory=list)

    def to_core(self, extra: tuple[FieldFilter, ...] = ()) -> Selector:
        return Selector(tuple(self.events), tuple(f.to_core() for f in self.where) + extra)


class _SLIBase(StrictModel):
    where: list[FilterModel] = Field(
        default_factory=list, description="Filters applied to every selector of this SLI."
    )

    def _common(self) -> tuple[FieldFilter, ...]:
        return tuple(f.to_core() for f in self.where)


class RatioModel(_SLIBase):
    kind: Literal["ratio"]
    good: SelectorModel
    bad: SelectorModel | None = None
    total: SelectorModel | None = None

    @model_validator(mode="after")
    def _bad_or_total(self) -> RatioModel:
        if (self.bad is None) == (self.total is None):
            raise ValueError("a ratio needs exactly one of bad (good/(good+bad)) or total")
        return self

    def to_core(self) -> RatioSLI:
        c = self._common()
        return RatioSLI(
            good=self.good.to_core(c),
            bad=self.bad.to_core(c) if self.bad else None,
            total=self.total.to_core(c) if self.total else None,
        )


class RateModel(_SLIBase):
    kind: Literal["rate"]
    bad: SelectorModel
    total: SelectorModel

    def to_core(self) -> RateSLI:
        c = self._common()
        return RateSLI(bad=self.bad.to_core(c), total=self.total.to_core(c))


class QuantileModel(_SLIBase):
    kind: Literal["quantile"]
    events: list[str] = Field(min_length=1)
    field: str
    quantile: float = Field(0.95, gt=0, le=1)

    def to_core(self) -> QuantileSLI:
        return QuantileSLI(Selector(tuple(self.events), self._common()), self.field, self.quantile)


class DistinctRatioModel(_SLIBase):
    kind: Literal["distinct_ratio"]
    start: SelectorModel
    failure: SelectorModel
    key: str = "session_id"

    def to_core(self) -> DistinctRatioSLI:
        c = self._common()
        return DistinctRatioSLI(self.start.to_core(c), self.failure.to_core(c), self.key)


class CountModel(_SLIBase):
    kind: Literal["count"]
    events: list[str] = Field(min_length=1)

    def to_core(self) -> CountSLI:
        return CountSLI(Selector(tuple(self.events), self._common()))


class CorrelationModel(_SLIBase):
    kind: Literal["correlation"]
    send: SelectorModel
    ack: SelectorModel
    error: SelectorModel | None = None
    key: str = "cmd_id"
    grace_seconds: float = Field(60.0, ge=0)

    def to_core(self) -> CorrelationSLI:
        c = self._common()
        return CorrelationSLI(
            self.send.to_core(c),
            self.ack.to_core(c),
            self.error.to_core(c) if self.error else None,
            self.key,
            self.grace_seconds,
        )


class GrowthModel(_SLIBase):
    kind: Literal["growth"]
    events: list[str] = Field(min_length=1)
    field: str
    unit_key: str = "session_id"
    progress_field: str = "switch_count"
    progress_min: float = Field(100, ge=0)

    def to_core(self) -> GrowthSLI:
        return GrowthSLI(
            Selector(tuple(self.events), self._common()),
            self.field,
            self.unit_key,
            self.progress_field,
            self.progress_min,
        )


class MonitorModel(_SLIBase):
    kind: Literal["monitor"]
    events: list[str] = Field(min_length=1)

    def to_core(self) -> MonitorSLI:
        return MonitorSLI(Selector(tuple(self.events), self._common()))


SLIModel = Annotated[
    RatioModel
    | RateModel
    | QuantileModel
    | DistinctRatioModel
    | CountModel
    | CorrelationModel
    | GrowthModel
    | MonitorModel,
    Field(discriminator="kind"),
]


class TargetModel(StrictModel):
    op: Op
    value: float
    unit: Unit

    def to_core(self) -> Target:
        return Target(self.op, self.value, self.unit)


class SLOModel(StrictModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")
    pillar: str
    name: str
    sli: SLIModel
    target: TargetModel | None = None
    soak: bool = False
    min_samples: int = Field(1, ge=0)
    description: str = ""
    tags: list[str] = Field(default_factory=list)

    def to_core(self) -> SLO:
        return SLO(
            id=self.id,
            pillar=self.pillar,
            name=self.name,
            sli=self.sli.to_core(),
            target=self.target.to_core() if self.target else None,
            soak=self.soak,
            min_samples=self.min_samples,
            description=self.description,
            tags=tuple(self.tags),
        )


_RATIO_KINDS = {"ratio", "distinct_ratio", "rate"}
_UPPER_BOUND_KINDS = {"rate", "quantile", "count", "correlation", "growth"}
_COUNT_KINDS = {"count", "correlation"}


def target_issues(slo: SLOModel) -> list[str]:
    """Targets that make no sense for their kind (a p95 with a lower bound, a ratio of 3)."""
    kind, target = slo.sli.kind, slo.target
    if kind == "monitor":
        return ["a monitor SLO has no target; remove it"] if target else []
    if target is None:
        return [f"a {kind} SLO needs a target"]
    problems: list[str] = []
    if kind in _RATIO_KINDS:
        if target.unit is not Unit.RATIO:
            problems.append(f"a {kind} target is a fraction: unit must be 'ratio'")
        if not 0 <= target.value <= 1:
            problems.append(f"a {kind} target is a fraction in [0, 1], got {target.value}")
    if kind in _UPPER_BOUND_KINDS and not target.op.is_upper_bound:
        problems.append(f"a {kind} target is an upper bound: op must be <=, < or ==")
    if kind in _COUNT_KINDS:
        if target.unit is not Unit.COUNT:
            problems.append(f"a {kind} target counts events: unit must be 'count'")
        if target.value < 0 or not float(target.value).is_integer():
            problems.append(f"a {kind} target is a whole number >= 0, got {target.value}")
    if kind in ("quantile", "growth") and target.unit in (Unit.RATIO, Unit.COUNT):
        problems.append(f"a {kind} target is a measured value: unit must be ms or mb")
    return problems


class CoreSection(StrictModel):
    version: Literal[1] = 1
    project: str = "slogate"
    events: list[EventModel] = Field(default_factory=list)
    planned_events: list[PlannedEventModel] = Field(default_factory=list)
    slos: list[SLOModel] = Field(default_factory=list)

    def reference_issues_core(self) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        defined: dict[str, int] = {}
        for i, event in enumerate(self.events):
            if event.name in defined:
                issues.append(ConfigIssue(("events", i, "name"), f"duplicate event {event.name!r}"))
            defined.setdefault(event.name, i)
            for name in event.correlation:
                if name not in event.fields and name not in CANONICAL_FIELDS:
                    issues.append(
                        ConfigIssue(
                            ("events", i, "correlation"),
                            f"correlation field {name!r} is neither canonical nor one of the "
                            "event's fields",
                        )
                    )
        planned = {p.name for p in self.planned_events}
        for j, p in enumerate(self.planned_events):
            if p.name in defined:
                issues.append(
                    ConfigIssue(
                        ("planned_events", j, "name"),
                        f"{p.name!r} is defined in events; remove it from planned_events",
                    )
                )
        ids: set[str] = set()
        for i, slo in enumerate(self.slos):
            if slo.id in ids:
                issues.append(ConfigIssue(("slos", i, "id"), f"duplicate SLO id {slo.id!r}"))
            ids.add(slo.id)
            for message in target_issues(slo):
                issues.append(ConfigIssue(("slos", i, "target"), message))
            issues.extend(_event_reference_issues(slo, i, defined, planned))
        return issues


def _event_reference_issues(
    slo: SLOModel, index: int, defined: dict[str, int], planned: set[str]
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    sli = slo.sli
    roles: list[tuple[Loc, list[str]]] = []
    for role in ("good", "bad", "total", "start", "failure", "send", "ack", "error"):
        selector = getattr(sli, role, None)
        if isinstance(selector, SelectorModel):
            roles.append((("slos", index, "sli", role, "events"), selector.events))
    if isinstance(sli, QuantileModel | CountModel | GrowthModel | MonitorModel):
        roles.append((("slos", index, "sli", "events"), sli.events))
    for loc, names in roles:
        for name in names:
            if name not in defined and name not in planned:
                issues.append(
                    ConfigIssue(
                        loc,
                        f"event {name!r} is not in the catalog (define it under events, "
                        "or list it under planned_events to mark the SLO blocked)",
                    )
                )
    return issues


class SlogateConfig(
    CoreSection, IngestSection, StoreSection, WindowSection, ReadinessSection, DashboardSection
):
    """The whole slogate.yaml."""

    def reference_issues(self) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        for name in sorted(dir(type(self))):
            if name.startswith("reference_issues_"):
                issues.extend(getattr(self, name)())
        return issues

    def catalog(self) -> Catalog:
        return Catalog(
            events={e.name: e.to_core() for e in self.events},
            planned={p.name: p.note for p in self.planned_events},
        )

    def core_slos(self) -> list[SLO]:
        return [s.to_core() for s in self.slos]


def sha256_text(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def dump_defaults() -> dict[str, Any]:
    return SlogateConfig().model_dump(mode="json", by_alias=True)
