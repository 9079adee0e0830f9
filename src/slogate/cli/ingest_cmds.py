"""Commands of the ingest area: `slogate serve`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from slogate.errors import UsageError


def _now() -> datetime:
    return datetime.now(UTC)


def build_app(
    config: Path,
    data: Path,
    *,
    instance: str | None,
    fsync: bool,
    floor_endpoint: bool,
    evidence: Path | None = None,
    dashboard: bool = True,
) -> Any:
    """The app `serve` runs; separate so tests and the benchmark build the same thing.

    With `dashboard` the ingest routes and the dashboard share one store: the
    dashboard's aggregates see every acknowledged batch (see `slogate.web.wiring`)."""
    from slogate.config.load import load_config

    loaded = load_config(config)
    settings = loaded.config.ingest
    store = store_from_settings(loaded.config.store, data, instance=instance, fsync=fsync)
    return _with_jobs(
        _build_asgi(loaded, settings, store, data, evidence, dashboard, floor_endpoint),
        loaded,
        data,
    )


def store_from_settings(
    store_settings: Any, data: Path, *, instance: str | None, fsync: bool
) -> Any:
    """The event store `serve` writes to, from the `store:` section (no IO yet);
    `fsync=False` (the benchmark's `--no-fsync`) overrides the section's."""
    from slogate.store.segments import SegmentStore, default_instance

    try:
        return SegmentStore(
            data,
            instance=instance or store_settings.instance or default_instance(),
            clock=_now,
            max_segment_bytes=store_settings.max_segment_bytes,
            fsync=fsync and store_settings.fsync,
            commit_interval=store_settings.commit_interval_ms / 1000,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _with_jobs(asgi: Any, loaded: Any, data: Path) -> Any:
    """Periodic compaction when `store.compaction.interval_minutes` is set."""
    compaction = loaded.config.store.compaction
    if compaction.interval_minutes is None:
        return asgi  # compaction imports pyarrow (and its allocator threads): only when used
    from slogate.ingest.background import BackgroundJobs
    from slogate.store.compact import compact_periodically

    return BackgroundJobs(
        asgi,
        [
            lambda: compact_periodically(
                data,
                interval_s=compaction.interval_minutes * 60,
                compression=compaction.compression,
                row_group_rows=compaction.row_group_rows,
            )
        ],
    )


def _build_asgi(
    loaded: Any,
    settings: Any,
    store: Any,
    data: Path,
    evidence: Path | None,
    dashboard: bool,
    floor_endpoint: bool,
) -> Any:
    from slogate.ingest.app import create_app

    if not dashboard:
        return create_app(
            settings,
            catalog=loaded.config.catalog(),
            store=store,
            clock=_now,
            floor_endpoint=floor_endpoint,
        )
    from slogate.web.wiring import build_serve_app

    def make_ingest(wrapped: Any, registry: Any) -> Any:
        return create_app(
            settings,
            catalog=loaded.config.catalog(),
            store=wrapped,
            clock=_now,
            registry=registry,
            floor_endpoint=floor_endpoint,
        )

    return build_serve_app(
        loaded,
        store=store,
        data_dir=data,
        evidence_dir=evidence if evidence is not None else Path("evidence"),
        clock=_now,
        make_ingest_app=make_ingest,
    )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""

    @app.command("serve")
    def serve(
        config: Path = typer.Option(..., "--config", "-c", help="slogate.yaml"),
        data: Path = typer.Option(..., "--data", "-d", help="Event store directory."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port to listen on."),
        instance: str | None = typer.Option(
            None, "--instance", help="Writer id in segment names (default: the host name)."
        ),
        log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
        access_log: bool = typer.Option(
            False, "--access-log/--no-access-log", help="uvicorn access log (holds client IPs)."
        ),
        no_fsync: bool = typer.Option(
            False, "--no-fsync", help="Skip fsync (benchmarks only: acknowledged is not durable)."
        ),
        floor: bool = typer.Option(
            False, "--bench-floor", hidden=True, help="Add POST /bench/floor (benchmarks)."
        ),
        evidence: Path = typer.Option(
            Path("evidence"), "--evidence", help="Evidence folder the dashboard reads."
        ),
        dashboard: bool = typer.Option(
            True, "--dashboard/--no-dashboard", help="Serve the dashboard at / (default on)."
        ),
    ) -> None:
        """Run the ingest service and the dashboard: POST /api/telemetry/ingest, /v1/logs,
        /metrics, /sdk/slogate.js, and the dashboard pages at /."""
        import uvicorn

        asgi = build_app(
            config,
            data,
            instance=instance,
            fsync=not no_fsync,
            floor_endpoint=floor,
            evidence=evidence,
            dashboard=dashboard,
        )
        typer.echo(f"slogate: serving on http://{host}:{port}/ (dashboard at /)", err=True)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
        uvicorn.run(
            asgi,
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            # Client IPs come from the socket, or from X-Forwarded-For only for the
            # proxies in ingest.trusted_proxies: uvicorn must not rewrite them first.
            proxy_headers=False,
            server_header=False,
            access_log=access_log,
            log_level=log_level,
            timeout_keep_alive=5,
        )
