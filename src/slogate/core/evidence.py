"""Typed evidence records: test runs, flake records, drills, known issues,
controls, attestations and waivers. Adapters in `slogate.evidence` build them
from files; gates read only these."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    classname: str = ""
    file: str = ""
    outcome: Outcome = Outcome.PASSED
    time_s: float = 0.0
    message: str = ""
    reruns: int = 0  # reruns before the final outcome (pytest-rerunfailures, Surefire)

    __test__ = False  # not a pytest class

    @property
    def id(self) -> str:
        return f"{self.classname}::{self.name}" if self.classname else self.name

    @property
    def flaky(self) -> bool:
        """Passed only after a rerun: it both failed and passed on the same code."""
        return self.reruns > 0 and self.outcome is Outcome.PASSED

    def matches(self, test_id: str) -> bool:
        """A listed regression test id may be the bare name, `classname::name`,
        `classname.name`, `file::name` or `file > name` (Vitest style)."""
        candidates = {
            self.name,
            self.id,
            f"{self.classname}.{self.name}",
            f"{self.classname} > {self.name}",
        }
        if self.file:
            candidates |= {f"{self.file}::{self.name}", f"{self.file} > {self.name}"}
        return test_id in candidates


@dataclass(frozen=True, slots=True)
class TestRun:
    """One JUnit report: the cases of every suite in one file."""

    source: str
    cases: tuple[TestCase, ...]
    timestamp: datetime | None = None
    tool: str = "unknown"

    __test__ = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for c in self.cases if c.outcome is outcome)

    @property
    def ok(self) -> bool:
        return not any(c.outcome.bad for c in self.cases)

    @property
    def files(self) -> int:
        return len({c.file or c.classname for c in self.cases})


def newest_outcomes(runs: Iterable[tuple[date, TestRun]]) -> dict[str, tuple[TestCase, str]]:
    """Per test id, the case from the newest run that has it (with its source)."""
    out: dict[str, tuple[TestCase, str, date]] = {}
    for day, run in runs:
        for case in run.cases:
            seen = out.get(case.id)
            if seen is None or day >= seen[2]:
                out[case.id] = (case, run.source, day)
    return {k: (v[0], v[1]) for k, v in out.items()}


def find_test(
    outcomes: Mapping[str, tuple[TestCase, str]], test_id: str
) -> tuple[TestCase, str] | None:
    if test_id in outcomes:
        return outcomes[test_id]
    for case, source in outcomes.values():
        if case.matches(test_id):
            return case, source
    return None


def clopper_pearson_upper(failures: int, trials: int, confidence: float = 0.95) -> float:
    """Exact one-sided upper confidence bound of a binomial rate.

    0 failures in 20 runs gives 1 - 0.05**(1/20), about 13.9 %: twenty clean
    runs do not prove a flake rate under 2 %, they bound it under 14 %.
    """
    if trials <= 0:
        return 1.0
    if failures >= trials:
        return 1.0
    alpha = 1.0 - confidence
    if failures == 0:
        return 1.0 - alpha ** (1.0 / trials)

    def cdf(p: float) -> float:
        return sum(
            math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(failures + 1)
        )

    lo, hi = failures / trials, 1.0
    for _ in range(200):  # bisection: cdf falls as p grows
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True, slots=True)
class FlakeRun:
    index: int
    exit_code: int | None
    tests: int
    failed: int
    errors: int
    skipped: int
    duration_s: float = 0.0
    failing: tuple[str, ...] = ()
    junit: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.errors == 0 and (self.exit_code in (0, None))


@dataclass(frozen=True, slots=True)
class FlakeRecord:
    """N runs of the same test command on the same commit."""

    date: date
    commit: str | None
    command: tuple[str, ...]
    runs: tuple[FlakeRun, ...]
    #: per test id: (runs it passed, runs it failed or errored)
    tests: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    tests_total: int | None = None  # when per-test outcomes were not kept (imported summaries)
    files_total: int | None = None
    tool: str = ""

    @property
    def failed_runs(self) -> int:
        return sum(1 for r in self.runs if not r.ok)

    @property
    def run_rate(self) -> float:
        return self.failed_runs / len(self.runs) if self.runs else 0.0

    @property
    def flaky_tests(self) -> list[str]:
        return sorted(t for t, (p, f) in self.tests.items() if p > 0 and f > 0)

    @property
    def test_count(self) -> int:
        return self.tests_total if self.tests_total is not None else len(self.tests)

    @property
    def test_rate(self) -> float:
        n = self.test_count
        return len(self.flaky_tests) / n if n else 0.0

    def upper_bound(self, basis: str = "runs", confidence: float = 0.95) -> float:
        if basis == "tests":
            return clopper_pearson_upper(len(self.flaky_tests), self.test_count, confidence)
        return clopper_pearson_upper(self.failed_runs, len(self.runs), confidence)

    def rate(self, basis: str = "runs") -> float:
        return self.test_rate if basis == "tests" else self.run_rate


@dataclass(frozen=True, slots=True)
class DrillStep:
    name: str
    command: tuple[str, ...]
    exit_code: int | None
    duration_s: float
    output_tail: str = ""


@dataclass(frozen=True, slots=True)
class DrillJournal:
    name: str
    date: date
    outcome: str  # "passed" | "failed"
    steps: tuple[DrillStep, ...] = ()
    revert_commit: str | None = None
    base_commit: str | None = None
    manual: bool = False
    notes: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.steps)


@dataclass(frozen=True, slots=True)
class TrackedItem:
    """A known issue (G2) or a control (G3): fixed/enforced only with passing tests."""

    id: str
    title: str
    priority: str = ""
    status: str = "open"
    tests: tuple[str, ...] = ()
    kind: str = "known_issue"  # known_issue | control | red_team

    @property
    def resolved(self) -> bool:
        return self.status in ("fixed", "closed", "enforced", "resolved", "done")


@dataclass(frozen=True, slots=True)
class Attestation:
    """A human claim no machine can check, with who, when, a link and an expiry."""

    id: str
    claim: str
    by: str
    on: date
    expires: date | None = None
    link: str = ""
    source: str | None = None

    def valid_on(self, day: date) -> bool:
        return self.on <= day and (self.expires is None or day <= self.expires)


@dataclass(frozen=True, slots=True)
class Waiver:
    gate: str
    check: str | None  # None waives every check of the gate
    approver: str
    reason: str
    expires: date
    granted: date | None = None

    def active_on(self, day: date) -> bool:
        return (self.granted is None or self.granted <= day) and day <= self.expires

    def covers(self, gate: str, check: str) -> bool:
        return self.gate == gate and (self.check is None or self.check == check)


@dataclass(frozen=True, slots=True)
class Dated:
    """A piece of evidence with the date it speaks for and the file it came from."""

    date: date
    path: str
    data: object
