"""Strict, safe JUnit XML reader: pytest, Vitest, Jest and Maven Surefire.

Uses defusedxml, so entity declarations (billion laughs), external entities
and DTDs are refused instead of expanded. Anything that is not a JUnit report
is an `EvidenceError` naming the file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from slogate.core.evidence import Outcome, TestCase, TestRun
from slogate.errors import EvidenceError

_MAX_BYTES = 64 * 1024 * 1024
_RERUN_TAGS = {"rerunFailure", "rerunError", "flakyFailure", "flakyError"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _float(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _detect_tool(root: Element, first_suite: Element | None, data: bytes) -> str:
    name = (root.get("name") or "").lower()
    suite_name = (first_suite.get("name") or "").lower() if first_suite is not None else ""
    if "vitest" in name:
        return "vitest"
    if "jest" in name:
        return "jest"
    if suite_name == "pytest" or name == "pytest":
        return "pytest"
    if b"surefire" in data[:4096].lower():
        return "surefire"
    return "junit"


def _case(el: Element, suite_file: str) -> TestCase:
    outcome = Outcome.PASSED
    message = ""
    reruns = 0
    for child in el:
        tag = _local(child.tag)
        if tag == "failure":
            outcome = Outcome.FAILED
            message = child.get("message") or (child.text or "").strip()[:500]
        elif tag == "error" and outcome is not Outcome.FAILED:
            outcome = Outcome.ERROR
            message = child.get("message") or (child.text or "").strip()[:500]
        elif tag == "skipped" and outcome is Outcome.PASSED:
            outcome = Outcome.SKIPPED
            message = child.get("message") or ""
        elif tag in _RERUN_TAGS:
            reruns += 1
    name = el.get("name")
    if name is None:
        raise ValueError("a <testcase> has no name attribute")
    return TestCase(
        name=name,
        classname=el.get("classname") or "",
        file=el.get("file") or suite_file,
        outcome=outcome,
        time_s=_float(el.get("time")),
        message=message[:500],
        reruns=reruns,
    )


def parse_junit_bytes(data: bytes, source: str) -> TestRun:
    """Parse one report; `source` names the file in errors and in the record."""
    if not data.strip():
        raise EvidenceError("empty file, not a JUnit XML report", file=source)
    try:
        root = safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException as exc:
        raise EvidenceError(
            f"hostile XML refused ({type(exc).__name__}: DTDs and entities are not allowed)",
            file=source,
        ) from exc
    except safe_et.ParseError as exc:
        raise EvidenceError(f"not well-formed XML: {exc}", file=source) from exc
    tag = _local(root.tag)
    if tag == "testsuites":
        suites = [s for s in root.iter() if _local(s.tag) == "testsuite"]
    elif tag == "testsuite":
        suites = [root, *(s for s in root.iter() if _local(s.tag) == "testsuite" and s is not root)]
    else:
        raise EvidenceError(
            f"not a JUnit report: root element is <{tag}>, expected <testsuites> or <testsuite>",
            file=source,
        )
    cases: list[TestCase] = []
    stamps: list[datetime] = []
    try:
        for suite in suites:
            stamp = _timestamp(suite.get("timestamp"))
            if stamp:
                stamps.append(stamp)
            suite_file = suite.get("file") or ""
            for child in suite:
                if _local(child.tag) == "testcase":
                    cases.append(_case(child, suite_file))
    except ValueError as exc:
        raise EvidenceError(str(exc), file=source) from exc
    root_stamp = _timestamp(root.get("timestamp"))
    if root_stamp:
        stamps.append(root_stamp)
    return TestRun(
        source=source,
        cases=tuple(cases),
        timestamp=max(stamps) if stamps else None,
        tool=_detect_tool(root, suites[0] if suites else None, data),
    )


def parse_junit(path: str | Path, *, display: str | None = None) -> TestRun:
    p = Path(path)
    name = display or str(path)
    try:
        size = p.stat().st_size
        if size > _MAX_BYTES:
            raise EvidenceError(f"{size} bytes is over the {_MAX_BYTES} byte limit", file=name)
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise EvidenceError("file not found", file=name) from exc
    except OSError as exc:
        raise EvidenceError(f"cannot read: {exc.strerror}", file=name) from exc
    return parse_junit_bytes(data, name)


_PATH_DATE = re.compile(r"(\d{4})[-_](\d{2})[-_](\d{2})")


def date_from_path(path: str) -> datetime | None:
    """Evidence files name their date (YYYY_MM_DD or YYYY-MM-DD); the last one wins."""
    found = _PATH_DATE.findall(path)
    if not found:
        return None
    y, m, d = found[-1]
    try:
        return datetime(int(y), int(m), int(d), tzinfo=UTC)
    except ValueError:
        return None
