"""Read the evidence folder for the dashboard: snapshots, windows, packets, scorecards.

Files are parsed once and cached by (mtime, size), so a page view costs a
directory listing and dictionary lookups. Formats follow CONTRACTS.md; packet
JSON and scorecards are read leniently (several key spellings) because the
dashboard must show what it can rather than fail on a newer packet.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

_SNAPSHOT = re.compile(r"^slo_snapshot_(\d{4})_(\d{2})_(\d{2})\.json$")
_WINDOW = re.compile(r"^window_(\d{4})_(\d{2})_(\d{2})\.json$")
_PACKET = re.compile(r"^readiness_packet_(\d{4})_(\d{2})_(\d{2})\.(md|html|json)$")
_SCORECARD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.ya?ml$")


def _date(m: re.Match[str]) -> date | None:
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Dated:
    day: date
    path: Path
    doc: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PacketFiles:
    day: date
    files: dict[str, Path]  # "md" | "html" | "json" -> path
    doc: dict[str, Any] | None
    error: str | None = None

    @property
    def slug(self) -> str:
        return self.day.isoformat()


@dataclass(frozen=True, slots=True)
class Gate:
    id: str
    name: str
    status: str
    evidence: str


@dataclass(frozen=True, slots=True)
class PacketSummary:
    day: date
    decision: str | None
    score: float | None
    threshold: float | None
    blockers: list[str] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    score_date: date | None = None  # the scorecard's date when the packet names it
    history: list[tuple[date, float]] = field(default_factory=list)


class EvidenceReader:
    def __init__(self, evidence_dir: Path) -> None:
        self.root = Path(evidence_dir)
        self._cache: dict[Path, tuple[int, int, Any]] = {}
        self._lock = threading.Lock()

    # --- cached parsing --------------------------------------------------------

    def _parsed(self, path: Path, parse: Callable[[bytes], Any]) -> tuple[Any, str | None]:
        try:
            st = path.stat()
        except OSError as exc:
            return None, f"cannot read: {exc.strerror}"
        with self._lock:
            hit = self._cache.get(path)
            if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
                return hit[2]
        try:
            value: tuple[Any, str | None] = (parse(path.read_bytes()), None)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            value = (None, f"unreadable: {type(exc).__name__}")
        with self._lock:
            self._cache[path] = (st.st_mtime_ns, st.st_size, value)
        return value

    def _dated(self, folder: str, pattern: re.Pattern[str]) -> list[Dated]:
        base = self.root / folder
        if not base.is_dir():
            return []
        out: list[Dated] = []
        for path in base.iterdir():
            m = pattern.match(path.name)
            day = _date(m) if m else None
            if day is None:
                continue
            doc, error = self._parsed(path, _json_object)
            out.append(Dated(day, path, doc, error))
        return sorted(out, key=lambda d: d.day)

    # --- snapshots and windows ---------------------------------------------------

    def snapshots(self) -> list[Dated]:
        return [d for d in self._dated("snapshots", _SNAPSHOT) if d.doc is not None]

    def latest_snapshot(self) -> Dated | None:
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    def windows(self) -> list[Dated]:
        return [d for d in self._dated("windows", _WINDOW) if d.doc is not None]

    def latest_window(self) -> Dated | None:
        wins = self.windows()
        return wins[-1] if wins else None

    # --- packets -----------------------------------------------------------------

    def packets(self) -> list[PacketFiles]:
        base = self.root / "packets"
        if not base.is_dir():
            return []
        by_day: dict[date, dict[str, Path]] = {}
        for path in base.iterdir():
            m = _PACKET.match(path.name)
            day = _date(m) if m else None
            if m is None or day is None:
                continue
            by_day.setdefault(day, {})[m.group(4)] = path
        out: list[PacketFiles] = []
        for day in sorted(by_day):
            files = by_day[day]
            doc, error = (None, None)
            if "json" in files:
                doc, error = self._parsed(files["json"], _json_object)
            out.append(PacketFiles(day, files, doc, error))
        return out

    def packet(self, day: date) -> PacketFiles | None:
        for p in self.packets():
            if p.day == day:
                return p
        return None

    def scorecards(self) -> list[tuple[date, dict[str, Any]]]:
        base = self.root / "scorecards"
        if not base.is_dir():
            return []
        out: list[tuple[date, dict[str, Any]]] = []
        for path in base.iterdir():
            m = _SCORECARD.match(path.name)
            day = _date(m) if m else None
            if day is None:
                continue
            doc, _ = self._parsed(path, _yaml_object)
            if isinstance(doc, dict):
                out.append((day, doc))
        return sorted(out, key=lambda t: t[0])


def _json_object(raw: bytes) -> dict[str, Any]:
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc


def _yaml_object(raw: bytes) -> dict[str, Any]:
    doc = yaml.safe_load(raw)
    if not isinstance(doc, dict):
        raise ValueError("not a mapping")
    return doc


# --- lenient packet reading ---------------------------------------------------


def _num(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        for key in ("text", "summary", "line", "reason", "detail"):
            if key in value:
                return _text(value[key])
        return json.dumps(value, sort_keys=True)
    return str(value)


def summarize_packet(p: PacketFiles) -> PacketSummary:
    """Decision, score and gate matrix from a packet JSON, whatever its exact shape:
    `decision` may be a string or {outcome|decision|value, blockers}; `score` a
    number or {total|score, threshold}; `gates` a list of {id, name, status,
    evidence} or a mapping id -> {...} or id -> status."""
    doc = p.doc or {}
    decision: str | None = None
    blockers: list[str] = []
    raw_decision = doc.get("decision", doc.get("recommendation", doc.get("summary")))
    if isinstance(raw_decision, str):
        decision = raw_decision
    elif isinstance(raw_decision, Mapping):
        for key in ("verdict", "outcome", "decision", "value", "status", "recommendation"):
            if isinstance(raw_decision.get(key), str):
                decision = raw_decision[key]
                break
        blockers = [_text(b) for b in raw_decision.get("blockers", []) or []]
    if not blockers:
        blockers = [_text(b) for b in doc.get("blockers", []) or [] if b is not None]

    score: float | None = None
    threshold: float | None = None
    score_date: date | None = None
    history: list[tuple[date, float]] = []
    raw_score = doc.get("score", doc.get("rubric"))
    if isinstance(raw_score, Mapping):
        for key in ("total", "score", "value"):
            if _num(raw_score.get(key)) is not None:
                score = _num(raw_score.get(key))
                break
        raw_threshold = raw_score.get("threshold")
        if isinstance(raw_threshold, Mapping):
            raw_threshold = raw_threshold.get("min_total", raw_threshold.get("value"))
        threshold = _num(raw_threshold)
        score_date = _day(raw_score.get("date"))
        for item in raw_score.get("history", []) or []:
            if isinstance(item, Mapping):
                day, total = _day(item.get("date")), _num(item.get("total"))
                if day is not None and total is not None:
                    history.append((day, total))
    else:
        score = _num(raw_score)
    if threshold is None:
        threshold = _num(doc.get("threshold"))

    gates: list[Gate] = []
    raw_gates = doc.get("gates", doc.get("gate_matrix"))
    if isinstance(raw_gates, Mapping):
        raw_gates = [
            {"id": k, **(v if isinstance(v, Mapping) else {"status": v})}
            for k, v in raw_gates.items()
        ]
    if isinstance(raw_gates, list):
        for g in raw_gates:
            if not isinstance(g, Mapping):
                continue
            gates.append(
                Gate(
                    id=_text(g.get("id", g.get("gate", ""))),
                    name=_text(g.get("name", g.get("title", ""))),
                    status=_text(g.get("status", "UNKNOWN")).upper() or "UNKNOWN",
                    evidence=_text(
                        g.get("summary", g.get("evidence", g.get("reasons", g.get("reason", ""))))
                    ),
                )
            )
    return PacketSummary(
        p.day, decision, score, threshold, blockers, gates, score_date or p.day, history
    )


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def scorecard_total(
    doc: Mapping[str, Any], weights: Mapping[str, float] | None = None
) -> float | None:
    """A scorecard's total: its own `total`/`score` when it states one, else the
    weighted sum of category scores (0-4) when weights are known."""
    for key in ("total", "score"):
        if _num(doc.get(key)) is not None:
            return _num(doc.get(key))
    if not weights:
        return None
    cats = doc.get("categories", doc.get("scores"))
    if not isinstance(cats, Mapping):
        return None
    total = 0.0
    for name, weight in weights.items():
        entry = cats.get(name)
        value = _num(entry.get("score") if isinstance(entry, Mapping) else entry)
        if value is None:
            return None
        total += value / 4 * weight
    return round(total, 2)
