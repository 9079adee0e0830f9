"""`slogate demo`'s whole story after the week is generated: the validation
window over it, the evidence a team would have by then, the gates, the score
and a dated readiness packet.

The story is the seed team's own: their packet of 2026-02-19 said the window
could start, so the demo week is that window (2026-02-19 to 2026-02-25 by
default) and the packet is written as of the day after it. The example's
evidence files (scorecards, JUnit, flake record, drills, attestations) are
copied in; a rollback drill inside the window and the next Monday's scorecard
are added as the team would record them. Everything is dated, so the output is
the same whichever day the demo runs."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from slogate.config.load import LoadedConfig

#: The Monday scorecard the team writes inside the window. Dashboards and burn-rate
#: alerting now exist (Measurement 3 -> 4) and the window is meeting its SLOs with no
#: Sev-1 so far (Outcomes 2 -> 3): the seed's uplift path.
_SCORECARD = """\
# Written by `slogate demo`: the team's Monday scoring inside the validation window.
date: {day}
author: demo
categories:
  measurement:
    score: 4
    rationale: "All pillars instrumented; dashboards and burn-rate alerting run in slogate serve."
    evidence: [windows/window_{window}.json]
  outcomes:
    score: 3
    rationale: "The validation window meets most SLOs so far with no Sev-1."
    evidence: [windows/window_{window}.json]
  tests:
    score: 3
    rationale: "Required gates stable; 20-run flake proof at 0 failures."
  security:
    score: 3
    rationale: "Known critical controls enforced; telemetry ingest hardened."
  operability:
    score: 3
    rationale: "Runbook generated from the catalog; rollback drill done inside the window."
  delivery:
    score: 3
    rationale: "PR risk, test and rollback notes required."
"""

#: Dashboards and alerting are what `slogate serve` provides; the team attests that
#: the runbook links them (no machine can check a link in a wiki).
_ATTESTATIONS = {
    "dashboards": "The incident runbook links the slogate dashboard of every pillar",
    "alerting": "Burn-rate alerts from slogate serve post to the on-call channel",
}
_ATTESTATION = """\
# Written by `slogate demo`: what the team attests inside the validation window.
id: {id}
claim: {claim}
by: demo
date: {day}
expires: {expires}
link: http://127.0.0.1:8080/
"""

_COPIED = ("scorecards", "junit", "flake", "drills", "attestations", "pii", "runbook", "packets")


@dataclass(frozen=True)
class DemoStory:
    window: dict[str, Any]
    window_json: Path | None
    packet: dict[str, Any]
    packet_paths: dict[str, Path]
    evidence_dir: Path
    as_of: date


def example_evidence_dir(config_path: Path) -> Path | None:
    """The example's evidence folder beside its configuration, when present."""
    candidate = config_path.resolve().parent / "evidence"
    return candidate if candidate.is_dir() else None


def run_story(
    loaded: LoadedConfig,
    events_dir: Path,
    *,
    start: date,
    days: int,
    evidence_dir: Path,
    example_evidence: Path | None,
) -> DemoStory:
    from slogate.evidence.drills import record_drill
    from slogate.services.readiness import run_packet
    from slogate.services.window import run_window

    evidence_dir.mkdir(parents=True, exist_ok=True)
    if example_evidence is not None:
        for name in _COPIED:
            source = example_evidence / name
            if source.is_dir():
                shutil.copytree(source, evidence_dir / name, dirs_exist_ok=True)
    end = start + timedelta(days=days)
    as_of = end  # the morning after the last day of the window
    stamp = datetime.combine(as_of, time(8, 0), tzinfo=UTC)
    window = run_window(
        loaded, [events_dir], start=start, days=days, out_dir=evidence_dir, now=stamp
    )
    drill_day = start + timedelta(days=min(days - 1, 5))
    drill = evidence_dir / "drills" / f"drill_{drill_day:%Y_%m_%d}_rollback.json"
    if not drill.exists():
        record_drill(
            name="rollback",
            outcome="passed",
            day=drill_day,
            steps=["revert=4.1", "typecheck=6.3", "test=11.8", "restore=0.9"],
            revert="HEAD~1",
            notes="Rollback drill inside the validation window (recorded by slogate demo).",
            evidence_dir=evidence_dir,
        )
    for key, claim in _ATTESTATIONS.items():
        path = evidence_dir / "attestations" / f"{key}.yaml"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                _ATTESTATION.format(
                    id=key, claim=claim, day=start, expires=start + timedelta(days=90)
                )
            )
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    if monday < end:
        card = evidence_dir / "scorecards" / f"{monday.isoformat()}.yaml"
        card.parent.mkdir(parents=True, exist_ok=True)
        card.write_text(_SCORECARD.format(day=monday.isoformat(), window=f"{start:%Y_%m_%d}"))
    # As of the morning after the window; "today" stays the real day, so example
    # evidence dated after the window is ignored by the packet rather than refused.
    outcome = run_packet(loaded, evidence=evidence_dir, as_of=as_of)
    return DemoStory(
        window=window.document,
        window_json=window.json_path,
        packet=outcome.packet.to_dict(),
        packet_paths=dict(outcome.paths),
        evidence_dir=evidence_dir,
        as_of=as_of,
    )
