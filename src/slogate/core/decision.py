"""GO / NO-GO: a phase's exit gates, its rubric threshold, and the automatic
NO-GO conditions and freeze triggers that override any score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from slogate.core.evidence import TestRun, TrackedItem
from slogate.core.gates import EvidenceSet, GateResult, GateStatus
from slogate.core.rubric import Rubric, ThresholdCheck, check_threshold, total


@dataclass(frozen=True, slots=True)
class Phase:
    id: int
    name: str
    exit_gates: tuple[str, ...]
    threshold: str | None = None  # rubric threshold id that must be met to exit
    enforce: tuple[str, ...] = ()  # gates enforced while in the phase (G8 in phase 3)
    freeze_threshold: str | None = None  # phase 3: score below this freezes features


@dataclass(frozen=True, slots=True)
class Condition:
    """An automatic NO-GO condition or freeze trigger; `holds` None = could not be
    evaluated from the evidence (reported, not counted)."""

    id: str
    description: str
    holds: bool | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: str  # "GO" | "NO-GO"
    phase: Phase
    blockers: tuple[str, ...]
    score: ThresholdCheck | None
    conditions: tuple[Condition, ...]
    freeze_triggers: tuple[Condition, ...] = ()
    watch: tuple[str, ...] = ()  # next phase's gates not yet passing, for information

    @property
    def go(self) -> bool:
        return self.verdict == "GO"


def _open_items(items: Sequence[TrackedItem], priorities: set[str]) -> list[TrackedItem]:
    return [i for i in items if i.priority.upper() in priorities and not i.resolved]


def automatic_conditions(
    ev: EvidenceSet, *, smoke_tests: Sequence[str] = (), smoke_runs: int = 3
) -> list[Condition]:
    """The seed team's automatic NO-GO list, computed from the evidence."""
    window = ev.newest(ev.windows)
    doc = window.data if window is not None and isinstance(window.data, dict) else None
    conditions: list[Condition] = []
    if doc is None:
        conditions.append(Condition("sev1_open", "an open Sev-1 incident", None, "no window data"))
        conditions.append(
            Condition(
                "consecutive_miss",
                "two consecutive days of SLO miss in the same pillar",
                None,
                "no window data",
            )
        )
    else:
        open_sev1 = [
            i for i in doc.get("incidents", []) if i.get("severity") == 1 and not i.get("end")
        ]
        conditions.append(
            Condition(
                "sev1_open",
                "an open Sev-1 incident",
                bool(open_sev1),
                ", ".join(str(i.get("slo")) for i in open_sev1),
            )
        )
        pillars = list(doc.get("consecutive_miss_pillars", []))
        conditions.append(
            Condition(
                "consecutive_miss",
                "two consecutive days of SLO miss in the same pillar",
                bool(pillars),
                ", ".join(map(str, pillars)),
            )
        )
    items = [*ev.known_issues, *ev.controls]
    unresolved = _open_items(items, {"P0", "P1"})
    conditions.append(
        Condition(
            "p0_p1_open",
            "an unresolved P0/P1 finding",
            bool(unresolved),
            ", ".join(f"{i.id} ({i.priority} {i.status})" for i in unresolved),
        )
    )
    if smoke_tests:
        runs = sorted(
            (d for d in ev.junit if isinstance(d.data, TestRun)), key=lambda d: (d.date, d.path)
        )
        relevant = [
            d
            for d in runs
            if any(c.matches(t) for c in d.data.cases for t in smoke_tests)  # type: ignore[union-attr]
        ][-smoke_runs:]
        failing = [
            d
            for d in relevant
            if any(
                c.outcome.bad and any(c.matches(t) for t in smoke_tests)
                for c in d.data.cases  # type: ignore[union-attr]
            )
        ]
        enough = len(relevant) >= smoke_runs
        conditions.append(
            Condition(
                "smoke_failing",
                f"smoke e2e failing {smoke_runs} consecutive required runs",
                (len(failing) == smoke_runs) if enough else None,
                f"{len(failing)} of the last {len(relevant)} smoke runs failed",
            )
        )
    return conditions


