"""Commands of the evidence area: gates, score, packet, runbook, flake, drill."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from slogate.config import load_config
from slogate.core.gates import GateStatus
from slogate.core.rubric import history
from slogate.errors import SlogateError, UsageError
from slogate.evidence.records import dump_json
from slogate.fileio import atomic_write

flake_app = typer.Typer(help="Flake-rate evidence: run a test command N times, or import runs.")
drill_app = typer.Typer(help="Rollback drills: run one in a temporary git worktree, or record one.")

_CONFIG = typer.Option(..., "--config", "-c", help="Path to slogate.yaml.")
_EVIDENCE = typer.Option(
    None, "--evidence", "-e", help="Evidence directory (default: evidence.dir of the config)."
)
_DATE = typer.Option(None, "--date", help="Evaluate as of YYYY-MM-DD (default: today, UTC).")


class NotPassing(SlogateError):
    """A required gate is not PASS, or a drill failed: exit 1, so CI can gate on it.

    (Raised rather than `typer.Exit(1)`, which `main()` in non-standalone mode
    turns into exit 0.)"""

    exit_code = 1


def register(app: typer.Typer) -> None:
    app.command("gates")(gates)
    app.command("score")(score)
    app.command("packet")(packet)
    app.command("runbook")(runbook)
    app.command("pii-scan")(pii_scan)
    app.add_typer(flake_app, name="flake")
    app.add_typer(drill_app, name="drill")


def _evaluate(config: Path, evidence: Path | None, day: str | None):  # type: ignore[no-untyped-def]
    from slogate.services.readiness import evaluate, parse_date

    loaded = load_config(config)
    return evaluate(loaded, evidence, parse_date(day))


def gates(
    config: Path = _CONFIG,
    evidence: Path | None = _EVIDENCE,
    date: str | None = _DATE,
    as_json: bool = typer.Option(False, "--json", help="Print the matrix as JSON."),
    require: str | None = typer.Option(
        None, "--require", help="Comma-separated gates that must PASS (default: current phase's)."
    ),
    github_summary: bool = typer.Option(
        False, "--github-summary", help="Append the matrix as Markdown to $GITHUB_STEP_SUMMARY."
    ),
) -> None:
    """Print the gate matrix; exit 1 when a required gate is not PASS."""
    ev = _evaluate(config, evidence, date)
    required = (
        [g.strip() for g in require.split(",") if g.strip()]
        if require
        else list(ev.decision.phase.exit_gates)
    )
    known = {g.gate for g in ev.gates}
    unknown = [g for g in required if g not in known]
    if unknown:
        raise UsageError(f"--require names unknown gates: {', '.join(unknown)}")
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "date": ev.as_of.isoformat(),
                    "required": required,
                    "gates": [
                        {
                            "id": g.gate,
                            "name": g.name,
                            "status": g.status.value,
                            "checks": [
                                {
                                    "id": c.check,
                                    "status": c.status.value,
                                    "reason": c.reason,
                                    "evidence": list(c.evidence),
                                }
                                for c in g.checks
                            ],
                        }
                        for g in ev.gates
                    ],
                },
                indent=2,
            )
        )
    else:
        typer.echo(f"Gates as of {ev.as_of} (evidence: {ev.evidence.root})")
        for g in ev.gates:
            mark = "*" if g.gate in required else " "
            typer.echo(f"{mark} {g.gate:<4} {g.status.value:<12} {g.name}")
            for c in g.checks:
                where = f"  [{', '.join(c.evidence)}]" if c.evidence else ""
                typer.echo(f"      {c.check}: {c.status.value}: {c.reason}{where}")
    if github_summary:
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if not target:
            raise UsageError("--github-summary: $GITHUB_STEP_SUMMARY is not set")
        lines = [
            f"### slogate gates as of {ev.as_of}",
            "",
            "| Gate | Status | Evidence |",
            "|------|--------|----------|",
        ]
        for g in ev.gates:
            reason = g.summary.replace("|", "\\|")
            lines.append(f"| {g.gate}: {g.name} | **{g.status.value}** | {reason} |")
        with open(target, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n\n")
    failing = [g.gate for g in ev.gates if g.gate in required and g.status is not GateStatus.PASS]
    if failing:
        raise NotPassing(f"required gates not PASS: {', '.join(failing)}")


def score(
    config: Path = _CONFIG,
    evidence: Path | None = _EVIDENCE,
    date: str | None = _DATE,
    as_json: bool = typer.Option(False, "--json", help="Print the rubric analysis as JSON."),
) -> None:
    """Score history, deltas, thresholds, automatic NO-GO conditions, uplift path and
    evidence-based suggestions (over-claims are flagged)."""
    from slogate.services.readiness import build

    ev = _evaluate(config, evidence, date)
    packet = build(ev, ev.evidence.root / "packets", now=datetime.now(UTC))
    rubric = packet.data["rubric"]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "date": ev.as_of.isoformat(),
                    "rubric": rubric,
                    "decision": packet.data["decision"],
                },
                indent=2,
            )
        )
        return
    rub = ev.evidence.evidence.rubric
    cards = [d.data for d in ev.evidence.evidence.scorecards]
    if rub is None or not cards:
        raise NotPassing(f"no scorecard as of {ev.as_of}")
    rows = history(rub, cards)  # type: ignore[arg-type]
    ids = [c.id for c in rub.categories]
    typer.echo("Week        " + " ".join(f"{i[:11]:>11}" for i in ids) + "   Total   Delta")
    for row in rows:
        cells = []
        for i in ids:
            d = row.category_deltas.get(i, 0)
            cells.append(f"{row.scores.get(i, 0)}{f' ({d:+d})' if d else ''}".rjust(11))
        delta = f"{row.delta:+.2f}" if row.delta is not None else ""
        typer.echo(f"{row.date}  " + " ".join(cells) + f"  {row.total:6.2f}  {delta:>6}")
    typer.echo("")
    for t in rubric["thresholds"]:
        extra = f", no category below {t['min_category']}" if t["min_category"] is not None else ""
        state = "met" if t["met"] else f"not met (gap {t['gap']:.2f})"
        typer.echo(f"{t['name']} (>= {t['min_total']:g}{extra}): {state}")
    typer.echo("")
    typer.echo(f"Decision (phase {ev.decision.phase.id}): {ev.decision.verdict}")
    for b in ev.decision.blockers:
        typer.echo(f"  - {b}")
    for c in ev.decision.conditions:
        state = {True: "HOLDS", False: "clear", None: "not evaluable"}[c.holds]
        typer.echo(f"  automatic NO-GO: {c.description}: {state}")
    uplift = rubric["uplift"]
    typer.echo("")
    typer.echo(f"Gap to {rubric['threshold']['min_total']:g}: {rubric['gap']:.2f}")
    for n, path in enumerate(uplift["paths"], 1):
        if not path["increments"]:
            continue
        tie = f" {n} (tied)" if len(uplift["paths"]) > 1 else ""
        steps = " + ".join(
            f"{i['name']} {i['from']}->{i['to']} (+{i['points']:.2f})" for i in path["increments"]
        )
        typer.echo(f"Uplift path{tie}: {steps} = {path['reaches']:.2f}")
    for s in rubric["suggestions"]:
        if s["over_claim"]:
            typer.echo(
                f"OVER-CLAIM: {s['name']} claims {s['claimed']}, evidence supports "
                f"{s['suggested']} (missing: {', '.join(s['unmet'])})"
            )


def packet(
    config: Path = _CONFIG,
    evidence: Path | None = _EVIDENCE,
    date: str | None = _DATE,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output directory (default: <evidence>/packets)."
    ),
    formats: str = typer.Option("json,md,html", "--format", help="Comma-separated: json,md,html."),
) -> None:
    """Write readiness_packet_YYYY_MM_DD.{md,html,json} and print the decision."""
    from slogate.services.readiness import parse_date, run_packet

    outcome = run_packet(
        config,
        evidence=evidence,
        as_of=parse_date(date),
        out_dir=out,
        formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
    )
    data = outcome.packet.data
    total = data["rubric"].get("total")
    score_text = f", score {total:.2f}" if total is not None else ""
    typer.echo(f"{data['decision']['verdict']} (phase {data['phase']['id']}{score_text})")
    for b in data["decision"]["blockers"]:
        typer.echo(f"  - {b}")
    for fmt, path in outcome.paths.items():
        typer.echo(f"wrote {path}" + ("" if fmt else ""))


def runbook(
    config: Path = _CONFIG,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write here (default: print to stdout)."
    ),
    date: str | None = _DATE,
) -> None:
    """Write the runbook's event field reference and command reference from the catalog."""
    from slogate.report.runbook import render_runbook
    from slogate.services.readiness import parse_date

    loaded = load_config(config)
    cfg = loaded.config
    text = render_runbook(
        cfg.catalog(), cfg.core_slos(), as_of=parse_date(date), project=cfg.project
    )
    if out is None:
        typer.echo(text, nl=False)
    else:
        atomic_write(out, text)
        typer.echo(f"wrote {out}")


