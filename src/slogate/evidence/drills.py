"""Rollback drills: revert a commit in a temporary git worktree, verify, restore,
and journal every step with its command, exit code and duration.

The user's checkout is never touched: the drill works in `git worktree add`
of HEAD, removed afterwards whatever happens.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from slogate.core.evidence import DrillJournal, DrillStep
from slogate.errors import EvidenceError, UsageError
from slogate.evidence.records import drill_to_dict, dump_json
from slogate.fileio import atomic_write

_GIT_ID = ["-c", "user.name=slogate drill", "-c", "user.email=drill@slogate.invalid"]


def _tail(text: str, limit: int = 2000) -> str:
    return text[-limit:]


def _step(name: str, argv: Sequence[str], cwd: Path, timeout: float | None = None) -> DrillStep:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
        code: int | None = proc.returncode
        out = _tail((proc.stdout or "") + (proc.stderr or ""))
    except subprocess.TimeoutExpired:
        code, out = None, f"timed out after {timeout} s"
    except FileNotFoundError:
        code, out = 127, f"command not found: {argv[0]}"
    return DrillStep(name, tuple(argv), code, time.monotonic() - start, out)


def _journal_path(evidence_dir: Path, day: date, name: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)
    return evidence_dir / "drills" / f"drill_{day.strftime('%Y_%m_%d')}_{safe}.json"


def run_drill(
    *,
    name: str,
    verify: Sequence[str],
    revert: str | None,
    repo: Path,
    evidence_dir: Path,
    day: date,
    timeout: float | None = None,
) -> tuple[DrillJournal, Path]:
    if not verify:
        raise UsageError("drill run needs a verify command after --")
    if shutil.which(verify[0]) is None and not (repo / verify[0]).exists():
        raise UsageError(f"drill verify command not found: {verify[0]}")
    if shutil.which("git") is None:
        raise UsageError("git is not installed")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=False
    )
    if head.returncode != 0:
        raise UsageError(f"not a git repository with a commit: {repo}")
    base = head.stdout.strip()
    if revert is not None:
        ok = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{revert}^{{commit}}"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        if ok.returncode != 0:
            raise UsageError(f"--revert {revert}: no such commit in {repo}")
    parent = Path(tempfile.mkdtemp(prefix="slogate-drill-"))
    tree = parent / "worktree"
    steps: list[DrillStep] = []
    try:
        steps.append(
            _step("worktree", ["git", "worktree", "add", "--detach", str(tree), base], repo)
        )
        if steps[-1].exit_code == 0:
            reverted = True
            if revert is not None:
                steps.append(
                    _step("revert", ["git", *_GIT_ID, "revert", "--no-edit", revert], tree)
                )
                reverted = steps[-1].exit_code == 0
            if reverted:
                steps.append(_step("verify", list(verify), tree, timeout))
                if revert is not None:  # restore whatever verify said, then prove it
                    steps.append(
                        _step("restore", ["git", *_GIT_ID, "revert", "--no-edit", "HEAD"], tree)
                    )
                    steps.append(_step("check", ["git", "diff", "--quiet", base, "HEAD"], tree))
    finally:
        cleanup = _step("cleanup", ["git", "worktree", "remove", "--force", str(tree)], repo)
        steps.append(cleanup)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True, check=False)
        shutil.rmtree(parent, ignore_errors=True)
    passed = all(s.exit_code == 0 for s in steps) and any(s.name == "verify" for s in steps)
    journal = DrillJournal(
        name=name,
        date=day,
        outcome="passed" if passed else "failed",
        steps=tuple(steps),
        revert_commit=revert,
        base_commit=base,
    )
    path = _journal_path(evidence_dir, day, name)
    atomic_write(path, dump_json(drill_to_dict(journal, repo=str(repo.resolve()))))
    return journal, path


def record_drill(
    *,
    name: str,
    outcome: str,
    day: date,
    steps: Sequence[str],
    revert: str | None,
    notes: str,
    evidence_dir: Path,
) -> Path:
    """A drill done by hand: steps as NAME=SECONDS[:EXIT]."""
    if outcome not in ("passed", "failed"):
        raise UsageError("--outcome must be passed or failed")
    parsed: list[DrillStep] = []
    for raw in steps:
        try:
            step_name, rest = raw.split("=", 1)
            secs, _, code = rest.partition(":")
            parsed.append(DrillStep(step_name, (), int(code) if code else 0, float(secs)))
        except ValueError as exc:
            raise UsageError(f"--step {raw!r}: expected NAME=SECONDS[:EXIT]") from exc
    journal = DrillJournal(name, day, outcome, tuple(parsed), revert, None, True, notes)
    path = _journal_path(evidence_dir, day, name)
    if path.exists():
        raise EvidenceError("a drill journal with this name and date exists", file=str(path))
    atomic_write(path, dump_json(drill_to_dict(journal)))
    return path
