"""The readiness packet as plain data: every section of the seed packet, each
fact computed from evidence, plus what changed since the previous packet.

`build_packet` is pure: the service hands it parsed evidence, results and the
clock; renderers (Markdown, HTML, JSON) read only `ReadinessPacket.to_dict()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slogate.core.decision import Decision
from slogate.core.gates import EvidenceSet, GateResult, GateStatus
from slogate.core.rubric import (
    Rubric,
    Scorecard,
    Suggestion,
    check_threshold,
    history,
    points,
    total,
    uplift,
)
from slogate.core.slo import MEASURABILITY_ORDER

_CLASS_RANK = {m.value: i for i, m in enumerate(MEASURABILITY_ORDER)}


def class_transitions(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Per (from, to) pair of measurability classes, how many SLOs moved and which;
    changed pairs first, in class order, then the unchanged ones."""
    if not previous or not current:
        return []
    before = {s["id"]: s.get("status") for s in previous.get("slos", [])}
    slos = current.get("slos", [])
    counts: dict[str, int] = {}
    for s in slos:
        counts[str(s.get("name"))] = counts.get(str(s.get("name")), 0) + 1
    names = {
        s["id"]: (
            f"{s.get('name')} ({s.get('pillar')})"
            if counts[str(s.get("name"))] > 1
            else str(s.get("name", s["id"]))
        )
        for s in slos
    }
    groups: dict[tuple[str, str], list[str]] = {}
    for slo in current.get("slos", []):
        src = before.get(slo["id"], "new")
        groups.setdefault((str(src), str(slo.get("status"))), []).append(slo["id"])
    for slo_id, status in before.items():
        if slo_id not in names:
            groups.setdefault((str(status), "removed"), []).append(slo_id)

    def key(item: tuple[tuple[str, str], list[str]]) -> tuple[int, int, int]:
        (src, dst), _ = item
        return (src == dst, _CLASS_RANK.get(src, 9), _CLASS_RANK.get(dst, 9))

    out = []
    for (src, dst), ids in sorted(groups.items(), key=key):
        out.append(
            {
                "from": src,
                "to": dst,
                "count": len(ids),
                "changed": src != dst,
                "slos": ids,
                "names": [names.get(i, i) for i in ids],
                "text": f"{len(ids)} {src} -> {dst}"
                if src != dst
                else f"{len(ids)} {src} unchanged",
            }
        )
    return out


def gate_transitions(
    previous: Mapping[str, str] | None, current: Sequence[GateResult]
) -> list[dict[str, Any]]:
    if previous is None:
        return []
    out = []
    for gate in current:
        before = previous.get(gate.gate)
        if before != gate.status.value:
            out.append({"gate": gate.gate, "from": before or "absent", "to": gate.status.value})
    return out


@dataclass(frozen=True)
class ReadinessPacket:
    """Plain data; `to_dict()` is the JSON document and the renderers' input."""

    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def verdict(self) -> str:
        return str(self.data["decision"]["verdict"])


def _check_dict(check: Any) -> dict[str, Any]:
    waiver = check.waived_by
    return {
        "id": check.check,
        "kind": check.kind,
        "status": check.status.value,
        "reason": check.reason,
        "evidence": list(check.evidence),
        "waived_by": None
        if waiver is None
        else {
            "approver": waiver.approver,
            "reason": waiver.reason,
            "expires": waiver.expires.isoformat(),
        },
    }


def _gate_dict(gate: GateResult) -> dict[str, Any]:
    return {
        "id": gate.gate,
        "name": gate.name,
        "status": gate.status.value,
        "summary": gate.summary,
        "evidence": list(gate.evidence),
        "checks": [_check_dict(c) for c in gate.checks],
    }


def _rubric_section(
    rubric: Rubric,
    cards: Sequence[Scorecard],
    card_paths: Mapping[date, str],
    threshold_id: str | None,
    suggestions: Sequence[Suggestion],
) -> dict[str, Any]:
    if not cards:
        return {"scorecard": None, "total": None, "history": []}
    card = max(cards, key=lambda c: c.date)
    threshold = rubric.threshold(threshold_id or rubric.thresholds[0].id)
    plan = uplift(rubric, card.scores, threshold)
    rows = history(rubric, cards)
    return {
        "scorecard": card_paths.get(card.date),
        "date": card.date.isoformat(),
        "total": total(rubric, card.scores),
        "max_total": rubric.max_total,
        "threshold": {"id": threshold.id, "name": threshold.name, "min_total": threshold.min_total},
        "gap": plan.gap,
        "categories": [
            {
                "id": c.id,
                "name": c.name,
                "weight": c.weight,
                "score": card.scores.get(c.id, 0),
                "points": points(rubric, c.id, card.scores.get(c.id, 0)),
                "rationale": card.rationale.get(c.id, ""),
                "evidence": list(card.evidence.get(c.id, ())),
            }
            for c in rubric.categories
        ],
        "thresholds": [
            {
                "id": t.id,
                "name": t.name,
                "min_total": t.min_total,
                "min_category": t.min_category,
                "met": (chk := check_threshold(rubric, card.scores, t)).met,
                "gap": chk.gap,
                "below_min": list(chk.below_min),
            }
            for t in rubric.thresholds
        ],
        "history": [
            {
                "date": r.date.isoformat(),
                "total": r.total,
                "delta": r.delta,
                "scores": dict(r.scores),
                "scorecard": card_paths.get(r.date),
            }
            for r in rows
        ],
        "uplift": {
            "threshold": threshold.id,
            "gap": plan.gap,
            "reachable": plan.reachable,
            "paths": [
                {
                    "reaches": p.reaches,
                    "gained": p.gained,
                    "increments": [
                        {
                            "category": i.category,
                            "name": i.name,
                            "from": i.from_score,
                            "to": i.to_score,
                            "points": i.points,
                            "requirement": i.description,
                        }
                        for i in p.increments
                    ],
                }
                for p in plan.paths
            ],
        },
        "suggestions": [
            {
                "category": s.category,
                "name": s.name,
                "claimed": s.claimed,
                "suggested": s.suggested,
                "unmet": list(s.unmet),
                "over_claim": s.over_claim,
            }
            for s in suggestions
        ],
        "over_claims": [s.category for s in suggestions if s.over_claim],
    }