def pii_scan(
    config: Path = _CONFIG,
    data: Path = typer.Option(..., "--data", help="Store directory (slogate serve --data DIR)."),
    sample: int = typer.Option(1000, "--sample", min=1, help="Events to scan, newest first."),
    evidence: Path = typer.Option(Path("evidence"), "--evidence", "-e"),
    date: str | None = _DATE,
) -> None:
    """Scan a sample of stored events for raw PII, tokens and missing correlation fields."""
    from slogate.evidence.pii import scan_store, write_pii_scan
    from slogate.services.readiness import parse_date

    cfg = load_config(config).config
    doc = scan_store(data, cfg.catalog(), sample=sample, day=parse_date(date))
    path = write_pii_scan(doc, evidence)
    typer.echo(
        f"{doc['events_scanned']} events scanned: {doc['findings_total']} with PII or tokens, "
        f"{sum(doc['missing_correlation'].values())} missing correlation fields; wrote {path}"
    )


# --- flake -----------------------------------------------------------------------------


@flake_app.command("run")
def flake_run(
    command: list[str] = typer.Argument(..., help="Test command (after --)."),
    runs: int = typer.Option(20, "--runs", "-n", min=1, help="How many runs."),
    junit_out: str | None = typer.Option(
        None,
        "--junit-out",
        help="Where the command writes JUnit; {run} is the run number. "
        "`{junit}` in the command is replaced by this path.",
    ),
    evidence: Path = typer.Option(Path("evidence"), "--evidence", "-e"),
    cwd: Path = typer.Option(Path("."), "--cwd", help="Run the command here (a git checkout)."),
    date: str | None = _DATE,
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per run."),
) -> None:
    """Run a test command N times on the same commit; write evidence/flake/flake_DATE.json."""
    from slogate.evidence.flake import run_flake
    from slogate.services.readiness import parse_date

    record, path = run_flake(
        command,
        runs=runs,
        junit_out=junit_out,
        evidence_dir=evidence,
        cwd=cwd,
        day=parse_date(date),
        timeout=timeout,
        progress=lambda i, n, ok: typer.echo(f"run {i}/{n}: {'ok' if ok else 'FAILED'}", err=True),
    )
    _echo_flake(record, path)


