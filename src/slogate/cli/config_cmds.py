"""`slogate validate` and `slogate schema`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from slogate.config import load_config
from slogate.config.schema import config_json_schema
from slogate.core.slo import classification_counts, classify


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("schema")(schema)


def validate(
    config: Path = typer.Option(..., "--config", "-c", help="Path to slogate.yaml."),
) -> None:
    """Check a configuration file; exit 2 with file:line: field: reason when it is bad."""
    loaded = load_config(config)
    cfg = loaded.config
    catalog = cfg.catalog()
    statuses = [
        classify(s, catalog, client_relay=cfg.ingest.client_relay).status for s in cfg.core_slos()
    ]
    counts = classification_counts(statuses)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    typer.echo(f"{config}: valid: {len(cfg.events)} events, {len(cfg.slos)} SLOs ({summary})")


def schema(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the Markdown configuration reference instead."
    ),
) -> None:
    """Print the JSON Schema of slogate.yaml (`slogate schema > slogate.schema.json`)."""
    if markdown:
        from slogate.config.reference import config_reference_markdown

        typer.echo(config_reference_markdown(), nl=False)
        return
    typer.echo(json.dumps(config_json_schema(), indent=2, sort_keys=False))
