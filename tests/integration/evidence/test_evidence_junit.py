"""The JUnit reader on real reporter output, and on hostile or broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from slogate.core.evidence import Outcome
from slogate.errors import EvidenceError
from slogate.evidence.junit import parse_junit, parse_junit_bytes

CORPUS = Path(__file__).parent / "junit_corpus"


def test_pytest_report() -> None:
    run = parse_junit(CORPUS / "pytest.xml")
    by = {c.name: c for c in run.cases}
    assert run.tool == "pytest"
    assert by["test_ack"].outcome is Outcome.PASSED
    assert by["test_lost"].outcome is Outcome.FAILED
    assert "assert 1 == 0" in by["test_lost"].message
    assert by["test_db"].outcome is Outcome.ERROR
    assert by["test_skip"].outcome is Outcome.SKIPPED
    assert by["test_flaky"].reruns == 1 and by["test_flaky"].flaky
    assert not run.ok
    assert run.timestamp is not None and run.timestamp.date().isoformat() == "2026-02-19"
    assert by["test_ack"].matches("tests.test_queue::test_ack")
    assert by["test_ack"].matches("tests.test_queue.test_ack")


def test_vitest_report() -> None:
    run = parse_junit(CORPUS / "vitest.xml")
    assert run.tool == "vitest"
    assert len(run.cases) == 3
    assert run.count(Outcome.FAILED) == 1 and run.count(Outcome.SKIPPED) == 1
    case = run.cases[0]
    assert case.matches(
        "src/queue/__tests__/reconnect.test.ts > reconnect > does not re-apply an acked command"
    )
    assert run.files == 2


def test_jest_report_with_file_attribute() -> None:
    run = parse_junit(CORPUS / "jest.xml")
    assert run.tool == "jest"
    assert run.ok
    assert run.cases[0].file == "server/auth/guest-join.test.js"
    assert run.cases[0].matches(
        "server/auth/guest-join.test.js > auth guest join emits a failure with a reason"
    )


def test_surefire_single_testsuite_root_with_flaky_failure() -> None:
    run = parse_junit(CORPUS / "surefire.xml")
    assert run.tool == "surefire"
    assert [c.name for c in run.cases] == ["deniesPrivateRanges", "deniesLocalhost", "allowsPublic"]
    assert run.cases[1].flaky and run.ok
    assert run.timestamp is None


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"", "empty file"),
        (b"not xml at all", "not well-formed XML"),
        (b"<testsuite><testcase name='x'>", "not well-formed XML"),
        (b"<html><body/></html>", "root element is <html>"),
        (b"<testsuite><testcase/></testsuite>", "no name attribute"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>'
            b"<testsuite><testcase name='&lol2;'/></testsuite>",
            "hostile XML",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<testsuite><testcase name='&e;'/></testsuite>",
            "hostile XML",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE testsuite SYSTEM "http://127.0.0.1:9/x.dtd">'
            b"<testsuite/>",
            "hostile XML",
        ),
    ],
)
def test_rejections_name_the_file(payload: bytes, fragment: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_junit_bytes(payload, "reports/bad.xml")
    message = str(info.value)
    assert message.startswith("reports/bad.xml: ")
    assert fragment in message
    assert "\n" not in info.value.one_line()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="file not found"):
        parse_junit(tmp_path / "nope.xml")


def test_real_pytest_junit_output(tmp_path: Path) -> None:
    """Run a real pytest session (pass, fail, error, skip) and read its report."""
    import subprocess
    import sys

    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "@pytest.fixture\n"
        "def broken():\n    raise RuntimeError('setup')\n"
        "def test_ok():\n    assert True\n"
        "def test_bad():\n    assert 1 == 2\n"
        "def test_err(broken):\n    pass\n"
        "@pytest.mark.skip(reason='later')\n"
        "def test_skip():\n    pass\n"
    )
    report = tmp_path / "report.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            "test_sample.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
        timeout=120,
    )
    run = parse_junit(report)
    outcomes = {c.name: c.outcome for c in run.cases}
    assert outcomes == {
        "test_ok": Outcome.PASSED,
        "test_bad": Outcome.FAILED,
        "test_err": Outcome.ERROR,
        "test_skip": Outcome.SKIPPED,
    }
    assert run.tool == "pytest" and run.timestamp is not None
    assert run.cases[0].matches("test_sample::test_ok")
