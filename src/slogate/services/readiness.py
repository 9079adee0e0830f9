"""Use cases of the readiness area: evaluate gates, score, decide, build and write
the packet. One entry each for the CLI, the demo and the web app."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from slogate import __version__
from slogate.config.load import LoadedConfig, load_config
from slogate.core.decision import (
    Decision,
    Phase,
    automatic_conditions,
    decide,
    freeze_triggers,
    next_review,
)
from slogate.core.gates import GateResult, GateStatus, evaluate_gates, requirement_satisfied
from slogate.core.packet import ReadinessPacket, build_packet
from slogate.core.rubric import Scorecard, Suggestion, suggest
from slogate.errors import EvidenceError, UsageError
from slogate.evidence.loader import LoadedEvidence, load_evidence, previous_packets
from slogate.evidence.records import dump_json
from slogate.fileio import atomic_write

_STATUS_TO_PREREQ = {
    GateStatus.PASS: "done",
    GateStatus.IN_PROGRESS: "in_progress",
    GateStatus.FAIL: "in_progress",
    GateStatus.NOT_STARTED: "not_started",
}


@dataclass
class Evaluation:
    loaded: LoadedConfig
    evidence: LoadedEvidence
    as_of: date
    gates: list[GateResult]
    decision: Decision
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def scorecard(self) -> Scorecard | None:
        cards = [d for d in self.evidence.evidence.scorecards if isinstance(d.data, Scorecard)]
        if not cards:
            return None
        newest = max(cards, key=lambda d: d.date)
        return newest.data if isinstance(newest.data, Scorecard) else None


def parse_date(value: str | None, *, today: date | None = None) -> date:
    if value is None:
        return today or datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--date must be YYYY-MM-DD, got {value!r}") from exc


def evaluate(
    loaded: LoadedConfig,
    evidence_dir: str | Path | None,
    as_of: date,
    *,
    today: date | None = None,
    phase_id: int | None = None,
) -> Evaluation:
    cfg = loaded.config
    today = today or datetime.now(UTC).date()
    if as_of > today:
        raise UsageError(f"--date {as_of} is in the future (today is {today})")
    ev_loaded = load_evidence(loaded, evidence_dir, as_of, today=today)
    ev = ev_loaded.evidence
    gates = evaluate_gates(cfg.core_gates(), ev)
    phases = cfg.core_phases()
    phase = _pick_phase(phases, phase_id) or cfg.current_phase()
    if phase is None:
        phase = Phase(0, "(no phase configured)", tuple(g.gate for g in gates), None)
    rubric = ev.rubric
    card = _newest_card(ev_loaded)
    scores = dict(card.scores) if card else None
    conditions = automatic_conditions(
        ev, smoke_tests=cfg.decision.smoke_tests, smoke_runs=cfg.decision.smoke_runs
    )
    triggers = (
        freeze_triggers(
            rubric,
            scores,
            ev,
            freeze_below=cfg.decision.freeze_below,
            min_category=cfg.decision.freeze_min_category,
        )
        if phase.enforce
        else []
    )
    later = [p for p in phases if p.id == phase.id + 1]
    watch = later[0].exit_gates if later and cfg.decision.watch_next_phase else ()
    stale = None
    max_age = cfg.evidence.freshness_days.get("scorecard")
    if card is not None and max_age is not None and (as_of - card.date).days > max_age:
        stale = (
            f"newest scorecard is from {card.date}, older than {max_age} days as of {as_of}: "
            "score the rubric again"
        )
    decision = decide(
        phase,
        gates,
        rubric,
        scores,
        conditions,
        triggers=triggers,
        watch_gates=watch,
        stale_scorecard=stale,
    )
    suggestions: list[Suggestion] = []
    if rubric is not None and scores is not None:

        def satisfied(req: str) -> bool:
            return requirement_satisfied(req.removeprefix("attestation:"), gates, ev)

        suggestions = suggest(rubric, scores, satisfied)
    return Evaluation(loaded, ev_loaded, as_of, gates, decision, suggestions)


def _pick_phase(phases: list[Phase], phase_id: int | None) -> Phase | None:
    if phase_id is None:
        return None
    for p in phases:
        if p.id == phase_id:
            return p
    raise UsageError(f"no phase {phase_id} in the configuration")


def _newest_card(ev_loaded: LoadedEvidence) -> Scorecard | None:
    cards = [d for d in ev_loaded.evidence.scorecards if isinstance(d.data, Scorecard)]
    if not cards:
        return None
    data = max(cards, key=lambda d: d.date).data
    return data if isinstance(data, Scorecard) else None


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def _prerequisites(evaluation: Evaluation) -> list[dict[str, Any]]:
    by_id: dict[str, GateStatus] = {}
    for g in evaluation.gates:
        by_id[g.gate] = g.status
        for c in g.checks:
            by_id[c.check] = c.status
    out = []
    for p in evaluation.loaded.config.prerequisites:
        status, auto = p.status, False
        if p.check and p.check in by_id:
            status, auto = _STATUS_TO_PREREQ[by_id[p.check]], True
        out.append(
            {
                "item": p.item,
                "priority": p.priority,
                "status": status,
                "auto": auto,
                "check": p.check,
                "note": p.note,
            }
        )
    return out


_TITLES = {
    "snapshots": "SLO snapshot",
    "windows": "Validation window",
    "junit": "JUnit results",
    "flake": "Flake-rate record",
    "drills": "Drill journal",
    "scorecards": "Rubric scorecard",
    "attestations": "Attestation",
    "pii": "PII scan",
    "runbook": "Runbook",
    "packets": "Previous packet",
}


def build(evaluation: Evaluation, out_dir: Path, *, now: datetime | None = None) -> ReadinessPacket:
    loaded = evaluation.loaded
    cfg = loaded.config
    root = evaluation.evidence.root
    ev = evaluation.evidence.evidence
    files = dict(evaluation.evidence.files)
    prev = previous_packets(root, evaluation.as_of)
    prev_doc: dict[str, Any] | None = None
    prev_path: str | None = None
    if prev:
        day, path = prev[-1]
        try:
            prev_doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError) as exc:
            raise EvidenceError(f"previous packet unreadable: {exc}", file=str(path)) from exc
        prev_path = path.relative_to(root).as_posix()
        from slogate.evidence.loader import sha256_file

        files[prev_path] = sha256_file(path)
    base = _rel(root, out_dir)
    references: list[dict[str, Any]] = []
    for rel in sorted(files):
        kind = rel.split("/", 1)[0]
        references.append(
            {"title": _TITLES.get(kind, kind), "path": rel, "link": f"{base}/{rel}", "exists": True}
        )
    config_dir = Path(loaded.path).resolve().parent
    for ref in cfg.evidence.references:
        target = (config_dir / ref.path).resolve()
        references.append(
            {
                "title": ref.title,
                "path": ref.path,
                "link": _rel(target, out_dir),
                "exists": target.exists(),
            }
        )
    cadence = cfg.cadence
    review = next_review(evaluation.as_of, cadence.weekday_index)
    packet = build_packet(
        as_of=evaluation.as_of,
        generated=now or datetime.now(UTC),
        decision=evaluation.decision,
        gates=evaluation.gates,
        ev=ev,
        suggestions=evaluation.suggestions,
        previous_packet=prev_doc,
        previous_packet_path=prev_path,
        prerequisites=_prerequisites(evaluation),
        cadence={
            "review_weekday": cadence.review_weekday,
            "packet_every_days": cadence.packet_every_days,
            "owner": cadence.owner,
            "items": [i.model_dump() for i in cadence.items],
            "next_review": review.isoformat(),
        },
        references=references,
        files=files,
        ignored=evaluation.evidence.ignored,
        config={"path": _rel(Path(loaded.path), out_dir), "sha256": loaded.sha256},
        tool_version=__version__,
        next_review=review,
    )
    packet.data["evidence"]["base"] = base
    packet.data["evidence"]["notes"] = list(evaluation.evidence.notes)
    return packet


@dataclass
class PacketOutcome:
    packet: ReadinessPacket
    evaluation: Evaluation
    paths: dict[str, Path]


def write_packet(
    packet: ReadinessPacket, out_dir: Path, formats: tuple[str, ...]
) -> dict[str, Path]:
    """Render every format first, then write each atomically: an error in any
    renderer leaves no packet file behind."""
    from slogate.report.packet import render_html, render_markdown

    stem = f"readiness_packet_{packet.data['date'].replace('-', '_')}"
    rendered: dict[str, str] = {}
    for fmt in formats:
        if fmt == "json":
            rendered["json"] = dump_json(packet.to_dict())
        elif fmt == "md":
            rendered["md"] = render_markdown(packet.to_dict())
        elif fmt == "html":
            rendered["html"] = render_html(packet.to_dict())
        else:
            raise UsageError(f"unknown packet format {fmt!r} (json, md, html)")
    paths: dict[str, Path] = {}
    for fmt, text in rendered.items():
        path = out_dir / f"{stem}.{fmt}"
        atomic_write(path, text)
        paths[fmt] = path
    return paths


def run_packet(
    config: str | Path | LoadedConfig,
    *,
    evidence: str | Path | None = None,
    as_of: date | None = None,
    out_dir: str | Path | None = None,
    formats: tuple[str, ...] = ("json", "md", "html"),
    now: datetime | None = None,
) -> PacketOutcome:
    """The demo's and the CLI's entry: evaluate as of a date and write the packet
    (default out: `<evidence>/packets`)."""
    loaded = config if isinstance(config, LoadedConfig) else load_config(config)
    now = now or datetime.now(UTC)
    day = as_of or now.date()
    evaluation = evaluate(loaded, evidence, day, today=now.date())
    out = Path(out_dir) if out_dir is not None else evaluation.evidence.root / "packets"
    out.mkdir(parents=True, exist_ok=True)
    packet = build(evaluation, out, now=now)
    paths = write_packet(packet, out, formats)
    return PacketOutcome(packet, evaluation, paths)
