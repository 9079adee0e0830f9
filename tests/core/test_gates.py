"""Gate checks over evidence: missing or stale evidence never passes."""

from __future__ import annotations

from datetime import date

from slogate.core.catalog import Catalog, EventSpec, Origin
from slogate.core.evidence import (
    Attestation,
    Dated,
    DrillJournal,
    FlakeRecord,
    FlakeRun,
    Outcome,
    TestCase,
    TestRun,
    TrackedItem,
    Waiver,
)
from slogate.core.gates import (
    CheckSpec,
    EvidenceSet,
    GateSpec,
    GateStatus,
    combine,
    evaluate_gate,
    runbook_terms,
)
from slogate.core.slo import SLO, Op, QuantileSLI, Selector, Target, Unit

AS_OF = date(2026, 2, 19)
CATALOG = Catalog(
    {
        "hydra_preset_eval_success": EventSpec(
            "hydra_preset_eval_success", "hydra", Origin.CLIENT, correlation=("session_id",)
        )
    }
)
SLOS = (
    SLO(
        "p95",
        "hydra",
        "First frame p95",
        QuantileSLI(Selector(("hydra_preset_eval_success",)), "duration_ms"),
        Target(Op.LE, 2000, Unit.MS),
    ),
)


def ev(**kw: object) -> EvidenceSet:
    return EvidenceSet(as_of=AS_OF, catalog=CATALOG, slos=SLOS, **kw)  # type: ignore[arg-type]


def junit(day: date, *cases: TestCase) -> Dated:
    return Dated(day, f"junit/{day}.xml", TestRun(f"junit/{day}.xml", cases))


def gate(*checks: CheckSpec) -> GateSpec:
    return GateSpec("G", "gate", checks)


KI = TrackedItem("KI-1", "dup", "P0", "fixed", ("suite::test_dup",))


def test_missing_evidence_is_not_started() -> None:
    for kind in ("tests", "flake", "window", "budget", "drill", "runbook", "pii_scan"):
        result = evaluate_gate(gate(CheckSpec("c", kind)), ev())
        assert result.status is GateStatus.NOT_STARTED, kind
        assert result.checks[0].reason


def test_stale_evidence_is_in_progress_never_pass() -> None:
    old = junit(date(2026, 2, 1), TestCase("test_dup", "suite"))
    result = evaluate_gate(gate(CheckSpec("c", "tests", max_age_days=7)), ev(junit=(old,)))
    assert result.status is GateStatus.IN_PROGRESS
    assert "7 days" in result.checks[0].reason


def test_evidence_after_as_of_is_not_used() -> None:
    later = junit(date(2026, 2, 20), TestCase("test_dup", "suite"))
    result = evaluate_gate(gate(CheckSpec("c", "tests")), ev(junit=(later,)))
    assert result.status is GateStatus.NOT_STARTED


def test_known_issue_missing_or_failing_test_fails_by_name() -> None:
    spec = CheckSpec("ki", "known_issues", max_age_days=7)
    missing = evaluate_gate(
        gate(spec), ev(junit=(junit(AS_OF, TestCase("other", "suite")),), known_issues=(KI,))
    )
    assert missing.status is GateStatus.FAIL
    assert "KI-1: test suite::test_dup missing" in missing.checks[0].reason
    failing = evaluate_gate(
        gate(spec),
        ev(
            junit=(junit(AS_OF, TestCase("test_dup", "suite", outcome=Outcome.FAILED)),),
            known_issues=(KI,),
        ),
    )
    assert failing.status is GateStatus.FAIL and "failed" in failing.checks[0].reason
    ok = evaluate_gate(
        gate(spec), ev(junit=(junit(AS_OF, TestCase("test_dup", "suite")),), known_issues=(KI,))
    )
    assert ok.status is GateStatus.PASS


def test_newest_outcome_per_test_wins() -> None:
    spec = CheckSpec("t", "tests", max_age_days=7)
    runs = (
        junit(date(2026, 2, 17), TestCase("x", "s", outcome=Outcome.FAILED)),
        junit(date(2026, 2, 18), TestCase("x", "s")),
    )
    assert evaluate_gate(gate(spec), ev(junit=runs)).status is GateStatus.PASS


