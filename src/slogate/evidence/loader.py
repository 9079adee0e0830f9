"""Find, date, parse and hash the evidence an evaluation as of a date may use.

Files dated after the evaluation date are left out (so the packet for
2026-02-19 stays reproducible when later evidence is added); a file dated after
the real today is an error, as nobody can have produced it yet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from slogate.config.load import LoadedConfig
from slogate.core.evidence import Dated
from slogate.core.gates import EvidenceSet
from slogate.errors import EvidenceError
from slogate.evidence.junit import date_from_path, parse_junit
from slogate.evidence.records import (
    drill_from_dict,
    flake_from_dict,
    load_attestations,
    load_scorecard,
)


@dataclass
class LoadedEvidence:
    evidence: EvidenceSet
    root: Path
    #: relative path (posix, from `root`) -> SHA-256 of every file read
    files: dict[str, str] = field(default_factory=dict)
    #: files left out, with the reason (dated after the evaluation date)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def evidence_dir_for(loaded: LoadedConfig, evidence: str | Path | None) -> Path:
    if evidence is not None:
        return Path(evidence)
    return Path(loaded.path).resolve().parent / loaded.config.evidence.dir


class _Collector:
    def __init__(self, root: Path, as_of: date, today: date) -> None:
        self.root = root
        self.as_of = as_of
        self.today = today
        self.files: dict[str, str] = {}
        self.ignored: list[tuple[str, str]] = []

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def admit(self, path: Path, day: date | None) -> bool:
        """True when the file speaks for a day on/before the evaluation date."""
        rel = self.rel(path)
        if day is None:
            raise EvidenceError("cannot tell the date of this evidence file", file=str(path))
        if day > self.today:
            raise EvidenceError(
                f"dated {day}, in the future (today is {self.today})", file=str(path)
            )
        if day > self.as_of:
            self.ignored.append((rel, f"dated {day}, after {self.as_of}"))
            return False
        self.files[rel] = sha256_file(path)
        return True

    def glob(self, pattern: str) -> list[Path]:
        return sorted(p for p in self.root.glob(pattern) if p.is_file())


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"not valid JSON: {exc}", file=str(path)) from exc


def _doc_date(doc: Any, key: str, path: Path) -> date | None:
    if isinstance(doc, dict) and doc.get(key):
        try:
            return date.fromisoformat(str(doc[key])[:10])
        except ValueError as exc:
            raise EvidenceError(f"bad {key} {doc[key]!r}", file=str(path)) from exc
    return None


def _name_date(path: Path) -> date | None:
    found = date_from_path(path.name)
    return found.date() if found else None


def load_evidence(
    loaded: LoadedConfig,
    evidence_dir: str | Path | None,
    as_of: date,
    *,
    today: date | None = None,
) -> LoadedEvidence:
    root = evidence_dir_for(loaded, evidence_dir)
    today = today or datetime.now(UTC).date()
    cfg = loaded.config
    rubric = cfg.core_rubric()
    if not root.is_dir():
        raise EvidenceError("evidence directory not found", file=str(root))
    c = _Collector(root, as_of, today)
    notes: list[str] = []

    def dated_json(pattern: str, key: str) -> list[tuple[Path, date, Any]]:
        out = []
        for path in c.glob(pattern):
            doc = _json(path)
            day = _doc_date(doc, key, path) or _name_date(path)
            if c.admit(path, day):
                assert day is not None
                out.append((path, day, doc))
        return out

    snapshots = tuple(
        Dated(d, c.rel(p), doc) for p, d, doc in dated_json("snapshots/slo_snapshot_*.json", "date")
    )
    windows = tuple(
        Dated(d, c.rel(p), doc) for p, d, doc in dated_json("windows/window_*.json", "start")
    )
    pii = tuple(Dated(d, c.rel(p), doc) for p, d, doc in dated_json("pii/pii_scan_*.json", "date"))
    flakes = tuple(
        Dated(d, c.rel(p), flake_from_dict(doc, str(p)))
        for p, d, doc in dated_json("flake/flake_*.json", "date")
    )
    drills = tuple(
        Dated(d, c.rel(p), drill_from_dict(doc, str(p)))
        for p, d, doc in dated_json("drills/drill_*.json", "date")
    )

    junit: list[Dated] = []
    for path in c.glob("junit/**/*.xml"):
        run = parse_junit(path, display=str(path))
        stamp = run.timestamp or date_from_path(c.rel(path))
        if stamp is None:
            stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            notes.append(f"{c.rel(path)}: no timestamp in the report or its path; used mtime")
        if c.admit(path, stamp.date()):
            run = dataclasses.replace(run, source=c.rel(path))
            junit.append(Dated(stamp.date(), c.rel(path), run))

    scorecards: list[Dated] = []
    for path in c.glob("scorecards/*.yaml"):
        name_day = _name_date(path)
        card = load_scorecard(path, str(path), rubric, name_day)
        if c.admit(path, card.date):
            scorecards.append(Dated(card.date, c.rel(path), card))

    attestations = [a.to_core(loaded.path) for a in cfg.attestations]
    for path in [*c.glob("attestations/*.yaml"), *c.glob("attestations/*.yml")]:
        items = load_attestations(path, str(path))
        items = [type(a)(a.id, a.claim, a.by, a.on, a.expires, a.link, c.rel(path)) for a in items]
        newest = max((a.on for a in items), default=None)
        if newest is not None and newest > today:
            raise EvidenceError(f"dated {newest}, in the future (today is {today})", file=str(path))
        if items and min(a.on for a in items) <= as_of:
            c.files[c.rel(path)] = sha256_file(path)
            attestations.extend(a for a in items if a.on <= as_of)
        elif items:
            c.ignored.append((c.rel(path), f"given after {as_of}"))

    runbooks: list[Dated] = []
    runbook_paths = (
        [root / cfg.evidence.runbook] if cfg.evidence.runbook else c.glob("runbook/*.md")
    )
    for path in runbook_paths:
        if not path.is_file():
            continue
        day = _name_date(path)
        if day is None:
            day = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
            notes.append(f"{c.rel(path)}: no date in the name; used mtime")
        if c.admit(path, day):
            runbooks.append(Dated(day, c.rel(path), path.read_text(encoding="utf-8")))

    ev = EvidenceSet(
        as_of=as_of,
        catalog=cfg.catalog(),
        slos=tuple(cfg.core_slos()),
        rubric=rubric,
        snapshots=snapshots,
        windows=windows,
        junit=tuple(junit),
        flakes=flakes,
        drills=drills,
        pii_scans=pii,
        runbooks=tuple(runbooks),
        scorecards=tuple(scorecards),
        attestations=tuple(attestations),
        waivers=tuple(w.to_core() for w in cfg.waivers),
        known_issues=tuple(cfg.core_known_issues()),
        controls=tuple(cfg.core_controls()),
    )
    return LoadedEvidence(ev, root, dict(sorted(c.files.items())), c.ignored, notes)


def previous_packets(root: Path, as_of: date) -> list[tuple[date, Path]]:
    """Packets written for days before `as_of`, oldest first."""
    out = []
    for path in sorted(root.glob("packets/readiness_packet_*.json")):
        day = _name_date(path)
        if day is not None and day < as_of:
            out.append((day, path))
    return out
