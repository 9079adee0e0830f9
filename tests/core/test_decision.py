"""GO / NO-GO from gates, threshold and automatic conditions."""

from __future__ import annotations

from datetime import date

from slogate.core.catalog import Catalog
from slogate.core.decision import Phase, automatic_conditions, decide, freeze_triggers, next_review
from slogate.core.evidence import Dated, TrackedItem
from slogate.core.gates import CheckResult, EvidenceSet, GateResult, GateStatus
from slogate.core.rubric import Category, Rubric, Threshold

RUBRIC = Rubric(
    (Category("a", "A", 50), Category("b", "B", 50)),
    (Threshold("complete", "complete", 80), Threshold("enter", "enter", 85, 2)),
)
PHASE = Phase(1, "Hardening", ("G1", "G2"), "complete")


def g(gate: str, status: GateStatus) -> GateResult:
    return GateResult(gate, gate, status, (CheckResult("c", "k", status, f"{gate} reason"),))


def ev(**kw: object) -> EvidenceSet:
    return EvidenceSet(as_of=date(2026, 2, 19), catalog=Catalog({}), slos=(), **kw)  # type: ignore[arg-type]


def test_go_when_gates_pass_and_threshold_met() -> None:
    d = decide(
        PHASE, [g("G1", GateStatus.PASS), g("G2", GateStatus.PASS)], RUBRIC, {"a": 4, "b": 3}, []
    )
    assert d.verdict == "GO" and d.blockers == ()


def test_no_go_lists_score_then_gates() -> None:
    d = decide(
        PHASE,
        [g("G1", GateStatus.PASS), g("G2", GateStatus.IN_PROGRESS)],
        RUBRIC,
        {"a": 3, "b": 2},
        [],
        watch_gates=["G1", "G2"],
    )
    assert d.verdict == "NO-GO"
    assert d.blockers[0].startswith("Score 62.50 < 80")
    assert d.blockers[1].startswith("G2 IN_PROGRESS")
    assert d.watch == ("G2 IN_PROGRESS",)


def test_automatic_no_go_overrides_a_perfect_score() -> None:
    window = Dated(
        date(2026, 2, 12),
        "windows/w.json",
        {
            "incidents": [{"slo": "x", "severity": 1, "end": None}],
            "consecutive_miss_pillars": ["queue"],
        },
    )
    p1 = TrackedItem("RT-1", "red team finding", "P1", "open", kind="red_team")
    conditions = automatic_conditions(ev(windows=(window,), controls=(p1,)))
    held = {c.id for c in conditions if c.holds}
    assert held == {"sev1_open", "consecutive_miss", "p0_p1_open"}
    d = decide(
        PHASE,
        [g("G1", GateStatus.PASS), g("G2", GateStatus.PASS)],
        RUBRIC,
        {"a": 4, "b": 4},
        conditions,
    )
    assert d.verdict == "NO-GO" and len(d.blockers) == 3


def test_conditions_without_window_are_not_evaluable() -> None:
    conditions = {c.id: c for c in automatic_conditions(ev())}
    assert conditions["sev1_open"].holds is None
    assert conditions["p0_p1_open"].holds is False


def test_freeze_triggers() -> None:
    triggers = {c.id: c.holds for c in freeze_triggers(RUBRIC, {"a": 4, "b": 1}, ev())}
    assert triggers == {
        "score_below": True,
        "category_below": True,
        "sev1": False,
        "p0_open": False,
    }


def test_next_review_is_the_next_monday() -> None:
    assert next_review(date(2026, 2, 19)) == date(2026, 2, 23)
    assert next_review(date(2026, 2, 23)) == date(2026, 3, 2)


def test_stale_scorecard_blocks() -> None:
    gates = [g("G1", GateStatus.PASS), g("G2", GateStatus.PASS)]
    d = decide(PHASE, gates, RUBRIC, {"a": 4, "b": 4}, [], stale_scorecard="scorecard too old")
    assert d.verdict == "NO-GO" and d.blockers == ("scorecard too old",)
