"""The dashboard mounted next to the real ingest app over the real segment store:
events posted to ingest reach the dashboard, hostile rejects stay text, the
dashboard's kill-switch button switches ingest off, and a restart rebuilds the
same aggregates from the store."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from slogate.config import load_config_text
from slogate.config.dashboard import DashboardSettings
from slogate.config.load import LoadedConfig
from slogate.web.wiring import build_serve_app, is_dashboard_path
from tests.integration.web.helpers import (
    EVIDENCE,
    EXAMPLE_CONFIG,
    XSS_IMG,
    XSS_SCRIPT,
    live_server,
    wait_for,
)

ingest_app = pytest.importorskip("slogate.ingest.app")
segments = pytest.importorskip("slogate.store.segments")

ADMIN = "wiring-admin-token-0123456789"
DASH = "wiring-dashboard-token"


def _now() -> datetime:
    return datetime.now(UTC)


def _config() -> LoadedConfig:
    doc = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    doc.setdefault("ingest", {})["admin_token"] = ADMIN
    return load_config_text(yaml.safe_dump(doc), file="wiring.yaml", env={})


def _build(
    loaded: LoadedConfig, data: Path, evidence: Path, settings: DashboardSettings | None = None
) -> Any:
    store = segments.SegmentStore(data, instance="web1", clock=_now)

    def make_ingest(wrapped: Any, registry: Any) -> Any:
        return ingest_app.create_app(
            loaded.config.ingest,
            catalog=loaded.config.catalog(),
            store=wrapped,
            clock=_now,
            registry=registry,
        )

    return build_serve_app(
        loaded,
        store=store,
        data_dir=data,
        evidence_dir=evidence,
        clock=_now,
        make_ingest_app=make_ingest,
        dashboard_token=DASH,
        settings=settings,
    )


def _batch(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        {"event": "hydra_preset_eval_success", "duration_ms": 100 + i, "session_id": f"s-{tag}",
         "event_id": str(uuid.uuid4())}
        for i in range(n)
    ]  # fmt: skip


def test_web_serve_routes_split() -> None:
    assert is_dashboard_path("/") and is_dashboard_path("/ingest")
    assert is_dashboard_path("/pillars/hydra") and is_dashboard_path("/api/dashboard/overview")
    for path in ("/api/telemetry/ingest", "/v1/logs", "/metrics", "/healthz", "/readyz",
                 "/openapi.json", "/sdk/slogate.js", "/api/admin/kill-switch"):  # fmt: skip
        assert not is_dashboard_path(path), path


def test_web_serve_ingest_to_dashboard(tmp_path: Path) -> None:
    loaded = _config()
    data, evidence = tmp_path / "data", tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    app = _build(loaded, data, evidence)
    auth = {"Authorization": f"Bearer {DASH}"}
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/api/dashboard/overview").status_code == 401
        events = _batch(30, "a")
        hostile = [{"event": XSS_SCRIPT, "note": XSS_IMG}]
        r = c.post("/api/telemetry/ingest", json={"events": events + hostile})
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 30 and len(r.json()["rejected"]) == 1

        data_now = wait_for(
            lambda: (
                (d := c.get("/api/dashboard/ingest", headers=auth).json())
                and d["health"]["events_last_5_min"] >= 30
                and d
            ),
        )
        assert data_now["health"]["connected"] is True
        assert sum(n for _, n in data_now["rejects_by_reason"]) >= 1
        page = c.get("/ingest", headers=auth).text
        assert "<script>window.__xss" not in page and "<img src=x" not in page
        pillar = c.get("/api/dashboard/pillars/hydra", headers=auth).json()
        row = next(s for s in pillar["slos"] if s["id"] == "hydra_first_frame_p95")
        assert row["live_samples"] == 30

        # The dashboard button (admin token) switches ingest off, and back on.
        admin = {"Authorization": f"Bearer {ADMIN}"}
        assert (
            c.post("/api/dashboard/kill-switch", json={"on": True}, headers=auth).status_code == 403
        )
        r = c.post("/api/dashboard/kill-switch", json={"on": True}, headers=admin)
        assert r.status_code == 200 and r.json() == {"kill_switch": True}
        assert c.post("/api/telemetry/ingest", json={"events": _batch(1, "b")}).status_code == 503
        assert 'data-kill-switch-state="on"' in c.get("/partials/ingest", headers=auth).text
        assert c.post("/api/dashboard/kill-switch", json={"on": False}, headers=admin).json() == {
            "kill_switch": False
        }
        assert c.post("/api/telemetry/ingest", json={"events": _batch(5, "c")}).status_code == 200
        wait_for(
            lambda: c.get("/api/dashboard/ingest", headers=auth).json()["health"][
                "events_last_5_min"] >= 35
        )  # fmt: skip
        live = app.dashboard.state.dashboard.aggregates.digest()

    # A restart rebuilds the aggregates from the store: the same buckets.
    app2 = _build(loaded, data, evidence)
    with live_server(app2) as url, httpx.Client(base_url=url, headers=auth) as c:
        wait_for(lambda: app2.dashboard.state.dashboard.aggregates.last_rebuild is not None)
        assert app2.dashboard.state.dashboard.aggregates.digest() == live
        assert c.get("/api/dashboard/ingest").json()["dead_letter_count"] >= 1
