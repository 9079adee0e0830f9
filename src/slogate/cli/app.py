"""Typer app: parses arguments, calls services, prints; no domain maths here.

Each command group lives in its own module with a `register(app)` function, so
that parts of the tool can grow without touching each other's commands.
"""

from __future__ import annotations

import sys

import typer

from slogate import __version__
from slogate.cli import (
    config_cmds,
    demo_cmds,
    evidence_cmds,
    ingest_cmds,
    snapshot_cmds,
    store_cmds,
    window_cmds,
)
from slogate.errors import SlogateError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="slogate: turn raw telemetry into a release decision.",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"slogate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """slogate: turn raw telemetry into a release decision."""


for _module in (
    config_cmds,
    snapshot_cmds,
    window_cmds,
    evidence_cmds,
    ingest_cmds,
    store_cmds,
    demo_cmds,
):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry: domain errors become one line on stderr and their exit code."""
    try:
        # Without standalone mode click returns typer.Exit's code instead of raising it.
        rc = app(args=argv, standalone_mode=False)
    except SlogateError as exc:
        print(f"slogate: error: {exc.one_line()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("slogate: aborted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        # Usage errors (unknown command, bad option value). Typer vendors its own
        # copy of click, so match click's exception shape rather than its class.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)
