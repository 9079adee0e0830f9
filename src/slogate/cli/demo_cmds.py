"""`slogate demo`: generate a synthetic week for the example and snapshot it."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from slogate.errors import UsageError

_EXAMPLE_REL = Path("examples") / "readiness-demo" / "slogate.yaml"


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
    app.command("demo")(demo)


def example_config_path() -> Path:
    """The example configuration, shipped in the package (`slogate/examples/`, of
    which a checkout's `examples/readiness-demo` is a link), so that a wheel
    install runs `slogate demo` with its evidence too; else a checkout's copy."""
    from importlib.resources import files

    packaged = files("slogate").joinpath("examples", "readiness-demo", "slogate.yaml")
    if packaged.is_file():
        return Path(str(packaged))
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / _EXAMPLE_REL
        if candidate.is_file():
            return candidate
    candidate = Path.cwd() / _EXAMPLE_REL
    if candidate.is_file():
        return candidate
    raise UsageError("cannot find the example configuration; pass --config FILE")


#: The seed team's packet of 2026-02-19 said the validation window could start:
#: the demo's week is that window, so its output is the same on any day.
DEFAULT_START = date(2026, 2, 19)


def _parse_start(text: str | None, days: int, today: date) -> datetime:
    if text is None:
        first = DEFAULT_START
    else:
        try:
            first = date.fromisoformat(text)
        except ValueError as exc:
            raise UsageError(f"--start: not a date (YYYY-MM-DD): {text!r}") from exc
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def demo(
    out: Path = typer.Option(Path("demo-output"), "--out", help="Directory to write into."),
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same events)."),
    days: int = typer.Option(7, "--days", min=1, max=62, help="Number of days to generate."),
    start: str | None = typer.Option(
        None,
        "--start",
        help="First day (YYYY-MM-DD, UTC); default 2026-02-19, the seed team's window.",
    ),
    sessions: int = typer.Option(300, "--sessions-per-day", min=1, help="Weekday sessions."),
    config: Path | None = typer.Option(
        None, "--config", help="Configuration (default: the readiness-demo example)."
    ),
    outage: list[str] = typer.Option(
        [],
        "--outage",
        help="Inject an outage: START/DURATION/ERROR_RATE/TARGETS[/LATENCY_FACTOR], e.g. "
        "2026-02-05T14:00/2h/0.2/streaming_video_init_success (repeatable).",
    ),
    story: bool = typer.Option(
        True,
        "--story/--snapshot-only",
        help="Run the whole story (window, evidence, gates, score, packet) after the snapshot.",
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Then serve the dashboard and ingest over the demo's data."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="With --serve: address."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="With --serve: port."),
) -> None:
    """Generate a realistic synthetic week of events for the example, then snapshot it."""
    from slogate.config import load_config
    from slogate.demo import Scenario, generate_week
    from slogate.demo.files import write_week
    from slogate.demo.scenario import parse_outage

    first = _parse_start(start, days, datetime.now(UTC).date())
    try:
        outages = tuple(parse_outage(text) for text in outage)
    except ValueError as exc:
        raise UsageError(f"--outage: {exc}") from exc
    config_path = config or example_config_path()
    loaded = load_config(config_path)
    scenario = Scenario(
        start=first, days=days, seed=seed, sessions_per_day=sessions, outages=outages
    )
    week = generate_week(scenario)
    written = write_week(week, out)
    out.mkdir(parents=True, exist_ok=True)
    copied = out / "slogate.yaml"
    if config_path.resolve() != copied.resolve():
        shutil.copyfile(config_path, copied)

    from slogate.services.snapshot import run_snapshot

    outcome = run_snapshot(
        loaded,
        [written.events_dir],
        since=scenario.start,
        until=scenario.end,
        # The whole week's snapshot; the window writes each day's into evidence/,
        # and the last day's would otherwise carry the same file name.
        out_dir=out / "snapshot",
    )
    _print_summary(outcome.document, week.stats, written.events_dir, outcome, copied)
    evidence_dir = out / "evidence"
    if story:
        from slogate.services.demo import example_evidence_dir, run_story

        told = run_story(
            loaded,
            written.events_dir,
            start=first.date(),
            days=days,
            evidence_dir=evidence_dir,
            example_evidence=example_evidence_dir(config_path),
        )
        _print_story(told)
    if serve:
        _serve(copied, out, evidence_dir, host, port)


def _print_story(told: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    window = told.window
    severities: dict[int, int] = {}
    for incident in window.get("incidents", []):
        severities[incident["severity"]] = severities.get(incident["severity"], 0) + 1
    worst = window.get("budgets", {}).get("pillars", {})
    burn = ", ".join(
        f"{pillar} {info['burned_fraction'] * 100:.0f} %"
        for pillar, info in sorted(worst.items())
        if info.get("burned_fraction") is not None
    )
    console.print(
        f"window {window.get('start')} +{window.get('days')} days: {window.get('status')}; "
        + (", ".join(f"{n} Sev-{s}" for s, n in sorted(severities.items())) or "no incidents")
        + (f"; budget burned: {burn}" if burn else "")
    )
    packet = told.packet
    gates = Table(title=f"Gates as of {told.as_of}")
    for column in ("gate", "status", "evidence"):
        gates.add_column(column)
    for gate in packet.get("gates", []):
        gates.add_row(gate.get("id", ""), gate.get("status", ""), gate.get("summary", ""))
    console.print(gates)
    rubric = packet.get("rubric", {})
    decision = packet.get("decision", {})
    console.print(
        f"score: {rubric.get('total')} (threshold {rubric.get('threshold', {}).get('min_total')})"
    )
    console.print(f"decision: [bold]{decision.get('verdict')}[/]")
    for blocker in decision.get("blockers", []):
        console.print(f"  - {blocker}")
    for fmt, path in sorted(told.packet_paths.items()):
        console.print(f"packet ({fmt}): {path}")


def _serve(config: Path, data: Path, evidence: Path, host: str, port: int) -> None:
    """The dashboard over the demo's data; blocks until interrupted."""
    import uvicorn

    from slogate.cli.ingest_cmds import build_app

    asgi = build_app(
        config, data, instance="demo", fsync=True, floor_endpoint=False, evidence=evidence
    )
    typer.echo(f"dashboard: http://{host}:{port}/", err=False)
    sys.stdout.flush()
    uvicorn.run(asgi, host=host, port=port, log_level="warning", lifespan="on")


def format_value(slo: dict[str, Any]) -> str:
    """A human reading of an SLO value in its unit."""
    value = slo.get("value")
    unit = (slo.get("target") or {}).get("unit")
    if slo.get("kind") == "monitor":
        counts = slo.get("counts") or {}
        return " · ".join(f"{k.removeprefix('socket_')} {v}" for k, v in counts.items()) or "—"
    if value is None:
        return "no data"
    if unit == "ratio" or slo.get("kind") in ("ratio", "rate", "distinct_ratio"):
        return f"{value * 100:.3f} %"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "mb":
        return f"{value:,.1f} MB"
    return f"{value:g}"


def format_target(target: dict[str, Any] | None) -> str:
    if not target:
        return "monitor"
    value, unit = target["value"], target.get("unit")
    if unit == "ratio":
        shown = f"{value * 100:g} %"
    elif unit in ("ms", "mb"):
        shown = f"{value:g} {unit.upper() if unit == 'mb' else unit}"
    else:
        shown = f"{value:g}"
    return f"{target['op']} {shown}"


def _print_summary(
    doc: dict[str, Any], stats: dict[str, int], events_dir: Path, outcome: Any, config: Path
) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped output (CI logs, tests) gets a table wide enough for the SLO ids.
    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"SLO snapshot of the demo week ({doc.get('date', '')})")
    for column in ("SLO", "pillar", "status", "value", "target", "met"):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    marks = {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}
    for slo in doc.get("slos", []):
        table.add_row(
            slo["id"],
            slo.get("pillar", ""),
            slo.get("status", ""),
            format_value(slo),
            format_target(slo.get("target")),
            marks.get(slo.get("met"), "—"),
        )
    console.print(table)
    classes = doc.get("classification", {})
    console.print(
        "classification: " + ", ".join(f"{count} {name}" for name, count in classes.items())
    )
    inputs = doc.get("inputs", {})
    rejected = inputs.get("rejected") or {}
    console.print(
        f"inputs: {inputs.get('files', '?')} files, {inputs.get('lines', '?')} lines, "
        f"{inputs.get('events', '?')} events, {inputs.get('duplicates', 0)} duplicates, "
        f"{sum(rejected.values())} rejected "
        + (f"({', '.join(f'{k} {v}' for k, v in sorted(rejected.items()))})" if rejected else "")
    )
    console.print(
        f"generated {stats['sessions']} sessions, {stats['events']} events into {events_dir}"
    )
    console.print(f"config:   {config}")
    console.print(f"snapshot: {outcome.json_path}")
    if outcome.md_path is not None:
        console.print(f"          {outcome.md_path}")
