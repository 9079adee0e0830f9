"""`slogate window`, `slogate alerts backtest`, `slogate export ...`, `slogate import openslo`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from slogate.config import load_config
from slogate.errors import UsageError

alerts_app = typer.Typer(no_args_is_help=True, help="Burn-rate alerts replayed over history.")
export_app = typer.Typer(
    no_args_is_help=True, help="Export the SLOs to Prometheus rules, OpenSLO or Grafana."
)
import_app = typer.Typer(no_args_is_help=True, help="Import SLOs from other formats.")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
    app.command("window")(window)
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    alerts_app.command("backtest")(backtest)
    export_app.command("prometheus")(export_prometheus)
    export_app.command("openslo")(export_openslo)
    export_app.command("grafana")(export_grafana)
    import_app.command("openslo")(import_openslo)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--start must be YYYY-MM-DD, got {text!r}") from exc


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"--now must be an ISO 8601 time, got {text!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _engine(name: str) -> str:
    if name not in ("duckdb", "spark"):
        raise UsageError(f"--engine must be duckdb or spark, got {name!r}")
    return name


def window(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
    inputs: list[str] = typer.Option(
        ..., "--input", "-i", help="Log files, folders or globs (repeatable)."
    ),
    start: str = typer.Option(..., "--start", help="First day of the window (YYYY-MM-DD, UTC)."),
    days: int | None = typer.Option(None, "--days", min=1, help="Window length (window.days)."),
    out: Path = typer.Option(Path("evidence"), "--out", help="Evidence folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the window JSON."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark."),
    now: str | None = typer.Option(None, "--now", help="Evaluate as of this time (default: now)."),
    progress: bool = typer.Option(False, "--progress", help="Show progress on long scans."),
) -> None:
    """Evaluate the validation window in one pass; write the window report and the daily
    snapshots (evidence/windows/window_YYYY_MM_DD.{json,md}, evidence/snapshots/...)."""
    from slogate.services.window import run_window

    loaded = load_config(config)
    outcome = run_window(
        loaded,
        inputs,
        start=_date(start),
        days=days,
        engine=_engine(engine),
        out_dir=out,
        now=_now(now),
        progress=progress,
    )
    doc = outcome.document
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(
        f"window {doc['start']} ({doc['days']} days): {doc['status']}, "
        f"{doc['days_completed']}/{doc['days']} days complete"
    )
    for c in doc["completion_criteria"]:
        typer.echo(f"  [{'pass' if c['passed'] else 'FAIL'}] {c['name']}: {c['reason']}")
    counts = doc["incident_counts"]
    typer.echo(f"incidents: Sev-1 {counts['sev1']}, Sev-2 {counts['sev2']}, Sev-3 {counts['sev3']}")
    for i in doc["incidents"]:
        typer.echo(
            f"  {i['id']} Sev-{i['severity']} {i['slo']} {i['start']} .. {i['end']} "
            f"worst {i['worst_value']}"
        )
    for pillar, b in doc["budgets"]["pillars"].items():
        burned = "-" if b["burned_fraction"] is None else f"{b['burned_fraction'] * 100:.1f} %"
        flag = " (over the G7 limit)" if b["exceeds"] else ""
        typer.echo(f"budget {pillar}: {burned} burned, worst {b['worst_slo'] or '-'}{flag}")
    if doc["consecutive_miss_pillars"]:
        typer.echo(
            "NO-GO: two consecutive missed days in " + ", ".join(doc["consecutive_miss_pillars"])
        )
    if outcome.json_path is not None:
        typer.echo(f"wrote {outcome.json_path} and {outcome.md_path}")
        typer.echo(f"wrote {len(outcome.snapshot_paths)} daily snapshots")


def backtest(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
    inputs: list[str] = typer.Option(..., "--input", "-i", help="Log files, folders or globs."),
    start: str = typer.Option(..., "--start", help="First day (YYYY-MM-DD, UTC)."),
    days: int | None = typer.Option(None, "--days", min=1, help="Days to replay (window.days)."),
    as_json: bool = typer.Option(False, "--json", help="Print the alert replay as JSON."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark."),
    now: str | None = typer.Option(None, "--now", help="Replay as of this time (default: now)."),
) -> None:
    """Replay the multiwindow burn-rate alerts: each alert with the incidents it caught,
    then the incidents no alert caught."""
    from slogate.services.window import run_window

    loaded = load_config(config)
    outcome = run_window(
        loaded,
        inputs,
        start=_date(start),
        days=days,
        engine=_engine(engine),
        out_dir=None,
        now=_now(now),
    )
    doc = outcome.document
    alerts = doc["alerts"]
    if as_json:
        payload = {
            "start": doc["start"],
            "days": doc["days"],
            "policy": doc["policy"]["burn_windows"],
            "alerts": alerts,
            "incidents": doc["incidents"],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    incidents = {i["id"]: i for i in doc["incidents"]}
    if not alerts["firings"]:
        typer.echo("no alert would have fired")
    for f in alerts["firings"]:
        typer.echo(
            f"{f['id']} {f['severity']} {f['slo']} {f['start']} .. {f['end']}"
            f"{' (still firing)' if f['open'] else ''} [{', '.join(f['windows'])}] "
            f"peak {f['peak_burn_rate']:.1f}x"
        )
        if f["caught"]:
            for inc_id in f["caught"]:
                i = incidents[inc_id]
                typer.echo(f"    caught {inc_id} Sev-{i['severity']} {i['start']} .. {i['end']}")
        else:
            typer.echo("    caught no incident (noise)")
    missed = alerts["missed_incidents"]
    typer.echo(f"incidents no alert caught: {len(missed)}")
    for inc_id in missed:
        i = incidents[inc_id]
        typer.echo(f"    {inc_id} Sev-{i['severity']} {i['slo']} {i['start']} .. {i['end']}")


def _write_or_print(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    from slogate.fileio import atomic_write

    atomic_write(output, text)
    typer.echo(f"wrote {output}", err=True)


def export_prometheus(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Prometheus recording and alerting rules in Sloth's form (check with promtool)."""
    from slogate.exporters.rules import render_rules

    loaded = load_config(config)
    _write_or_print(render_rules(loaded.config), output)


def export_grafana(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """A Grafana dashboard JSON: a row per pillar over the recording rules."""
    from slogate.exporters.grafana import dashboard

    loaded = load_config(config)
    _write_or_print(json.dumps(dashboard(loaded.config), indent=2) + "\n", output)


def export_openslo(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """OpenSLO v1 documents for every SLO OpenSLO can express."""
    from slogate.config.openslo import export_openslo as export

    loaded = load_config(config)
    text, skipped = export(loaded.config)
    for slo_id, reason in skipped:
        typer.echo(f"skipped {slo_id}: {reason}", err=True)
    _write_or_print(text, output)


def import_openslo(
    files: list[Path] = typer.Argument(..., help="OpenSLO YAML files."),
    output: Path | None = typer.Option(None, "--output", "-o", help="slogate.yaml to write."),
) -> None:
    """Turn OpenSLO v1 files into a slogate configuration (validated before it is written)."""
    from slogate.config.openslo import import_openslo as do_import

    texts = []
    for f in files:
        try:
            texts.append((str(f), f.read_text(encoding="utf-8")))
        except OSError as exc:
            raise UsageError(f"{f}: cannot read: {exc.strerror}") from exc
    _write_or_print(do_import(texts), output)
