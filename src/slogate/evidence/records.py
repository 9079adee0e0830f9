"""JSON/YAML forms of evidence records (atomic writes: `slogate.fileio`).

Every evidence file is a dated document that diffs well in git; these functions
are the only place that knows its keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from slogate.config.readiness import AttestationModel
from slogate.core.evidence import (
    Attestation,
    DrillJournal,
    DrillStep,
    FlakeRecord,
    FlakeRun,
)
from slogate.core.rubric import Rubric, Scorecard, scorecard_problems
from slogate.errors import EvidenceError


def dump_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"


# --- flake ---------------------------------------------------------------------------


def flake_to_dict(record: FlakeRecord) -> dict[str, Any]:
    return {
        "kind": "flake",
        "date": record.date.isoformat(),
        "commit": record.commit,
        "command": list(record.command),
        "tool": record.tool,
        "tests_total": record.test_count,
        "files_total": record.files_total,
        "summary": {
            "runs": len(record.runs),
            "failed_runs": record.failed_runs,
            "run_flake_rate": record.run_rate,
            "run_flake_rate_upper95": round(record.upper_bound("runs"), 6),
            "flaky_tests": record.flaky_tests,
            "test_flake_rate": record.test_rate,
            "test_flake_rate_upper95": round(record.upper_bound("tests"), 6),
        },
        "runs": [
            {
                "index": r.index,
                "exit_code": r.exit_code,
                "tests": r.tests,
                "failed": r.failed,
                "errors": r.errors,
                "skipped": r.skipped,
                "duration_s": round(r.duration_s, 3),
                "failing": list(r.failing),
                "junit": list(r.junit),
            }
            for r in record.runs
        ],
        "per_test": {k: list(v) for k, v in sorted(record.tests.items())},
    }


def flake_from_dict(doc: Mapping[str, Any], file: str) -> FlakeRecord:
    try:
        runs = tuple(
            FlakeRun(
                index=int(r["index"]),
                exit_code=r.get("exit_code"),
                tests=int(r.get("tests", 0)),
                failed=int(r.get("failed", 0)),
                errors=int(r.get("errors", 0)),
                skipped=int(r.get("skipped", 0)),
                duration_s=float(r.get("duration_s", 0.0)),
                failing=tuple(r.get("failing", ())),
                junit=tuple(r.get("junit", ())),
            )
            for r in doc["runs"]
        )
        per_test = {str(k): (int(v[0]), int(v[1])) for k, v in (doc.get("per_test") or {}).items()}
        return FlakeRecord(
            date=date.fromisoformat(str(doc["date"])),
            commit=doc.get("commit"),
            command=tuple(doc.get("command") or ()),
            runs=runs,
            tests=per_test,
            tests_total=doc.get("tests_total"),
            files_total=doc.get("files_total"),
            tool=str(doc.get("tool") or ""),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise EvidenceError(f"not a flake record: {exc!r}", file=file) from exc


# --- drills --------------------------------------------------------------------------


def drill_to_dict(journal: DrillJournal, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "drill",
        "name": journal.name,
        "date": journal.date.isoformat(),
        "outcome": journal.outcome,
        "manual": journal.manual,
        "base_commit": journal.base_commit,
        "revert_commit": journal.revert_commit,
        "duration_s": round(journal.duration_s, 3),
        "steps": [
            {
                "name": s.name,
                "command": list(s.command),
                "exit_code": s.exit_code,
                "duration_s": round(s.duration_s, 3),
                "output_tail": s.output_tail,
            }
            for s in journal.steps
        ],
        "notes": journal.notes,
        **extra,
    }


def drill_from_dict(doc: Mapping[str, Any], file: str) -> DrillJournal:
    try:
        outcome = str(doc["outcome"])
        if outcome not in ("passed", "failed"):
            raise ValueError(f"outcome must be passed or failed, got {outcome!r}")
        return DrillJournal(
            name=str(doc["name"]),
            date=date.fromisoformat(str(doc["date"])),
            outcome=outcome,
            steps=tuple(
                DrillStep(
                    str(s["name"]),
                    tuple(s.get("command") or ()),
                    s.get("exit_code"),
                    float(s.get("duration_s", 0.0)),
                    str(s.get("output_tail", "")),
                )
                for s in doc.get("steps") or ()
            ),
            revert_commit=doc.get("revert_commit"),
            base_commit=doc.get("base_commit"),
            manual=bool(doc.get("manual", False)),
            notes=str(doc.get("notes", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise EvidenceError(f"not a drill journal: {exc}", file=file) from exc


# --- scorecards and attestations -----------------------------------------------------


def _yaml(path: Path, file: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise EvidenceError(f"not valid YAML{where}", file=file) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read: {exc}", file=file) from exc


def load_scorecard(path: Path, file: str, rubric: Rubric, name_date: date | None) -> Scorecard:
    """`evidence/scorecards/YYYY-MM-DD.yaml`:

    date: 2026-02-16          # optional; must match the file name
    author: Steph
    categories:
      measurement: {score: 3, rationale: "...", evidence: [snapshots/...json]}
    """
    doc = _yaml(path, file)
    if not isinstance(doc, dict) or not isinstance(doc.get("categories"), dict):
        raise EvidenceError("a scorecard needs a `categories` mapping", file=file)
    day = doc.get("date", name_date)
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError as exc:
            raise EvidenceError(f"bad date {day!r}", file=file) from exc
    if not isinstance(day, date):
        raise EvidenceError("a scorecard needs a date (in the name or a `date` key)", file=file)
    if name_date is not None and day != name_date:
        raise EvidenceError(f"date {day} does not match the file name ({name_date})", file=file)
    scores: dict[str, Any] = {}
    rationale: dict[str, str] = {}
    cited: dict[str, tuple[str, ...]] = {}
    for key, value in doc["categories"].items():
        entry = value if isinstance(value, dict) else {"score": value}
        scores[str(key)] = entry.get("score")
        rationale[str(key)] = str(entry.get("rationale", ""))
        cited[str(key)] = tuple(str(e) for e in entry.get("evidence") or ())
    problems = scorecard_problems(rubric, scores)
    if problems:
        raise EvidenceError("; ".join(problems), file=file)
    return Scorecard(day, scores, rationale, cited, file)


def load_attestations(path: Path, file: str) -> list[Attestation]:
    """One attestation per file (a mapping) or a list under `attestations:`."""
    doc = _yaml(path, file)
    items = doc.get("attestations") if isinstance(doc, dict) and "attestations" in doc else doc
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise EvidenceError("expected an attestation mapping or a list", file=file)
    out: list[Attestation] = []
    for i, item in enumerate(items):
        try:
            out.append(AttestationModel.model_validate(item).to_core(file))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise EvidenceError(f"attestation {i}: {loc}: {first['msg']}", file=file) from exc
    return out