def build_packet(
    *,
    as_of: date,
    generated: datetime,
    decision: Decision,
    gates: Sequence[GateResult],
    ev: EvidenceSet,
    suggestions: Sequence[Suggestion],
    previous_packet: Mapping[str, Any] | None,
    previous_packet_path: str | None,
    prerequisites: Sequence[Mapping[str, Any]],
    cadence: Mapping[str, Any],
    references: Sequence[Mapping[str, Any]],
    files: Mapping[str, str],
    ignored: Sequence[tuple[str, str]],
    config: Mapping[str, Any],
    tool_version: str,
    next_review: date,
) -> ReadinessPacket:
    rubric = ev.rubric
    cards = [d.data for d in ev.scorecards if isinstance(d.data, Scorecard)]
    card_paths = {d.data.date: d.path for d in ev.scorecards if isinstance(d.data, Scorecard)}
    rubric_part = (
        _rubric_section(rubric, cards, card_paths, decision.phase.threshold, suggestions)
        if rubric is not None
        else {"scorecard": None, "total": None, "history": []}
    )
    snap = ev.newest(ev.snapshots)
    prev_snap = None
    if snap is not None:
        older = [s for s in ev.snapshots if s.date < snap.date]
        prev_snap = max(older, key=lambda s: (s.date, s.path)) if older else None
    snap_doc = snap.data if snap is not None and isinstance(snap.data, dict) else None
    prev_doc = (
        prev_snap.data if prev_snap is not None and isinstance(prev_snap.data, dict) else None
    )

    prev_gates = None
    prev_score = None
    if previous_packet is not None:
        prev_gates = {g["id"]: g["status"] for g in previous_packet.get("gates", [])}
        prev_score = (previous_packet.get("rubric") or {}).get("total")
    history_rows = rubric_part.get("history") or []
    if prev_score is None and len(history_rows) >= 2:
        prev_score = history_rows[-2]["total"]
    current_score = rubric_part.get("total")
    waivers_used = [
        {
            "gate": g.gate,
            "check": c.check,
            "approver": c.waived_by.approver,
            "reason": c.waived_by.reason,
            "expires": c.waived_by.expires.isoformat(),
        }
        for g in gates
        for c in g.checks
        if c.waived_by is not None
    ]
    expired = [
        {"gate": w.gate, "check": w.check, "approver": w.approver, "expired": w.expires.isoformat()}
        for w in ev.waivers
        if not w.active_on(as_of)
    ]
    data: dict[str, Any] = {
        "kind": "readiness_packet",
        "date": as_of.isoformat(),
        "generated": generated.isoformat(),
        "tool_version": tool_version,
        "config": dict(config),
        "phase": {"id": decision.phase.id, "name": decision.phase.name},
        "decision": {
            "verdict": decision.verdict,
            "blockers": list(decision.blockers),
            "watch": list(decision.watch),
            "automatic_no_go": [
                {"id": c.id, "description": c.description, "holds": c.holds, "detail": c.detail}
                for c in decision.conditions
            ],
            "freeze_triggers": [
                {"id": c.id, "description": c.description, "holds": c.holds, "detail": c.detail}
                for c in decision.freeze_triggers
            ],
            "next_review": next_review.isoformat(),
        },
        "transitions": {
            "previous_packet": previous_packet_path,
            "gates": gate_transitions(prev_gates, gates),
            "slo_classes": class_transitions(prev_doc, snap_doc),
            "previous_snapshot": prev_snap.path if prev_snap else None,
            "score": {
                "previous": prev_score,
                "current": current_score,
                "delta": None
                if prev_score is None or current_score is None
                else round(current_score - prev_score, 10),
            },
        },
        "gates": [_gate_dict(g) for g in gates],
        "rubric": rubric_part,
        "classification": {
            "snapshot": snap.path if snap else None,
            "date": snap.date.isoformat() if snap else None,
            "counts": dict(snap_doc.get("classification", {})) if snap_doc else {},
            "total": len(snap_doc.get("slos", [])) if snap_doc else 0,
            "slos": [
                {
                    "id": s.get("id"),
                    "name": s.get("name"),
                    "pillar": s.get("pillar"),
                    "status": s.get("status"),
                    "reason": s.get("status_reason"),
                    "value": s.get("value"),
                    "met": s.get("met"),
                }
                for s in (snap_doc.get("slos", []) if snap_doc else [])
            ],
            "previous": None
            if prev_snap is None or prev_doc is None
            else {
                "snapshot": prev_snap.path,
                "date": prev_snap.date.isoformat(),
                "counts": dict(prev_doc.get("classification", {})),
            },
        },
        "prerequisites": [dict(p) for p in prerequisites],
        "cadence": dict(cadence),
        "waivers": {"used": waivers_used, "expired": expired},
        "evidence": {
            "files": dict(files),
            "ignored": [{"path": p, "reason": r} for p, r in ignored],
            "references": [dict(r) for r in references],
        },
    }
    return ReadinessPacket(data)


def gate_status_counts(gates: Sequence[GateResult]) -> dict[str, int]:
    counts = {s.value: 0 for s in GateStatus}
    for g in gates:
        counts[g.status.value] += 1
    return counts
