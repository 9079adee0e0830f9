"""Periodic jobs run for the life of the served app and stop with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from slogate.cli.ingest_cmds import build_app
from slogate.ingest.background import BackgroundJobs


def _hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("hi")


def test_jobs_start_after_startup_and_are_cancelled_on_shutdown() -> None:
    started: list[str] = []
    cancelled: list[str] = []

    async def job() -> None:
        started.append("job")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("job")
            raise

    wrapped = BackgroundJobs(Starlette(routes=[Route("/", _hello)]), [job])
    with TestClient(wrapped) as client:
        assert client.get("/").text == "hi"
        client.portal.call(asyncio.sleep, 0)  # let the task take its first step
        assert started == ["job"]
        assert cancelled == []
    assert cancelled == ["job"]
    assert wrapped.tasks == []


def test_serve_compacts_only_when_an_interval_is_configured(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE_CONFIG

    plain = build_app(
        EXAMPLE_CONFIG, tmp_path / "d1", instance="t", fsync=True, floor_endpoint=False
    )
    assert not isinstance(plain, BackgroundJobs)
    config = tmp_path / "slogate.yaml"
    config.write_text(
        EXAMPLE_CONFIG.read_text() + "\nstore:\n  compaction:\n    interval_minutes: 5\n"
    )
    with_jobs = build_app(config, tmp_path / "d2", instance="t", fsync=True, floor_endpoint=False)
    assert isinstance(with_jobs, BackgroundJobs)
    assert len(with_jobs.factories) == 1
