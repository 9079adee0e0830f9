"""Gates, phases, rubric, known issues, controls, attestations, waivers,
prerequisites, cadence, evidence paths and decision rules (owned by the
readiness packet). Every key has a default, so configurations without a
readiness part still load; the default rubric is the seed team's, shipped as
data in `config/defaults/rubric_default.yaml`."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import Field, model_validator

from slogate.config.base import ConfigIssue, StrictModel
from slogate.core.decision import Phase
from slogate.core.evidence import Attestation, TrackedItem, Waiver
from slogate.core.gates import CHECKS, CheckSpec, GateSpec
from slogate.core.rubric import Category, Level, Rubric, Threshold

_ID = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"

CheckKind = Literal[
    "coverage",
    "pii_scan",
    "tests",
    "known_issues",
    "controls",
    "flake",
    "window",
    "budget",
    "drill",
    "runbook",
    "score",
    "attestation",
    "classification",
]

_PARAMS = (
    "families",
    "correlation",
    "max_not_computable",
    "tests",
    "min_tests",
    "items",
    "min_runs",
    "max_rate",
    "basis",
    "measure",
    "last_runs",
    "max_burn",
    "name",
    "within_window",
    "threshold",
    "attestation",
    "max",
    "min",
)


class CheckModel(StrictModel):
    """One check of a gate: `kind` picks the evaluator, the other keys are its
    parameters (each kind reads only its own)."""

    id: str = Field(pattern=_ID)
    kind: CheckKind
    description: str = ""
    max_age_days: int | None = Field(
        None, ge=0, description="Evidence older than this (as of the date) does not count."
    )
    families: list[str] | None = Field(None, description="coverage: required event families.")
    correlation: list[str] | None = Field(
        None, description="coverage: every event of those families declares correlation fields."
    )
    max_not_computable: int | None = Field(None, ge=0)
    tests: list[str] | None = Field(None, description="tests: ids that must be present and pass.")
    min_tests: int | None = Field(None, ge=0)
    items: list[str] | None = Field(
        None, description="known_issues/controls: ids to check (default: all listed)."
    )
    min_runs: int | None = Field(None, ge=1)
    max_rate: float | None = Field(None, ge=0, le=1)
    basis: Literal["runs", "tests"] | None = None
    measure: Literal["point", "upper_bound"] | None = None
    last_runs: int | None = Field(None, ge=1)
    max_burn: float | None = Field(None, ge=0, le=1)
    name: str | None = Field(None, description="drill: journal name to look for.")
    within_window: bool | None = None
    threshold: str | None = Field(None, description="score: rubric threshold id.")
    attestation: str | None = Field(None, description="attestation: id (default: check id).")
    max: dict[str, int] | None = Field(None, description="classification: max count per class.")
    min: dict[str, int] | None = Field(None, description="classification: min count per class.")

    def to_core(self, default_age: int | None) -> CheckSpec:
        params: dict[str, Any] = {}
        for key in _PARAMS:
            value = getattr(self, key)
            if value is not None:
                params[key] = value
        age = self.max_age_days if self.max_age_days is not None else default_age
        return CheckSpec(self.id, self.kind, params, age, self.description)


class GateModel(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    description: str = ""
    checks: list[CheckModel] = Field(default_factory=list)


class PhaseModel(StrictModel):
    id: int = Field(ge=1)
    name: str
    exit_gates: list[str] = Field(default_factory=list)
    threshold: str | None = Field(None, description="Rubric threshold id required to exit.")
    enforce: list[str] = Field(default_factory=list)
    current: bool = False

    def to_core(self) -> Phase:
        return Phase(
            self.id, self.name, tuple(self.exit_gates), self.threshold, tuple(self.enforce)
        )


class LevelModel(StrictModel):
    description: str = ""
    requires: list[str] = Field(
        default_factory=list,
        description="Gate or check ids (or attestation:ID) that must PASS to claim this level.",
    )


class CategoryModel(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    weight: float = Field(gt=0)
    levels: dict[int, LevelModel | str] = Field(default_factory=dict)

    def to_core(self) -> Category:
        levels = []
        for score, level in sorted(self.levels.items()):
            if isinstance(level, str):
                levels.append(Level(score, level))
            else:
                levels.append(Level(score, level.description, tuple(level.requires)))
        return Category(self.id, self.name, self.weight, tuple(levels))


class ThresholdModel(StrictModel):
    id: str = Field(pattern=_ID)
    name: str
    min_total: float = Field(ge=0)
    min_category: int | None = Field(None, ge=0)

    def to_core(self) -> Threshold:
        return Threshold(self.id, self.name, self.min_total, self.min_category)


def _default_rubric() -> dict[str, Any]:
    text = resources.files("slogate.config").joinpath("defaults/rubric_default.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    return data


class RubricModel(StrictModel):
    max_score: int = Field(4, ge=1)
    categories: list[CategoryModel] = Field(min_length=1)
    thresholds: list[ThresholdModel] = Field(default_factory=list)

    def to_core(self) -> Rubric:
        return Rubric(
            tuple(c.to_core() for c in self.categories),
            tuple(t.to_core() for t in self.thresholds),
            self.max_score,
        )

    @model_validator(mode="after")
    def _levels_in_range(self) -> RubricModel:
        for category in self.categories:
            for score in category.levels:
                if not 0 <= score <= self.max_score:
                    raise ValueError(
                        f"category {category.id!r}: level {score} outside 0-{self.max_score}"
                    )
        return self


class TrackedModel(StrictModel):
    id: str = Field(pattern=_ID)
    title: str
    priority: str = ""
    status: str = "open"
    tests: list[str] = Field(default_factory=list, description="Regression test ids (JUnit).")
    kind: Literal["known_issue", "control", "red_team"] | None = None

    def to_core(self, default_kind: str) -> TrackedItem:
        return TrackedItem(
            self.id,
            self.title,
            self.priority,
            self.status,
            tuple(self.tests),
            self.kind or default_kind,
        )


class AttestationModel(StrictModel):
    id: str = Field(pattern=_ID)
    claim: str
    by: str
    given: date = Field(alias="date", description="When the claim was made (YYYY-MM-DD).")
    expires: date | None = None
    link: str = ""

    def to_core(self, source: str | None = None) -> Attestation:
        return Attestation(
            self.id, self.claim, self.by, self.given, self.expires, self.link, source
        )


class WaiverModel(StrictModel):
    gate: str
    check: str | None = None
    approver: str
    reason: str = Field(min_length=1)
    expires: date
    granted: date | None = None

    def to_core(self) -> Waiver:
        return Waiver(self.gate, self.check, self.approver, self.reason, self.expires, self.granted)


class PrerequisiteModel(StrictModel):
    item: str
    priority: str = ""
    status: Literal["done", "in_progress", "not_started"] = "not_started"
    note: str = ""
    check: str | None = Field(
        None, description="Gate or check id: when set, the status follows its evaluation."
    )


class CadenceItemModel(StrictModel):
    when: str
    what: str
    owner: str = ""


class CadenceModel(StrictModel):
    review_weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    packet_every_days: int = Field(7, ge=1)
    owner: str = ""
    items: list[CadenceItemModel] = Field(default_factory=list)

    @property
    def weekday_index(self) -> int:
        return [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ].index(self.review_weekday)


class ReferenceModel(StrictModel):
    title: str
    path: str


def _default_freshness() -> dict[str, int]:
    return {
        "junit": 7,
        "flake": 14,
        "snapshot": 7,
        "window": 14,
        "drill": 30,
        "pii_scan": 14,
        "runbook": 90,
        "scorecard": 7,
    }


class EvidenceModel(StrictModel):
    dir: str = Field("evidence", description="Evidence directory, relative to the config file.")
    runbook: str | None = Field(
        None,
        description="Runbook file (relative to the evidence directory) the runbook check reads.",
    )
    freshness_days: dict[str, int] = Field(
        default_factory=_default_freshness,
        description="Default freshness per evidence kind; a check's max_age_days overrides it.",
    )
    references: list[ReferenceModel] = Field(
        default_factory=list, description="Extra documents listed in the packet's references."
    )


class DecisionModel(StrictModel):
    smoke_tests: list[str] = Field(
        default_factory=list, description="Smoke e2e test ids for the 3-consecutive-failures rule."
    )
    smoke_runs: int = Field(3, ge=1)
    freeze_below: float = 85
    freeze_min_category: int = 2
    watch_next_phase: bool = True


_CHECK_FOR_EVIDENCE = {
    "coverage": "snapshot",
    "classification": "snapshot",
    "pii_scan": "pii_scan",
    "tests": "junit",
    "known_issues": "junit",
    "controls": "junit",
    "flake": "flake",
    "window": "window",
    "budget": "window",
    "drill": "drill",
    "runbook": "runbook",
    "score": "scorecard",
    "attestation": "",
}


class ReadinessSection(StrictModel):
    """Mixin contributing the readiness top-level keys."""

    gates: list[GateModel] = Field(default_factory=list)
    phases: list[PhaseModel] = Field(default_factory=list)
    rubric: RubricModel = Field(
        default_factory=lambda: RubricModel.model_validate(_default_rubric())
    )
    known_issues: list[TrackedModel] = Field(default_factory=list)
    controls: list[TrackedModel] = Field(default_factory=list)
    attestations: list[AttestationModel] = Field(default_factory=list)
    waivers: list[WaiverModel] = Field(default_factory=list)
    prerequisites: list[PrerequisiteModel] = Field(default_factory=list)
    cadence: CadenceModel = Field(default_factory=CadenceModel)
    evidence: EvidenceModel = Field(default_factory=EvidenceModel)
    decision: DecisionModel = Field(default_factory=DecisionModel)

    # --- mapping to the core -------------------------------------------------------

    def core_gates(self) -> list[GateSpec]:
        fresh = self.evidence.freshness_days
        return [
            GateSpec(
                g.id,
                g.name,
                tuple(c.to_core(fresh.get(_CHECK_FOR_EVIDENCE.get(c.kind, ""))) for c in g.checks),
                g.description,
            )
            for g in self.gates
        ]

    def core_rubric(self) -> Rubric:
        return self.rubric.to_core()

    def core_phases(self) -> list[Phase]:
        return [p.to_core() for p in self.phases]

    def current_phase(self) -> Phase | None:
        for p in self.phases:
            if p.current:
                return p.to_core()
        return self.phases[0].to_core() if self.phases else None

    def core_known_issues(self) -> list[TrackedItem]:
        return [k.to_core("known_issue") for k in self.known_issues]

    def core_controls(self) -> list[TrackedItem]:
        return [c.to_core("control") for c in self.controls]

    # --- cross-section checks ------------------------------------------------------

    def reference_issues_readiness(self) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        gate_ids: set[str] = set()
        check_ids: dict[str, str] = {}
        thresholds = {t.id for t in self.rubric.thresholds}
        categories = {c.id for c in self.rubric.categories}
        for i, gate in enumerate(self.gates):
            if gate.id in gate_ids:
                issues.append(ConfigIssue(("gates", i, "id"), f"duplicate gate {gate.id!r}"))
            gate_ids.add(gate.id)
            for j, check in enumerate(gate.checks):
                loc = ("gates", i, "checks", j)
                if check.kind not in CHECKS:
                    issues.append(ConfigIssue((*loc, "kind"), f"unknown check {check.kind!r}"))
                if check.id in check_ids:
                    issues.append(ConfigIssue((*loc, "id"), f"duplicate check id {check.id!r}"))
                check_ids[check.id] = gate.id
                if check.kind == "score" and (check.threshold or "complete") not in thresholds:
                    issues.append(
                        ConfigIssue(
                            (*loc, "threshold"),
                            f"unknown rubric threshold {check.threshold or 'complete'!r} "
                            f"(known: {', '.join(sorted(thresholds)) or 'none'})",
                        )
                    )
                if check.kind == "known_issues" or check.kind == "controls":
                    pool = self.known_issues if check.kind == "known_issues" else self.controls
                    known = {k.id for k in pool}
                    for item in check.items or []:
                        if item not in known:
                            issues.append(
                                ConfigIssue((*loc, "items"), f"unknown {check.kind} entry {item!r}")
                            )
        current = [p for p in self.phases if p.current]
        if len(current) > 1:
            issues.append(ConfigIssue(("phases",), "more than one phase is marked current"))
        for i, phase in enumerate(self.phases):
            for gate_id in [*phase.exit_gates, *phase.enforce]:
                if gate_id not in gate_ids:
                    issues.append(
                        ConfigIssue(("phases", i, "exit_gates"), f"unknown gate {gate_id!r}")
                    )
            if phase.threshold is not None and phase.threshold not in thresholds:
                issues.append(
                    ConfigIssue(
                        ("phases", i, "threshold"), f"unknown rubric threshold {phase.threshold!r}"
                    )
                )
        seen_cat: set[str] = set()
        for i, category in enumerate(self.rubric.categories):
            if category.id in seen_cat:
                issues.append(
                    ConfigIssue(("rubric", "categories", i, "id"), f"duplicate {category.id!r}")
                )
            seen_cat.add(category.id)
            for score, level in category.levels.items():
                if isinstance(level, str):
                    continue
                for req in level.requires:
                    if req.startswith("attestation:"):
                        continue
                    if req not in gate_ids and req not in check_ids:
                        issues.append(
                            ConfigIssue(
                                ("rubric", "categories", i, "levels", str(score), "requires"),
                                f"{req!r} names no gate or check (use attestation:ID for an "
                                "attestation)",
                            )
                        )
        for i, waiver in enumerate(self.waivers):
            if waiver.gate not in gate_ids:
                issues.append(ConfigIssue(("waivers", i, "gate"), f"unknown gate {waiver.gate!r}"))
            elif waiver.check is not None and check_ids.get(waiver.check) != waiver.gate:
                issues.append(
                    ConfigIssue(
                        ("waivers", i, "check"),
                        f"gate {waiver.gate!r} has no check {waiver.check!r}",
                    )
                )
        for i, prereq in enumerate(self.prerequisites):
            if prereq.check and prereq.check not in gate_ids and prereq.check not in check_ids:
                issues.append(
                    ConfigIssue(
                        ("prerequisites", i, "check"), f"unknown gate or check {prereq.check!r}"
                    )
                )
        del categories
        return issues