@flake_app.command("import")
def flake_import(
    files: list[Path] = typer.Argument(..., help="JUnit XML files, one per run."),
    evidence: Path = typer.Option(Path("evidence"), "--evidence", "-e"),
    commit: str | None = typer.Option(None, "--commit", help="Git commit the runs were on."),
    date: str | None = _DATE,
) -> None:
    """Build a flake record from CI artifacts (one JUnit file per run)."""
    from slogate.evidence.flake import import_flake
    from slogate.services.readiness import parse_date

    record, path = import_flake(files, evidence_dir=evidence, commit=commit, day=parse_date(date))
    _echo_flake(record, path)


def _echo_flake(record, path: Path) -> None:  # type: ignore[no-untyped-def]
    typer.echo(
        f"{len(record.runs)} runs, {record.failed_runs} failed: run flake rate "
        f"{record.run_rate * 100:.1f} % "
        f"(95 % upper bound {record.upper_bound('runs') * 100:.1f} %); "
        f"{len(record.flaky_tests)} flaky tests of {record.test_count}"
    )
    typer.echo(f"wrote {path}")


# --- drills ----------------------------------------------------------------------------


@drill_app.command("run")
def drill_run(
    verify: list[str] = typer.Argument(..., help="Verify command (after --)."),
    name: str = typer.Option(..., "--name", help="Drill name (e.g. rollback)."),
    revert: str | None = typer.Option(None, "--revert", help="Commit to revert in the drill."),
    repo: Path = typer.Option(Path("."), "--repo", help="Git repository."),
    evidence: Path = typer.Option(Path("evidence"), "--evidence", "-e"),
    date: str | None = _DATE,
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds for the verify step."),
) -> None:
    """Revert, verify and restore in a temporary git worktree; write a timed journal."""
    from slogate.evidence.drills import run_drill
    from slogate.services.readiness import parse_date

    journal, path = run_drill(
        name=name,
        verify=verify,
        revert=revert,
        repo=repo,
        evidence_dir=evidence,
        day=parse_date(date),
        timeout=timeout,
    )
    for s in journal.steps:
        typer.echo(f"{s.name:<8} exit {s.exit_code}  {s.duration_s:7.2f} s  {' '.join(s.command)}")
    typer.echo(
        f"drill {journal.name}: {journal.outcome} in {journal.duration_s:.1f} s; wrote {path}"
    )
    if not journal.passed:
        raise NotPassing(f"drill {journal.name} failed; journal: {path}")


@drill_app.command("record")
def drill_record(
    name: str = typer.Option(..., "--name"),
    outcome: str = typer.Option(..., "--outcome", help="passed or failed."),
    date: str | None = _DATE,
    step: list[str] = typer.Option(
        [], "--step", help="NAME=SECONDS[:EXIT] for each step done by hand (repeatable)."
    ),
    revert: str | None = typer.Option(None, "--revert"),
    notes: str = typer.Option("", "--notes"),
    evidence: Path = typer.Option(Path("evidence"), "--evidence", "-e"),
) -> None:
    """Record a drill done by hand."""
    from slogate.evidence.drills import record_drill
    from slogate.services.readiness import parse_date

    path = record_drill(
        name=name,
        outcome=outcome,
        day=parse_date(date),
        steps=step,
        revert=revert,
        notes=notes,
        evidence_dir=evidence,
    )
    typer.echo(f"wrote {path}")


__all__ = ["dump_json", "register"]
