"""Flake-rate evidence: run a test command N times on one commit, or import runs.

A flake is a failure without a code change, so every run must be on the same
commit; the record says which, and refuses to continue if HEAD moves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from slogate.core.evidence import FlakeRecord, FlakeRun, TestRun
from slogate.errors import EvidenceError, UsageError
from slogate.evidence.junit import parse_junit
from slogate.evidence.records import dump_json, flake_to_dict
from slogate.fileio import atomic_write


def git_commit(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _run_from_report(
    index: int, report: TestRun | None, exit_code: int | None, secs: float, junit: Sequence[str]
) -> FlakeRun:
    if report is None:
        return FlakeRun(index, exit_code, 0, 0, 1, 0, secs, ("<no JUnit report>",), tuple(junit))
    from slogate.core.evidence import Outcome

    return FlakeRun(
        index=index,
        exit_code=exit_code,
        tests=len(report.cases),
        failed=report.count(Outcome.FAILED),
        errors=report.count(Outcome.ERROR),
        skipped=report.count(Outcome.SKIPPED),
        duration_s=secs,
        failing=tuple(sorted(c.id for c in report.cases if c.outcome.bad)),
        junit=tuple(junit),
    )


def _per_test(reports: Sequence[TestRun | None]) -> dict[str, tuple[int, int]]:
    tally: dict[str, list[int]] = {}
    for report in reports:
        if report is None:
            continue
        for case in report.cases:
            slot = tally.setdefault(case.id, [0, 0])
            if case.outcome.bad:
                slot[1] += 1
            elif case.flaky:  # failed, then passed on a rerun: both on the same code
                slot[0] += 1
                slot[1] += 1
            else:
                slot[0] += 1
    return {k: (v[0], v[1]) for k, v in tally.items()}


def _out_path(evidence_dir: Path, day: date) -> Path:
    stem = f"flake_{day.strftime('%Y_%m_%d')}"
    path = evidence_dir / "flake" / f"{stem}.json"
    n = 2
    while path.exists():
        path = evidence_dir / "flake" / f"{stem}_{n}.json"
        n += 1
    return path


def run_flake(
    command: Sequence[str],
    *,
    runs: int,
    evidence_dir: Path,
    day: date,
    junit_out: str | None = None,
    cwd: Path = Path("."),
    timeout: float | None = None,
    progress: Callable[[int, int, bool], None] | None = None,
) -> tuple[FlakeRecord, Path]:
    """Run `command` `runs` times. The JUnit path of run i is `junit_out` with
    `{run}` replaced (default: a temporary file); `{junit}` and `{run}` in the
    command are replaced too, and `SLOGATE_JUNIT_OUT` is set."""
    if not command:
        raise UsageError("flake run needs a command after --")
    if (
        shutil.which(command[0], path=os.environ.get("PATH")) is None
        and not Path(cwd, command[0]).exists()
    ):
        raise UsageError(f"command not found: {command[0]}")
    commit = git_commit(cwd)
    tmp = Path(tempfile.mkdtemp(prefix="slogate-flake-"))
    pattern = junit_out or str(tmp / "run-{run}.xml")
    flake_runs: list[FlakeRun] = []
    reports: list[TestRun | None] = []
    try:
        for i in range(1, runs + 1):
            junit_path = Path(pattern.replace("{run}", f"{i:02d}"))
            if not junit_path.is_absolute():
                junit_path = Path(cwd, junit_path)
            junit_path.unlink(missing_ok=True)
            argv = [a.replace("{junit}", str(junit_path)).replace("{run}", str(i)) for a in command]
            env = {**os.environ, "SLOGATE_JUNIT_OUT": str(junit_path), "SLOGATE_FLAKE_RUN": str(i)}
            start = time.monotonic()
            try:
                proc = subprocess.run(
                    argv, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False
                )
                code: int | None = proc.returncode
            except subprocess.TimeoutExpired:
                code = None
            except FileNotFoundError as exc:
                raise UsageError(f"command not found: {argv[0]}") from exc
            secs = time.monotonic() - start
            report = parse_junit(junit_path) if junit_path.exists() else None
            if report is None and i == 1 and code == 0:
                raise UsageError(
                    f"the command wrote no JUnit report at {junit_path} "
                    "(use {junit} in the command or --junit-out)"
                )
            reports.append(report)
            run = _run_from_report(i, report, code, secs, [])
            flake_runs.append(run)
            if progress:
                progress(i, runs, run.ok)
            now_commit = git_commit(cwd)
            if commit is not None and now_commit != commit:
                raise EvidenceError(
                    f"HEAD moved from {commit[:12]} to {(now_commit or '?')[:12]} during run {i}: "
                    "a flake record needs every run on the same commit",
                    file=str(cwd),
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    files = {c.file or c.classname for r in reports if r for c in r.cases}
    record = FlakeRecord(
        date=day,
        commit=commit,
        command=tuple(command),
        runs=tuple(flake_runs),
        tests=_per_test(reports),
        files_total=len(files) or None,
        tool=next((r.tool for r in reports if r), ""),
    )
    path = _out_path(evidence_dir, day)
    atomic_write(path, dump_json(flake_to_dict(record)))
    return record, path


def import_flake(
    files: Sequence[Path], *, evidence_dir: Path, day: date, commit: str | None = None
) -> tuple[FlakeRecord, Path]:
    """One JUnit file per run, e.g. CI artifacts of N reruns of one commit."""
    if not files:
        raise UsageError("flake import needs at least one JUnit file")
    reports = [parse_junit(f) for f in files]
    flake_runs = [
        _run_from_report(i, r, None, sum(c.time_s for c in r.cases), [str(f)])
        for i, (r, f) in enumerate(zip(reports, files, strict=True), 1)
    ]
    names = {c.file or c.classname for r in reports for c in r.cases}
    record = FlakeRecord(
        date=day,
        commit=commit,
        command=(),
        runs=tuple(flake_runs),
        tests=_per_test(list(reports)),
        files_total=len(names) or None,
        tool=reports[0].tool,
    )
    path = _out_path(evidence_dir, day)
    atomic_write(path, dump_json(flake_to_dict(record)))
    return record, path
