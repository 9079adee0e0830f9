"""Commands of the store area: `slogate scrub` and `slogate compact`."""

from __future__ import annotations

from pathlib import Path

import typer

from slogate.errors import InputError


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
    app.command("scrub")(scrub_cmd)
    app.command("compact")(compact_cmd)


def scrub_cmd(
    file: str = typer.Argument(
        ..., help="JSONL, app log or text file to scrub ('-' for stdin; .gz is read as gzip)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write here (atomically) instead of standard output."
    ),
) -> None:
    """Remove PII and secrets with the same rules as ingest.

    JSON object lines are scrubbed as events (sensitive keys filtered, PII in keys
    and values replaced); an app log line with JSON after a text prefix keeps its
    prefix, scrubbed as text; any other line is scrubbed as text.
    """
    from slogate.privacy.files import scrub_stream

    if file != "-" and not Path(file).is_file():
        raise InputError("file not found", file=file)
    stats = scrub_stream(file, out)
    typer.echo(
        f"scrubbed {stats.lines} lines, {stats.changed} changed" + (f" -> {out}" if out else ""),
        err=True,
    )


def compact_cmd(
    data: Path = typer.Option(..., "--data", help="The store directory (as given to serve)."),
    compression: str = typer.Option(
        "zstd", "--compression", help="Parquet codec: zstd, snappy, gzip or none."
    ),
    row_group_rows: int = typer.Option(128_000, "--row-group-rows", min=1_000),
) -> None:
    """Turn closed event segments into canonical Parquet (atomic; safe to re-run).

    Exits 1 when a segment holds a corrupt line (that segment is left as it is).
    """
    from slogate.errors import StoreError, UsageError
    from slogate.store.compact import compact_store

    if compression not in ("zstd", "snappy", "gzip", "none"):
        raise UsageError(f"--compression: unknown codec {compression!r}")
    report = compact_store(
        data,
        compression=compression,  # type: ignore[arg-type]
        row_group_rows=row_group_rows,
        on_segment=lambda r: typer.echo(f"compacted {r.jsonl} -> {r.parquet} ({r.rows} rows)"),
    )
    for path in report.finished:
        typer.echo(f"finished {path} (Parquet already in place)")
    for path in report.removed_temp:
        typer.echo(f"removed leftover {path}")
    for path in report.skipped_open:
        typer.echo(f"skipped {path} (still being written)")
    for problem in report.corrupt:
        typer.echo(f"corrupt: {problem}", err=True)
    typer.echo(
        f"{len(report.compacted)} segments compacted, {report.rows} rows, "
        f"{len(report.skipped_open)} open, {len(report.corrupt)} corrupt"
    )
    if report.corrupt:
        # An error, not typer.Exit: in non-standalone mode click returns Exit codes
        # from app() instead of raising, and main() would exit 0.
        raise StoreError(f"{len(report.corrupt)} corrupt segment(s) kept as JSONL, see above")
