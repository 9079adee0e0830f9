"""Gates as lists of checks over evidence, evaluated as of a date.

A check never passes on missing or stale evidence: missing evidence gives
NOT_STARTED, stale or still-accruing evidence IN_PROGRESS, each with the reason.
Check kinds are a registry of pure functions; configuration names the kind and
its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from slogate.core.catalog import Catalog
from slogate.core.evidence import (
    Attestation,
    Dated,
    DrillJournal,
    FlakeRecord,
    TestRun,
    TrackedItem,
    Waiver,
    find_test,
    newest_outcomes,
)
from slogate.core.rubric import Rubric, Scorecard, check_threshold
from slogate.core.slo import SLO, events_of, fields_of


class GateStatus(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    IN_PROGRESS = "IN_PROGRESS"
    NOT_STARTED = "NOT_STARTED"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    kind: str
    params: Mapping[str, object] = field(default_factory=dict)
    max_age_days: int | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class GateSpec:
    id: str
    name: str
    checks: tuple[CheckSpec, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    kind: str
    status: GateStatus
    reason: str
    evidence: tuple[str, ...] = ()
    waived_by: Waiver | None = None


@dataclass(frozen=True, slots=True)
class GateResult:
    gate: str
    name: str
    status: GateStatus
    checks: tuple[CheckResult, ...]

    @property
    def summary(self) -> str:
        return "; ".join(f"{c.check}: {c.reason}" for c in self.checks)

    @property
    def evidence(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for c in self.checks:
            for path in c.evidence:
                seen.setdefault(path, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class EvidenceSet:
    """Everything an evaluation may read, already parsed and dated; files dated
    after `as_of` have been left out by the loader."""

    as_of: date
    catalog: Catalog
    slos: tuple[SLO, ...]
    rubric: Rubric | None = None
    snapshots: tuple[Dated, ...] = ()  # data: snapshot JSON dict
    windows: tuple[Dated, ...] = ()  # data: window JSON dict
    junit: tuple[Dated, ...] = ()  # data: TestRun
    flakes: tuple[Dated, ...] = ()  # data: FlakeRecord
    drills: tuple[Dated, ...] = ()  # data: DrillJournal
    pii_scans: tuple[Dated, ...] = ()  # data: dict
    runbooks: tuple[Dated, ...] = ()  # data: str (text)
    scorecards: tuple[Dated, ...] = ()  # data: Scorecard
    attestations: tuple[Attestation, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    known_issues: tuple[TrackedItem, ...] = ()
    controls: tuple[TrackedItem, ...] = ()

    def newest(self, items: Sequence[Dated]) -> Dated | None:
        eligible = [d for d in items if d.date <= self.as_of]
        return max(eligible, key=lambda d: (d.date, d.path)) if eligible else None

    def fresh(self, items: Sequence[Dated], max_age_days: int | None) -> list[Dated]:
        return [d for d in items if d.date <= self.as_of and _age_ok(d.date, self, max_age_days)]


def _age_ok(day: date, ev: EvidenceSet, max_age_days: int | None) -> bool:
    return max_age_days is None or (ev.as_of - day).days <= max_age_days


def _result(
    spec: CheckSpec, status: GateStatus, reason: str, evidence: Sequence[str] = ()
) -> CheckResult:
    return CheckResult(spec.id, spec.kind, status, reason, tuple(evidence))


def _newest_fresh(
    spec: CheckSpec, ev: EvidenceSet, items: Sequence[Dated], what: str
) -> Dated | CheckResult:
    """The newest item, or the NOT_STARTED / IN_PROGRESS result saying why not."""
    newest = ev.newest(items)
    if newest is None:
        return _result(spec, GateStatus.NOT_STARTED, f"no {what} evidence as of {ev.as_of}")
    if not _age_ok(newest.date, ev, spec.max_age_days):
        return _result(
            spec,
            GateStatus.IN_PROGRESS,
            f"newest {what} evidence is from {newest.date}, older than "
            f"{spec.max_age_days} days as of {ev.as_of}: refresh it",
            [newest.path],
        )
    return newest


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


# --- check kinds ---------------------------------------------------------------------


def check_coverage(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    """Required families defined in the catalog, their events declare correlation
    fields, and the newest snapshot has no SLO left uncomputable."""
    families = [str(f) for f in _list(spec.params.get("families"))]
    defined = set(ev.catalog.families())
    missing = [f for f in families if f not in defined]
    if missing:
        return _result(spec, GateStatus.FAIL, f"no events for families: {', '.join(missing)}")
    required_corr = {str(f) for f in _list(spec.params.get("correlation"))}
    if required_corr:
        # "where applicable": every family must carry at least one correlation field
        for family in families or sorted(defined):
            events = [e for e in ev.catalog.events.values() if e.family == family]
            if not any(required_corr & set(e.correlation) for e in events):
                return _result(
                    spec,
                    GateStatus.FAIL,
                    f"no {family} event declares a correlation field "
                    f"({', '.join(sorted(required_corr))})",
                )
    got = _newest_fresh(spec, ev, ev.snapshots, "snapshot")
    if isinstance(got, CheckResult):
        return got
    doc = got.data
    assert isinstance(doc, dict)
    counts = doc.get("classification", {})
    limit = int(spec.params.get("max_not_computable", 0))  # type: ignore[call-overload]
    not_computable = int(counts.get("instrumented_not_computable", 0))
    if not_computable > limit:
        return _result(
            spec,
            GateStatus.FAIL,
            f"{not_computable} SLOs instrumented but not computable (limit {limit})",
            [got.path],
        )
    n_events = len([e for e in ev.catalog.events.values() if e.family in families or not families])
    return _result(
        spec,
        GateStatus.PASS,
        f"{len(families) or len(defined)} families, {n_events} events defined; "
        f"{counts.get('measurable_now', 0)}/{len(doc.get('slos', []))} SLOs measurable",
        [got.path],
    )


def check_pii_scan(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    got = _newest_fresh(spec, ev, ev.pii_scans, "PII scan")
    if isinstance(got, CheckResult):
        return got
    doc = got.data
    assert isinstance(doc, dict)
    findings = doc.get("findings") or []
    scanned = int(doc.get("events_scanned", 0))
    missing_corr = doc.get("missing_correlation") or {}
    if scanned <= 0:
        return _result(spec, GateStatus.IN_PROGRESS, "the PII scan saw no events", [got.path])
    n_findings = int(doc.get("findings_total", len(findings)))
    if n_findings:
        fields = sorted({f for x in findings for f in x.get("fields", [])})
        return _result(
            spec,
            GateStatus.FAIL,
            f"{n_findings} events with PII or tokens in {scanned} scanned"
            + (f" (fields: {', '.join(fields)})" if fields else ""),
            [got.path],
        )
    if missing_corr:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(missing_corr.items()))
        return _result(
            spec, GateStatus.FAIL, f"events missing correlation fields: {names}", [got.path]
        )
    return _result(
        spec,
        GateStatus.PASS,
        f"no raw PII or tokens in {scanned} sampled events; correlation fields present",
        [got.path],
    )


def _junit(spec: CheckSpec, ev: EvidenceSet) -> list[Dated] | CheckResult:
    fresh = ev.fresh(ev.junit, spec.max_age_days)
    if fresh:
        return fresh
    if ev.newest(ev.junit) is None:
        return _result(spec, GateStatus.NOT_STARTED, f"no JUnit results as of {ev.as_of}")
    return _result(
        spec,
        GateStatus.IN_PROGRESS,
        f"no JUnit results within {spec.max_age_days} days of {ev.as_of}: rerun the tests",
    )


def check_tests(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    """Every test in the fresh JUnit results passes (newest outcome per test);
    listed `tests` must be among them."""
    runs = _junit(spec, ev)
    if isinstance(runs, CheckResult):
        return runs
    pairs = [(d.date, d.data) for d in runs if isinstance(d.data, TestRun)]
    outcomes = newest_outcomes(pairs)
    paths = sorted({source for _, source in outcomes.values()})
    bad = sorted(k for k, (case, _) in outcomes.items() if case.outcome.bad)
    missing = [t for t in _list(spec.params.get("tests")) if find_test(outcomes, str(t)) is None]
    if bad:
        shown = ", ".join(bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else "")
        return _result(spec, GateStatus.FAIL, f"{len(bad)} tests failing: {shown}", paths)
    if missing:
        return _result(
            spec, GateStatus.FAIL, f"required tests missing: {', '.join(map(str, missing))}", paths
        )
    minimum = int(spec.params.get("min_tests", 1))  # type: ignore[call-overload]
    if len(outcomes) < minimum:
        return _result(
            spec, GateStatus.FAIL, f"only {len(outcomes)} tests (minimum {minimum})", paths
        )
    files = len({case.file or case.classname for case, _ in outcomes.values()})
    return _result(spec, GateStatus.PASS, f"{len(outcomes)} tests passing in {files} files", paths)


def _tracked(
    spec: CheckSpec, ev: EvidenceSet, items: Sequence[TrackedItem], what: str
) -> CheckResult:
    wanted = {str(x) for x in _list(spec.params.get("items"))}
    chosen = [i for i in items if not wanted or i.id in wanted]
    if not chosen:
        return _result(spec, GateStatus.NOT_STARTED, f"no {what} listed in the configuration")
    runs = _junit(spec, ev)
    if isinstance(runs, CheckResult):
        return runs
    outcomes = newest_outcomes((d.date, d.data) for d in runs if isinstance(d.data, TestRun))
    problems: list[str] = []
    used: dict[str, None] = {}
    for item in chosen:
        if not item.resolved:
            problems.append(f"{item.id} is {item.status}")
            continue
        if not item.tests:
            problems.append(f"{item.id} has no regression test")
        for test_id in item.tests:
            found = find_test(outcomes, test_id)
            if found is None:
                problems.append(f"{item.id}: test {test_id} missing from JUnit results")
            elif found[0].outcome.bad:
                problems.append(f"{item.id}: test {test_id} {found[0].outcome.value}")
            else:
                used.setdefault(found[1], None)
    if problems:
        return _result(spec, GateStatus.FAIL, "; ".join(problems), sorted(used))
    ids = [i.id for i in chosen]
    label = f"{ids[0]}..{ids[-1]}" if len(ids) > 2 else ", ".join(ids)
    n_tests = sum(len(i.tests) for i in chosen)
    return _result(
        spec,
        GateStatus.PASS,
        f"{label} {'fixed' if what == 'known issues' else 'enforced'}; "
        f"{n_tests} regression tests passing",
        sorted(used),
    )


def check_known_issues(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    return _tracked(spec, ev, ev.known_issues, "known issues")


def check_controls(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    return _tracked(spec, ev, ev.controls, "controls")


def check_flake(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    got = _newest_fresh(spec, ev, ev.flakes, "flake")
    if isinstance(got, CheckResult):
        return got
    record = got.data
    assert isinstance(record, FlakeRecord)
    min_runs = int(spec.params.get("min_runs", 20))  # type: ignore[call-overload]
    threshold = float(spec.params.get("max_rate", 0.02))  # type: ignore[arg-type]
    basis = str(spec.params.get("basis", "runs"))
    measure = str(spec.params.get("measure", "point"))
    last = spec.params.get("last_runs")
    if last:
        record = replace(record, runs=record.runs[-int(last) :])  # type: ignore[call-overload]
    runs = record.runs
    if len(runs) < min_runs:
        return _result(
            spec,
            GateStatus.IN_PROGRESS,
            f"{len(runs)} runs recorded, {min_runs} needed",
            [got.path],
        )
    point = record.rate(basis)
    upper = record.upper_bound(basis)
    value = upper if measure == "upper_bound" else point
    what = (
        f"{basis.rstrip('s')} flake rate {_pct(point)} (95 % upper bound {_pct(upper)}) "
        f"over {len(runs)} runs"
    )
    tests = f"; {record.test_count} tests" if record.test_count else ""
    if record.files_total:
        tests += f" in {record.files_total} files"
    if value < threshold:
        return _result(
            spec,
            GateStatus.PASS,
            f"{what}{tests}; {measure.replace('_', ' ')} < {_pct(threshold)}",
            [got.path],
        )
    return _result(
        spec,
        GateStatus.FAIL,
        f"{what}; {measure.replace('_', ' ')} is not < {_pct(threshold)}",
        [got.path],
    )


def _window(spec: CheckSpec, ev: EvidenceSet) -> Dated | CheckResult:
    return _newest_fresh(spec, ev, ev.windows, "validation window")


def check_window(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    got = _window(spec, ev)
    if isinstance(got, CheckResult):
        return got
    doc = got.data
    assert isinstance(doc, dict)
    sev1 = [i for i in doc.get("incidents", []) if i.get("severity") == 1]
    missed = [s.get("id") for s in doc.get("slos", []) if s.get("met") is False]
    status = doc.get("status")
    if sev1:
        return _result(
            spec, GateStatus.FAIL, f"{len(sev1)} Sev-1 incidents in the window", [got.path]
        )
    if missed:
        return _result(
            spec, GateStatus.FAIL, f"SLOs missed: {', '.join(map(str, missed))}", [got.path]
        )
    if status == "complete":
        return _result(
            spec,
            GateStatus.PASS,
            f"window from {doc.get('start')} complete: every SLO met, no Sev-1",
            [got.path],
        )
    if status == "failed":
        failed = [c.get("name") for c in doc.get("completion_criteria", []) if not c.get("passed")]
        return _result(
            spec, GateStatus.FAIL, f"window failed: {', '.join(map(str, failed))}", [got.path]
        )
    return _result(
        spec,
        GateStatus.IN_PROGRESS,
        f"window from {doc.get('start')}: {doc.get('days_completed', 0)}/{doc.get('days')} days",
        [got.path],
    )


def check_budget(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    got = _window(spec, ev)
    if isinstance(got, CheckResult):
        return got
    doc = got.data
    assert isinstance(doc, dict)
    limit = float(spec.params.get("max_burn", 0.25))  # type: ignore[arg-type]
    pillars = (doc.get("budgets") or {}).get("pillars") or {}
    over = {p: v.get("burned_fraction", 0) for p, v in pillars.items()}
    over = {p: f for p, f in over.items() if f is not None and f > limit}
    if over:
        worst = ", ".join(f"{p} {_pct(f)}" for p, f in sorted(over.items()))
        return _result(
            spec, GateStatus.FAIL, f"budget burn over {_pct(limit)}: {worst}", [got.path]
        )
    # A failed window ran all its days too (it failed on SLOs): its budget burn is final.
    finished = doc.get("status") in ("complete", "failed") or (
        doc.get("days") is not None and doc.get("days_completed") == doc.get("days")
    )
    if not finished:
        return _result(
            spec,
            GateStatus.IN_PROGRESS,
            f"window not complete; burn under {_pct(limit)} so far",
            [got.path],
        )
    return _result(
        spec, GateStatus.PASS, f"every pillar burned <= {_pct(limit)} of its budget", [got.path]
    )


def check_drill(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    name = spec.params.get("name")
    drills = [d for d in ev.drills if name is None or getattr(d.data, "name", None) == name]
    if spec.params.get("within_window"):
        got = _window(spec, ev)
        if isinstance(got, CheckResult):
            newest = ev.newest(drills)
            if newest is not None and isinstance(newest.data, DrillJournal) and newest.data.passed:
                return CheckResult(
                    spec.id,
                    spec.kind,
                    GateStatus.IN_PROGRESS,
                    f"rollback drill passed on {newest.date}; it must be repeated within the "
                    "validation window, which has not started",
                    (newest.path,),
                )
            return got
        start = date.fromisoformat(str(got.data["start"]))  # type: ignore[index]
        end = start + timedelta(days=int(got.data.get("days", 7)))  # type: ignore[union-attr]
        drills = [d for d in drills if start <= d.date < end]
        if not drills:
            return _result(
                spec, GateStatus.IN_PROGRESS, f"no drill yet in the window from {start}", [got.path]
            )
    got_d = _newest_fresh(spec, ev, drills, "drill")
    if isinstance(got_d, CheckResult):
        return got_d
    journal = got_d.data
    assert isinstance(journal, DrillJournal)
    if not journal.passed:
        return _result(
            spec, GateStatus.FAIL, f"drill {journal.name} on {got_d.date} failed", [got_d.path]
        )
    return _result(
        spec,
        GateStatus.PASS,
        f"drill {journal.name} passed on {got_d.date} in {journal.duration_s:.0f} s",
        [got_d.path],
    )


def runbook_terms(slos: Sequence[SLO]) -> list[str]:
    """Event names and fields the SLOs use: the runbook must name each one."""
    terms: dict[str, None] = {}
    for slo in slos:
        for name in events_of(slo.sli):
            terms.setdefault(name, None)
        for name in fields_of(slo.sli):
            terms.setdefault(name, None)
    return list(terms)


def check_runbook(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    got = _newest_fresh(spec, ev, ev.runbooks, "runbook")
    if isinstance(got, CheckResult):
        return got
    text = str(got.data)
    missing = [t for t in runbook_terms(ev.slos) if t not in text]
    if missing:
        return _result(
            spec,
            GateStatus.FAIL,
            f"runbook does not mention: {', '.join(missing)} (run `slogate runbook`)",
            [got.path],
        )
    return _result(
        spec,
        GateStatus.PASS,
        f"runbook names all {len(runbook_terms(ev.slos))} events and fields the SLOs use",
        [got.path],
    )


def check_score(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    if ev.rubric is None:
        return _result(spec, GateStatus.NOT_STARTED, "no rubric configured")
    got = _newest_fresh(spec, ev, ev.scorecards, "scorecard")
    if isinstance(got, CheckResult):
        return got
    card = got.data
    assert isinstance(card, Scorecard)
    threshold = ev.rubric.threshold(str(spec.params.get("threshold", "complete")))
    result = check_threshold(ev.rubric, card.scores, threshold)
    if result.met:
        return _result(
            spec,
            GateStatus.PASS,
            f"score {result.total:.2f} >= {threshold.min_total:g}",
            [got.path],
        )
    why = f"score {result.total:.2f} < {threshold.min_total:g}"
    if result.below_min:
        why += f"; below {threshold.min_category}: {', '.join(result.below_min)}"
    return _result(spec, GateStatus.FAIL, why, [got.path])


def check_attestation(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    wanted = str(spec.params.get("attestation", spec.id))
    found = [a for a in ev.attestations if a.id == wanted and a.on <= ev.as_of]
    if not found:
        return _result(spec, GateStatus.NOT_STARTED, f"no attestation {wanted!r}")
    newest = max(found, key=lambda a: a.on)
    paths = [newest.source] if newest.source else []
    if not newest.valid_on(ev.as_of) or not _age_ok(newest.on, ev, spec.max_age_days):
        return _result(
            spec,
            GateStatus.IN_PROGRESS,
            f"attestation {wanted!r} by {newest.by} expired (given {newest.on}): renew it",
            paths,
        )
    until = f", valid until {newest.expires}" if newest.expires else ""
    return _result(
        spec,
        GateStatus.PASS,
        f"{newest.claim} (attested by {newest.by} on {newest.on}{until})",
        paths,
    )


def check_classification(spec: CheckSpec, ev: EvidenceSet) -> CheckResult:
    """Counts per measurability class in the newest snapshot within bounds."""
    got = _newest_fresh(spec, ev, ev.snapshots, "snapshot")
    if isinstance(got, CheckResult):
        return got
    doc = got.data
    assert isinstance(doc, dict)
    counts: dict[str, int] = doc.get("classification", {})
    problems: list[str] = []
    for cls, limit in dict(spec.params.get("max") or {}).items():  # type: ignore[call-overload]
        if counts.get(cls, 0) > int(limit):
            problems.append(f"{counts.get(cls, 0)} {cls} (max {limit})")
    for cls, limit in dict(spec.params.get("min") or {}).items():  # type: ignore[call-overload]
        if counts.get(cls, 0) < int(limit):
            problems.append(f"{counts.get(cls, 0)} {cls} (min {limit})")
    total = len(doc.get("slos", []))
    measurable = counts.get("measurable_now", 0)
    if problems:
        return _result(spec, GateStatus.FAIL, "; ".join(problems), [got.path])
    return _result(spec, GateStatus.PASS, f"{measurable}/{total} SLOs measurable now", [got.path])


CheckFn = Callable[[CheckSpec, EvidenceSet], CheckResult]

CHECKS: dict[str, CheckFn] = {
    "coverage": check_coverage,
    "pii_scan": check_pii_scan,
    "tests": check_tests,
    "known_issues": check_known_issues,
    "controls": check_controls,
    "flake": check_flake,
    "window": check_window,
    "budget": check_budget,
    "drill": check_drill,
    "runbook": check_runbook,
    "score": check_score,
    "attestation": check_attestation,
    "classification": check_classification,
}


def _list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def combine(results: Sequence[CheckResult]) -> GateStatus:
    """FAIL if any check fails; PASS only if all pass; IN_PROGRESS when some
    evidence exists; NOT_STARTED when none does."""
    if not results:
        return GateStatus.NOT_STARTED
    statuses = [r.status for r in results]
    if GateStatus.FAIL in statuses:
        return GateStatus.FAIL
    if all(s is GateStatus.PASS for s in statuses):
        return GateStatus.PASS
    if any(s in (GateStatus.PASS, GateStatus.IN_PROGRESS) for s in statuses):
        return GateStatus.IN_PROGRESS
    return GateStatus.NOT_STARTED


def evaluate_gate(gate: GateSpec, ev: EvidenceSet) -> GateResult:
    results: list[CheckResult] = []
    for spec in gate.checks:
        fn = CHECKS.get(spec.kind)
        if fn is None:
            result = _result(spec, GateStatus.FAIL, f"unknown check kind {spec.kind!r}")
        else:
            result = fn(spec, ev)
        if result.status is not GateStatus.PASS:
            waiver = next(
                (w for w in ev.waivers if w.covers(gate.id, spec.id) and w.active_on(ev.as_of)),
                None,
            )
            if waiver is not None:
                result = CheckResult(
                    result.check,
                    result.kind,
                    GateStatus.PASS,
                    f"WAIVED by {waiver.approver} until {waiver.expires} ({waiver.reason}); "
                    f"was {result.status.value}: {result.reason}",
                    result.evidence,
                    waiver,
                )
        results.append(result)
    return GateResult(gate.id, gate.name, combine(results), tuple(results))


def evaluate_gates(gates: Sequence[GateSpec], ev: EvidenceSet) -> list[GateResult]:
    return [evaluate_gate(g, ev) for g in gates]


def requirement_satisfied(requirement: str, results: Sequence[GateResult], ev: EvidenceSet) -> bool:
    """A rubric level requirement names a gate, a check or an attestation."""
    for gate in results:
        if gate.gate == requirement:
            return gate.status is GateStatus.PASS
        for check in gate.checks:
            if check.check == requirement:
                return check.status is GateStatus.PASS
    return any(a.id == requirement and a.valid_on(ev.as_of) for a in ev.attestations)
