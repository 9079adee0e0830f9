"""`flake run` with a real command and `drill run` in a real temporary git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from slogate.errors import UsageError
from slogate.evidence.drills import run_drill
from slogate.evidence.flake import import_flake, run_flake

# A test "suite": test_a always passes, test_b fails on run 3 only (a flake).
SUITE = """
import os, sys
run = int(os.environ["SLOGATE_FLAKE_RUN"])
out = sys.argv[1]
fail_b = run == 3
cases = '<testcase classname="suite" name="test_a" time="0.01"/>'
cases += '<testcase classname="suite" name="test_b" time="0.01">' + (
    '<failure message="flaky">boom</failure>' if fail_b else '') + '</testcase>'
open(out, "w").write('<testsuite name="pytest" tests="2">' + cases + '</testsuite>')
sys.exit(1 if fail_b else 0)
"""


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "app.txt").write_text("v1\n")
    (root / "suite.py").write_text(SUITE)
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "v1")
    (root / "app.txt").write_text("v2\n")
    _git(root, "commit", "-q", "-am", "v2")
    return root


def test_flake_run_counts_runs_and_flaky_tests(repo: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    record, path = run_flake(
        [sys.executable, "suite.py", "{junit}"],
        runs=5,
        evidence_dir=evidence,
        day=date(2026, 2, 19),
        cwd=repo,
    )
    assert len(record.runs) == 5
    assert record.failed_runs == 1
    assert record.run_rate == pytest.approx(0.2)
    assert record.flaky_tests == ["suite::test_b"]
    assert record.test_rate == pytest.approx(0.5)
    assert record.commit == _git(repo, "rev-parse", "HEAD")
    doc = json.loads(path.read_text())
    assert path.name == "flake_2026_02_19.json"
    assert doc["summary"]["failed_runs"] == 1
    assert doc["per_test"]["suite::test_b"] == [4, 1]
    assert doc["runs"][2]["failing"] == ["suite::test_b"]
    assert doc["summary"]["run_flake_rate_upper95"] > 0.2


def test_flake_run_unknown_command(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="command not found"):
        run_flake(
            ["definitely-not-a-command-xyz"],
            runs=2,
            evidence_dir=tmp_path,
            day=date(2026, 2, 19),
            cwd=tmp_path,
        )
    assert not (tmp_path / "flake").exists()


def test_flake_import(tmp_path: Path) -> None:
    corpus = Path(__file__).parent / "junit_corpus"
    record, path = import_flake(
        [corpus / "surefire.xml", corpus / "surefire.xml"],
        evidence_dir=tmp_path,
        day=date(2026, 2, 19),
        commit="abc",
    )
    assert len(record.runs) == 2 and record.failed_runs == 0
    # deniesLocalhost failed then passed on a rerun in each report: flaky on one commit
    assert record.flaky_tests == ["com.example.ProxyTest::deniesLocalhost"]
    assert path.exists()


def test_drill_run_reverts_verifies_and_restores(repo: Path, tmp_path: Path) -> None:
    v2 = _git(repo, "rev-parse", "HEAD")
    verify = [
        sys.executable,
        "-c",
        "import pathlib,sys; sys.exit(0 if pathlib.Path('app.txt').read_text() == 'v1\\n' else 3)",
    ]
    journal, path = run_drill(
        name="rollback",
        verify=verify,
        revert=v2,
        repo=repo,
        evidence_dir=tmp_path / "evidence",
        day=date(2026, 2, 18),
    )
    assert journal.passed, journal.steps
    assert [s.name for s in journal.steps] == [
        "worktree",
        "revert",
        "verify",
        "restore",
        "check",
        "cleanup",
    ]
    assert all(s.duration_s >= 0 for s in journal.steps)
    assert path.name == "drill_2026_02_18_rollback.json"
    # the user's checkout is untouched and the worktree is gone
    assert _git(repo, "rev-parse", "HEAD") == v2
    assert (repo / "app.txt").read_text() == "v2\n"
    assert "worktree" not in _git(repo, "worktree", "list").split("\n", 1)[-1]
    doc = json.loads(path.read_text())
    assert doc["outcome"] == "passed" and doc["revert_commit"] == v2


def test_drill_failing_verify_is_journaled_as_failed(repo: Path, tmp_path: Path) -> None:
    journal, _ = run_drill(
        name="rollback",
        verify=[sys.executable, "-c", "raise SystemExit(4)"],
        revert=None,
        repo=repo,
        evidence_dir=tmp_path,
        day=date(2026, 2, 18),
    )
    assert not journal.passed
    assert next(s for s in journal.steps if s.name == "verify").exit_code == 4


def test_drill_with_missing_command_fails_before_touching_anything(
    repo: Path, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "slogate",
            "drill",
            "run",
            "--name",
            "rollback",
            "--repo",
            str(repo),
            "--evidence",
            str(tmp_path / "ev"),
            "--",
            "no-such-verify-command-xyz",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no-such-verify-command-xyz" in proc.stderr
    assert not (tmp_path / "ev").exists()


def test_flake_cli(repo: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "slogate",
            "flake",
            "run",
            "--runs",
            "3",
            "--cwd",
            str(repo),
            "--evidence",
            str(tmp_path / "ev"),
            "--date",
            "2026-02-19",
            "--",
            sys.executable,
            "suite.py",
            "{junit}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3 runs, 1 failed" in proc.stdout
    assert (tmp_path / "ev" / "flake" / "flake_2026_02_19.json").exists()


def test_drill_record_cli_and_loader_roundtrip(tmp_path: Path) -> None:
    from slogate.evidence.records import drill_from_dict

    ev = tmp_path / "ev"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "slogate",
            "drill",
            "record",
            "--name",
            "rollback",
            "--outcome",
            "passed",
            "--date",
            "2026-02-18",
            "--step",
            "revert=1.5",
            "--step",
            "verify=15.2:0",
            "--evidence",
            str(ev),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    path = ev / "drills" / "drill_2026_02_18_rollback.json"
    journal = drill_from_dict(json.loads(path.read_text()), str(path))
    assert journal.manual and journal.passed
    assert journal.duration_s == pytest.approx(16.7)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "slogate",
            "drill",
            "record",
            "--name",
            "x",
            "--outcome",
            "passed",
            "--step",
            "verify",
            "--evidence",
            str(ev),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "NAME=SECONDS" in bad.stderr