def test_open_known_issue_fails() -> None:
    open_ki = TrackedItem("KI-2", "x", "P1", "open", ("s::t",))
    result = evaluate_gate(
        gate(CheckSpec("ki", "known_issues")),
        ev(junit=(junit(AS_OF, TestCase("t", "s")),), known_issues=(open_ki,)),
    )
    assert result.status is GateStatus.FAIL and "KI-2 is open" in result.checks[0].reason


def _flake(failed_runs: int, runs: int = 20) -> Dated:
    return Dated(
        AS_OF,
        "flake/f.json",
        FlakeRecord(
            AS_OF,
            "abc",
            (),
            tuple(FlakeRun(i, 0, 10, int(i <= failed_runs), 0, 0) for i in range(1, runs + 1)),
        ),
    )


def test_flake_threshold_on_point_or_upper_bound() -> None:
    point = CheckSpec("f", "flake", {"max_rate": 0.02, "measure": "point", "min_runs": 20})
    upper = CheckSpec("f", "flake", {"max_rate": 0.02, "measure": "upper_bound", "min_runs": 20})
    assert evaluate_gate(gate(point), ev(flakes=(_flake(0),))).status is GateStatus.PASS
    bounded = evaluate_gate(gate(upper), ev(flakes=(_flake(0),)))
    assert bounded.status is GateStatus.FAIL and "13.9 %" in bounded.checks[0].reason
    assert evaluate_gate(gate(point), ev(flakes=(_flake(1),))).status is GateStatus.FAIL
    short = evaluate_gate(gate(point), ev(flakes=(_flake(0, runs=5),)))
    assert short.status is GateStatus.IN_PROGRESS


def _window(status: str, **extra: object) -> Dated:
    doc = {
        "start": "2026-02-12",
        "days": 7,
        "days_completed": 7,
        "status": status,
        "incidents": [],
        "slos": [{"id": "p95", "met": True}],
        "completion_criteria": [],
        "budgets": {"pillars": {"hydra": {"burned_fraction": 0.1}}},
    }
    doc.update(extra)
    return Dated(date(2026, 2, 12), "windows/window_2026_02_12.json", doc)


def test_window_and_budget() -> None:
    w = CheckSpec("w", "window")
    b = CheckSpec("b", "budget", {"max_burn": 0.25})
    assert evaluate_gate(gate(w, b), ev(windows=(_window("complete"),))).status is GateStatus.PASS
    assert (
        evaluate_gate(gate(w), ev(windows=(_window("in_progress", days_completed=3),))).status
        is GateStatus.IN_PROGRESS
    )
    sev1 = _window("complete", incidents=[{"slo": "p95", "severity": 1}])
    assert evaluate_gate(gate(w), ev(windows=(sev1,))).status is GateStatus.FAIL
    burn = _window("complete", budgets={"pillars": {"hydra": {"burned_fraction": 0.3}}})
    result = evaluate_gate(gate(b), ev(windows=(burn,)))
    assert result.status is GateStatus.FAIL and "hydra" in result.checks[0].reason
    # A window that failed on SLOs ran all its days: its budget burn is final, not pending.
    assert evaluate_gate(gate(b), ev(windows=(_window("failed"),))).status is GateStatus.PASS
    assert (
        evaluate_gate(gate(b), ev(windows=(_window("in_progress", days_completed=3),))).status
        is GateStatus.IN_PROGRESS
    )


def test_drill_within_window() -> None:
    spec = CheckSpec("d", "drill", {"within_window": True, "name": "rollback"})
    drill = Dated(
        date(2026, 2, 18), "drills/d.json", DrillJournal("rollback", date(2026, 2, 18), "passed")
    )
    before = Dated(
        date(2026, 2, 1), "drills/o.json", DrillJournal("rollback", date(2026, 2, 1), "passed")
    )
    assert (
        evaluate_gate(gate(spec), ev(drills=(drill,), windows=(_window("complete"),))).status
        is GateStatus.PASS
    )
    assert (
        evaluate_gate(gate(spec), ev(drills=(before,), windows=(_window("complete"),))).status
        is GateStatus.IN_PROGRESS
    )
    assert evaluate_gate(gate(spec), ev(drills=(drill,))).status is GateStatus.IN_PROGRESS