def freeze_triggers(
    rubric: Rubric | None,
    scores: Mapping[str, int] | None,
    ev: EvidenceSet,
    *,
    freeze_below: float = 85,
    min_category: int = 2,
) -> list[Condition]:
    """Phase 3 feature-freeze triggers: score below 85, any category below 2,
    any Sev-1 or unresolved P0."""
    out: list[Condition] = []
    if rubric is not None and scores is not None:
        value = total(rubric, scores)
        out.append(
            Condition(
                "score_below", f"score below {freeze_below:g}", value < freeze_below, f"{value:.2f}"
            )
        )
        low = [c.id for c in rubric.categories if scores.get(c.id, 0) < min_category]
        out.append(
            Condition(
                "category_below", f"a category below {min_category}", bool(low), ", ".join(low)
            )
        )
    window = ev.newest(ev.windows)
    sev1 = []
    if window is not None and isinstance(window.data, dict):
        sev1 = [i for i in window.data.get("incidents", []) if i.get("severity") == 1]
    out.append(Condition("sev1", "any Sev-1", bool(sev1), f"{len(sev1)} Sev-1"))
    p0 = _open_items([*ev.known_issues, *ev.controls], {"P0"})
    out.append(Condition("p0_open", "an unresolved P0", bool(p0), ", ".join(i.id for i in p0)))
    return out


def decide(
    phase: Phase,
    gates: Sequence[GateResult],
    rubric: Rubric | None,
    scores: Mapping[str, int] | None,
    conditions: Sequence[Condition],
    *,
    triggers: Sequence[Condition] = (),
    watch_gates: Sequence[str] = (),
    stale_scorecard: str | None = None,
) -> Decision:
    """GO only when every exit gate passes, the threshold is met, and no automatic
    NO-GO condition holds. Blockers are listed in that order, with numbers."""
    by_id = {g.gate: g for g in gates}
    blockers: list[str] = []
    score: ThresholdCheck | None = None
    if stale_scorecard:
        blockers.append(stale_scorecard)
    if phase.threshold is not None:
        if rubric is None or scores is None:
            blockers.append("no scorecard: the rubric score is unknown")
        else:
            score = check_threshold(rubric, scores, rubric.threshold(phase.threshold))
            if score.total < score.threshold.min_total:
                blockers.append(
                    f"Score {score.total:.2f} < {score.threshold.min_total:g} threshold "
                    f"({score.threshold.name})"
                )
            if score.below_min:
                blockers.append(
                    f"categories below {score.threshold.min_category}: "
                    + ", ".join(score.below_min)
                )
    for gate_id in phase.exit_gates:
        result = by_id.get(gate_id)
        if result is None:
            blockers.append(f"{gate_id} was not evaluated")
        elif result.status is not GateStatus.PASS:
            blockers.append(f"{gate_id} {result.status.value}: {result.summary}")
    for condition in conditions:
        if condition.holds:
            blockers.append(f"automatic NO-GO: {condition.description} ({condition.detail})")
    for trigger in triggers:
        if trigger.holds:
            blockers.append(f"freeze trigger: {trigger.description} ({trigger.detail})")
    watch = tuple(
        f"{g} {by_id[g].status.value}"
        for g in watch_gates
        if g in by_id and by_id[g].status is not GateStatus.PASS
    )
    return Decision(
        "NO-GO" if blockers else "GO",
        phase,
        tuple(blockers),
        score,
        tuple(conditions),
        tuple(triggers),
        watch,
    )


def next_review(as_of: date, weekday: int = 0) -> date:
    """The next cadence day strictly after `as_of` (0 = Monday)."""
    days = (weekday - as_of.weekday()) % 7 or 7
    return as_of + timedelta(days=days)
