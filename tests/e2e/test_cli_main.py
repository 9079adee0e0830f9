"""The console entry point: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import EXAMPLE_CONFIG


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slogate", *args], capture_output=True, text=True, timeout=120
    )


def test_unknown_command_is_a_usage_error() -> None:
    result = _run("nosuch")
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_value_is_a_usage_error() -> None:
    result = _run("validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_config_error_is_one_line_with_exit_2(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nevents:\n  - name: a\n    family: f\n    origin: sever\n")
    result = _run("validate", "--config", str(bad))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("slogate: error: ") and f"{bad}:5: events[0].origin" in lines[0]


def test_success_exits_0_and_version_prints() -> None:
    assert _run("validate", "--config", str(EXAMPLE_CONFIG)).returncode == 0
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.startswith("slogate ")