def test_runbook_must_name_every_field() -> None:
    spec = CheckSpec("r", "runbook")
    assert runbook_terms(SLOS) == ["hydra_preset_eval_success", "duration_ms"]
    partial = Dated(AS_OF, "runbook/r.md", "hydra_preset_eval_success only")
    result = evaluate_gate(gate(spec), ev(runbooks=(partial,)))
    assert result.status is GateStatus.FAIL and "duration_ms" in result.checks[0].reason
    full = Dated(AS_OF, "runbook/r.md", "hydra_preset_eval_success.duration_ms")
    assert evaluate_gate(gate(spec), ev(runbooks=(full,))).status is GateStatus.PASS


def test_attestation_expiry() -> None:
    spec = CheckSpec("a", "attestation", {"attestation": "required_checks"})
    valid = Attestation("required_checks", "on", "me", date(2026, 2, 1), date(2026, 3, 1))
    expired = Attestation("required_checks", "on", "me", date(2026, 1, 1), date(2026, 2, 1))
    assert evaluate_gate(gate(spec), ev(attestations=(valid,))).status is GateStatus.PASS
    assert evaluate_gate(gate(spec), ev(attestations=(expired,))).status is GateStatus.IN_PROGRESS
    assert evaluate_gate(gate(spec), ev()).status is GateStatus.NOT_STARTED


def test_waiver_counts_until_it_expires() -> None:
    spec = CheckSpec("w", "window")
    active = Waiver("G", "w", "lead", "window tooling broke", date(2026, 2, 20))
    expired = Waiver("G", "w", "lead", "old", date(2026, 2, 18))
    waived = evaluate_gate(gate(spec), ev(waivers=(active,)))
    assert waived.status is GateStatus.PASS
    assert waived.checks[0].waived_by == active and "WAIVED" in waived.checks[0].reason
    assert evaluate_gate(gate(spec), ev(waivers=(expired,))).status is GateStatus.NOT_STARTED


def test_combine() -> None:
    from slogate.core.gates import CheckResult

    def r(s: GateStatus) -> CheckResult:
        return CheckResult("c", "k", s, "")

    assert combine([]) is GateStatus.NOT_STARTED
    assert combine([r(GateStatus.PASS), r(GateStatus.NOT_STARTED)]) is GateStatus.IN_PROGRESS
    assert combine([r(GateStatus.NOT_STARTED)] * 2) is GateStatus.NOT_STARTED
    assert combine([r(GateStatus.PASS), r(GateStatus.FAIL)]) is GateStatus.FAIL
    assert combine([r(GateStatus.PASS)] * 3) is GateStatus.PASS


def test_flake_over_the_last_n_runs_only() -> None:
    # 1 failure in the first 5 of 25 runs: the last 20 are clean
    record = Dated(
        AS_OF,
        "flake/f.json",
        FlakeRecord(
            AS_OF,
            "abc",
            (),
            tuple(FlakeRun(i, 0, 10, int(i == 2), 0, 0) for i in range(1, 26)),
        ),
    )
    spec = CheckSpec("f", "flake", {"max_rate": 0.02, "min_runs": 20, "last_runs": 20})
    result = evaluate_gate(gate(spec), ev(flakes=(record,)))
    assert result.status is GateStatus.PASS and "over 20 runs" in result.checks[0].reason
    whole = CheckSpec("f", "flake", {"max_rate": 0.02, "min_runs": 20})
    assert evaluate_gate(gate(whole), ev(flakes=(record,))).status is GateStatus.FAIL


def test_pii_scan_findings_fail_by_field() -> None:
    spec = CheckSpec("p", "pii_scan")
    leaky = Dated(
        AS_OF,
        "pii/p.json",
        {"events_scanned": 10, "findings_total": 3, "findings": [{"fields": ["error"]}]},
    )
    result = evaluate_gate(gate(spec), ev(pii_scans=(leaky,)))
    assert result.status is GateStatus.FAIL and "3 events" in result.checks[0].reason
    assert "error" in result.checks[0].reason
    empty = Dated(AS_OF, "pii/p.json", {"events_scanned": 0, "findings": []})
    assert evaluate_gate(gate(spec), ev(pii_scans=(empty,))).status is GateStatus.IN_PROGRESS
