"""Live burn-rate alerts posted to a local webhook receiver (real HTTP both ways)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from slogate.config import load_config
from slogate.config.dashboard import DashboardSettings, WebhookModel
from slogate.core.alerts import AlertPolicy
from slogate.web import SLOAggregates, create_dashboard_app
from slogate.web.alerting import BurnRateAlerter
from tests.integration.web.helpers import EXAMPLE_CONFIG, NOW, demo_events, live_server, wait_for


class Receiver:
    """A webhook endpoint that records bodies; `/flaky` fails its first two calls."""

    def __init__(self) -> None:
        self.bodies: dict[str, list[dict[str, Any]]] = {"json": [], "slack": [], "flaky": []}
        self.flaky_calls = 0
        self.lock = threading.Lock()

        async def hook(request: Request) -> JSONResponse:
            kind = request.path_params["kind"]
            body = await request.json()
            with self.lock:
                if kind == "flaky":
                    self.flaky_calls += 1
                    if self.flaky_calls <= 2:
                        return JSONResponse({"error": "try later"}, 503)
                self.bodies[kind].append(body)
            return JSONResponse({"ok": True})

        self.app = Starlette(routes=[Route("/hook/{kind}", hook, methods=["POST"])])


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Receiver]]:
    r = Receiver()
    with live_server(r.app) as url:
        yield url, r


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _outage_events(start: datetime, end: datetime, outage_from: datetime) -> list[dict[str, Any]]:
    return list(
        demo_events(
            start, end, per_minute=30, seed=5, error_rate=0.0, outage=(outage_from, end, 0.5)
        )
    )


def test_web_alerts_fire_and_resolve_through_webhooks(receiver, tmp_path: Path) -> None:
    url, rec = receiver
    clock = Clock(NOW)
    settings = DashboardSettings(
        alert_eval_seconds=1,
        webhooks=[
            WebhookModel(url=f"{url}/hook/json", format="json", backoff_seconds=0.05),
            WebhookModel(url=f"{url}/hook/slack", format="slack", backoff_seconds=0.05),
            WebhookModel(url=f"{url}/hook/flaky", format="json", retries=3, backoff_seconds=0.05),
        ],
        public_url="http://dashboard.example/",
    )
    app = create_dashboard_app(
        config=load_config(EXAMPLE_CONFIG),
        evidence_dir=tmp_path,
        data_dir=None,
        clock=clock,
        settings=settings,
    )
    agg = app.state.dashboard.aggregates
    agg.observe(_outage_events(NOW - timedelta(hours=3), NOW, NOW - timedelta(minutes=70)))

    with live_server(app) as dash, httpx.Client(base_url=dash) as client:

        def fired(kind: str) -> list[dict[str, Any]]:
            return [
                b
                for b in rec.bodies[kind]
                if b.get("status") == "firing" and b.get("slo") == "hydra_preset_load_success"
            ]

        wait_for(lambda: fired("json") and rec.bodies["slack"] and fired("flaky"), timeout=20)
        body = next(b for b in fired("json") if b["severity"] == "page")
        assert body["pillar"] == "hydra" and "1h/5m" in body["windows"]
        assert body["alert"] == "hydra_preset_load_success:page"
        assert body["burn_rate"]["short"] > 14.4
        assert body["dashboard_url"] == "http://dashboard.example/"
        assert rec.flaky_calls >= 3  # two 503s, then delivered
        slack = rec.bodies["slack"][0]
        assert "FIRING" in slack["text"] and slack["blocks"][0]["type"] == "section"

        overview = client.get("/api/dashboard/overview").json()
        firing = {(a["slo"], a["alert"]) for a in overview["alerts"]["firing"]}
        assert ("hydra_preset_load_success", "page") in firing
        assert "hydra_preset_load_success" in {r["id"] for r in overview["slos_at_risk"]}
        assert "burn-rate alert firing" in client.get("/").text or "FIRING" in client.get("/").text

        # Two clean hours later the page alert resolves, and the resolution is posted.
        later = NOW + timedelta(hours=2)
        agg.observe(list(demo_events(NOW, later, per_minute=30, seed=6, error_rate=0.0)))
        clock.now = later

        def resolved() -> list[dict[str, Any]]:
            return [
                b
                for b in rec.bodies["json"]
                if b["status"] == "resolved"
                and b["slo"] == "hydra_preset_load_success"
                and b["severity"] == "page"
            ]

        wait_for(resolved, timeout=20)
        assert resolved()[0]["resolved_at"] is not None
        recent = client.get("/api/dashboard/alerts").json()["recent"]
        assert {"firing", "resolved"} <= {e["status"] for e in recent}
        assert any(e["deliveries"].endswith("delivered") for e in recent)


def test_web_quiet_hour_with_one_failure_does_not_page() -> None:
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    agg = SLOAggregates(slos)
    t = NOW - timedelta(minutes=3)
    agg.observe(
        [
            {"ts": t.isoformat(), "event": "hydra_preset_eval_error", "error": "x"},
            {"ts": t.isoformat(), "event": "hydra_preset_eval_success", "duration_ms": 10},
        ]
    )
    alerter = BurnRateAlerter(agg, slos, AlertPolicy(min_events=10), clock=lambda: NOW)
    assert alerter.evaluate(NOW) == []
    state = next(
        s
        for s in alerter.state_rows()
        if s["slo_id"] == "hydra_preset_load_success" and s["severity"] == "page"
    )
    assert state["burn_long"] == pytest.approx(100.0)  # 50 % bad / 0.5 % allowed
    assert state["firing"] is False


def test_web_webhook_gives_up_after_retries(receiver) -> None:
    from slogate.web.alerting import AlertEvent, post_with_retries

    url, _ = receiver
    event = AlertEvent("firing", "s", "S", "p", "page", ("1h/5m",), 14.4, 20.0, 30.0, NOW, NOW)
    hook = WebhookModel(url=f"{url}/nope", retries=2, backoff_seconds=0.01)

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            return await post_with_retries(client, hook, event, None)

    outcome = asyncio.run(run())
    # 404 is not retried: a client error will not fix itself.
    assert outcome == {"url": hook.url, "ok": False, "attempts": 1, "error": "HTTP 404"}
    dead = WebhookModel(url="http://127.0.0.1:9/hook", retries=2, backoff_seconds=0.01)

    async def run_dead() -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            return await post_with_retries(client, dead, event, None)

    outcome = asyncio.run(run_dead())
    assert outcome["ok"] is False and outcome["attempts"] == 3
    assert outcome["error"].startswith("network error")


def _page_alerter(agg: SLOAggregates, slos: list, path: Path) -> BurnRateAlerter:
    return BurnRateAlerter(agg, slos, AlertPolicy(), clock=lambda: NOW, state_path=path)


def test_web_firing_alerts_survive_a_restart_without_paging_again(tmp_path: Path) -> None:
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    agg = SLOAggregates(slos)
    agg.observe(_outage_events(NOW - timedelta(hours=3), NOW, NOW - timedelta(minutes=70)))
    path = tmp_path / "data" / ".slogate" / "alerts.json"

    first = _page_alerter(agg, slos, path)
    fired = first.evaluate(NOW)
    assert any(e.status == "firing" and e.slo_id == "hydra_preset_load_success" for e in fired)
    since = {(s.slo_id, s.severity): s.since for s in first.active()}
    assert path.is_file()

    # A new process over the same aggregates: restored, nothing posted again.
    second = _page_alerter(agg, slos, path)
    assert second.restore() == len(since)
    assert {(s.slo_id, s.severity): s.since for s in second.active()} == since
    assert second.evaluate(NOW) == []

    # A restart after the outage ended: the resolution is still sent.
    later = NOW + timedelta(hours=80)
    healthy = SLOAggregates(slos)
    healthy.observe(
        list(demo_events(later - timedelta(hours=3), later, per_minute=30, seed=6, error_rate=0.0))
    )
    third = BurnRateAlerter(healthy, slos, AlertPolicy(), clock=lambda: later, state_path=path)
    assert third.restore() == len(since)
    events = [e for e in third.evaluate(later) if (e.slo_id, e.severity) in since]
    assert all(e.status == "resolved" for e in events)  # nothing restored is paged twice
    resolved = {(e.slo_id, e.severity) for e in events}
    still = {(s.slo_id, s.severity) for s in third.active()} & set(since)
    assert ("hydra_preset_load_success", "page") in resolved
    assert resolved | still == set(since) and not resolved & still
    saved = json.loads(path.read_text())["firing"]
    assert {(r["slo_id"], r["severity"]) for r in saved} == {
        (s.slo_id, s.severity) for s in third.active()
    }


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"version": 99, "firing": []}',
        '{"version": 1, "firing": [{"slo_id": "gone", "severity": "page", "since": "x"}]}',
        '{"version": 1, "firing": [{"slo_id": "hydra_preset_load_success"}]}',
    ],
)
def test_web_unreadable_or_stale_alert_state_means_a_clean_start(
    tmp_path: Path, content: str
) -> None:
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    path = tmp_path / "alerts.json"
    path.write_text(content)
    alerter = _page_alerter(SLOAggregates(slos), slos, path)
    assert alerter.restore() == 0
    assert alerter.active() == []


def test_web_dashboard_keeps_alert_state_under_the_data_folder(tmp_path: Path) -> None:
    app = create_dashboard_app(
        config=load_config(EXAMPLE_CONFIG),
        evidence_dir=tmp_path / "evidence",
        data_dir=tmp_path / "data",
        clock=Clock(NOW),
        rebuild_on_start=False,
        run_alerts=False,
    )
    alerter = app.state.dashboard.alerter
    assert alerter.state_path == tmp_path / "data" / ".slogate" / "alerts.json"


def test_web_recent_transitions_survive_a_restart_without_webhook_urls(
    receiver, tmp_path: Path
) -> None:
    url, _ = receiver
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    agg = SLOAggregates(slos)
    agg.observe(_outage_events(NOW - timedelta(hours=3), NOW, NOW - timedelta(minutes=70)))
    path = tmp_path / "alerts.json"
    secret_url = f"{url}/hook/json?token=s3cr3t"
    hook = WebhookModel(url=secret_url, format="json", backoff_seconds=0.05)
    first = BurnRateAlerter(
        agg, slos, AlertPolicy(), webhooks=[hook], clock=lambda: NOW, state_path=path
    )
    posted = asyncio.run(first.run_once())
    assert posted and all(e.deliveries and e.deliveries[0]["ok"] for e in posted)

    text = path.read_text()
    assert "s3cr3t" not in text and url not in text  # outcomes only, never the URL
    second = _page_alerter(agg, slos, path)
    second.restore()
    assert second.recent() == first.recent()  # same transitions, newest first
    assert [e.deliveries for e in second.recent()] == [
        [{"ok": True, "attempts": 1, "status": 200}] for _ in posted
    ]


def test_web_damaged_recent_transitions_are_dropped_alone(tmp_path: Path) -> None:
    slos = load_config(EXAMPLE_CONFIG).config.core_slos()
    good = {
        "status": "resolved", "slo_id": "hydra_preset_load_success", "slo_name": "Preset load",
        "pillar": "hydra", "severity": "page", "windows": [], "factor": None,
        "burn_long": 0.5, "burn_short": 0.1, "started_at": "2026-11-20T10:00:00+00:00",
        "at": "2026-11-20T11:00:00+00:00", "deliveries": [],
    }  # fmt: skip
    rows = [
        good,
        {**good, "at": "yesterday"},
        {**good, "status": "pending"},
        {**good, "slo_id": "gone"},
        {**good, "burn_long": "fast"},
        "not a row",
    ]
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps({"version": 1, "firing": [], "recent": rows}))
    alerter = _page_alerter(SLOAggregates(slos), slos, path)
    assert alerter.restore() == 0
    (kept,) = alerter.recent()
    assert kept.slo_id == "hydra_preset_load_success" and kept.burn_long == 0.5
