"""The dashboard in real Chromium (Playwright): every page loads clean, charts draw
data, values match the evidence, hostile event values stay text, live parts
refresh without a reload. Screenshots of every page go to build/screenshots/."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from slogate.config import load_config
from slogate.config.dashboard import DashboardSettings
from slogate.web import IngestStatus, RateLimitedClient, create_dashboard_app
from tests.conftest import require
from tests.integration.web.helpers import (
    EVIDENCE,
    EXAMPLE_CONFIG,
    NOW,
    ROOT,
    XSS_IMG,
    XSS_JS,
    XSS_SCRIPT,
    MemoryKillSwitch,
    demo_events,
    live_server,
    wait_for,
    write_dead_letters,
    write_store,
    xss_dead_letters,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "browser-dash-token"
ADMIN = "browser-admin-token"
SHOTS = ROOT / "build" / "screenshots"
PAGES = {
    "overview": "/",
    "pillar-hydra": "/pillars/hydra",
    "pillar-queue": "/pillars/queue",
    "pillar-auth": "/pillars/auth",
    "pillar-streaming": "/pillars/streaming",
    "pillar-socket": "/pillars/socket",
    "packets": "/packets",
    "packet-2026-02-19": "/packets/2026-02-19",
    "ingest": "/ingest",
}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser")
    evidence = tmp / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    data = tmp / "data"
    write_store(
        data,
        list(
            demo_events(
                NOW - timedelta(days=2),
                NOW - timedelta(minutes=10),
                per_minute=4,
                seed=3,
                error_rate=0.004,
            )
        ),
    )
    write_dead_letters(data, xss_dead_letters())
    kill = MemoryKillSwitch()

    def status() -> IngestStatus:
        return IngestStatus(
            rejects_by_reason={"unknown_event " + XSS_SCRIPT: 2},
            rate_limited=[RateLimitedClient("anon:" + XSS_IMG, 3)],
            kill_switch=kill.on,
            kill_switch_source="dashboard" if kill.on else None,
        )

    app = create_dashboard_app(
        config=load_config(EXAMPLE_CONFIG),
        evidence_dir=evidence,
        data_dir=data,
        clock=lambda: NOW,
        dashboard_token=TOKEN,
        admin_token=ADMIN,
        ingest_status=status,
        kill_switch=kill,
        settings=DashboardSettings(refresh_seconds=1, alert_eval_seconds=1),
    )
    with live_server(app) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            wait_for(
                lambda: c.get("/api/dashboard/overview").json()["ingest"]["aggregates"]["events"],
                timeout=60,
            )
        yield {"url": url, "app": app, "kill": kill}


@pytest.fixture(scope="module")
def browser():
    require(os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """Console errors, failed requests and error answers seen by one page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )


def _context(browser: Any, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return browser.new_context(extra_http_headers=headers, viewport={"width": 1280, "height": 900})


def _drawn(page: Any) -> dict[str, int]:
    """Per chart: how many SVG paths with a non-trivial `d` its traces drew."""
    return page.evaluate(
        """() => {
          const out = {};
          document.querySelectorAll('[data-chart]').forEach(el => {
            const paths = el.querySelectorAll('.scatterlayer .trace path');
            let n = 0;
            paths.forEach(p => { const d = p.getAttribute('d') || '';
                                 if (d.length > 4 && d !== 'M0,0Z') { n += 1; } });
            out[el.getAttribute('data-chart')] = n;
          });
          return out;
        }"""
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_dashboard_page_loads_clean_and_draws(dashboard, browser, name: str) -> None:
    context = _context(browser)
    page = context.new_page()
    watch = Watch(page)
    response = page.goto(dashboard["url"] + PAGES[name])
    assert response is not None and response.status == 200
    page.wait_for_function("() => document.body.hasAttribute('data-refreshed-at')", timeout=30000)
    charts = page.locator("[data-chart]")
    if charts.count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')].every("
            "el => el.querySelector('.main-svg'))",
            timeout=30000,
        )
        drawn = _drawn(page)
        with_data = page.evaluate(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".filter(el => +el.getAttribute('data-points') > 0).map(el => el.dataset.chart)"
        )
        assert with_data, f"no chart on {name} has data"
        for key in with_data:
            assert drawn[key] > 0, f"{name}: chart {key} has data but drew no path"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate("() => window.__xss") is None
    assert watch.errors == []
    context.close()


def test_dashboard_pillar_value_equals_snapshot(dashboard, browser) -> None:
    snap = json.loads((EVIDENCE / "snapshots" / "slo_snapshot_2026_02_19.json").read_text())
    context = _context(browser)
    page = context.new_page()
    page.goto(dashboard["url"] + "/pillars/hydra")
    for row in (s for s in snap["slos"] if s["pillar"] == "hydra" and s["value"] is not None):
        cell = page.locator(f'tr[data-slo-id="{row["id"]}"] td.value')
        assert float(cell.get_attribute("data-slo-value")) == pytest.approx(row["value"])
        if row["target"]["unit"] == "ratio":
            assert f"{row['value'] * 100:.3f} %" in cell.inner_text()
    context.close()


def test_dashboard_hostile_values_render_as_text(dashboard, browser) -> None:
    context = _context(browser)
    page = context.new_page()
    watch = Watch(page)
    page.goto(dashboard["url"] + "/ingest")
    page.evaluate("() => { window.__marker = 'no-reload'; }")
    # Let a live refresh replace the fragment (the payloads pass through innerHTML).
    before = page.evaluate("() => document.body.getAttribute('data-refreshed-at')")
    page.wait_for_function(
        f"() => document.body.getAttribute('data-refreshed-at') !== {json.dumps(before)}",
        timeout=15000,
    )
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => window.__marker") == "no-reload"
    assert page.locator("th.event-name", has_text=XSS_SCRIPT).count() >= 1
    assert page.get_by_text(XSS_IMG, exact=False).count() >= 1
    assert page.get_by_text(XSS_JS, exact=False).count() >= 1
    assert page.locator("main img").count() == 0
    assert page.locator("main script").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.goto(dashboard["url"] + "/packets/2026-02-19")
    assert page.get_by_text("<script>window.__xss=1</script>", exact=False).count() >= 1
    assert page.evaluate("() => window.__xss") is None
    assert watch.errors == []
    context.close()


def test_dashboard_without_token_is_401(dashboard, browser) -> None:
    context = _context(browser, token=None)
    page = context.new_page()
    for path in PAGES.values():
        response = page.goto(dashboard["url"] + path)
        assert response is not None and response.status == 401
        assert "68.75" not in page.content()
    # The login form works from the keyboard and lands on the page asked for.
    page.goto(dashboard["url"] + "/ingest")
    page.keyboard.press("Tab")
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_url(dashboard["url"] + "/ingest")
    assert page.locator("h1").inner_text() == "Ingest"
    context.close()


def test_dashboard_new_events_show_up_without_reload(dashboard, browser) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(dashboard["url"] + "/ingest")
    page.evaluate("() => { window.__marker = 'same-page'; }")
    cell = page.locator("dd[data-events-5m]")
    start = int(cell.inner_text())
    # What the ingest path does with each accepted batch.
    batch = list(
        demo_events(NOW - timedelta(minutes=3), NOW - timedelta(minutes=2), per_minute=25, seed=99)
    )
    dashboard["app"].state.dashboard.aggregates.observe(batch)
    page.wait_for_function(
        f"() => +document.querySelector('dd[data-events-5m]').innerText >= {start + len(batch)}",
        timeout=5000,  # refresh interval is 1 s
    )
    assert page.evaluate("() => window.__marker") == "same-page"
    context.close()


def test_dashboard_kill_switch_button_and_keyboard(dashboard, browser) -> None:
    kill = dashboard["kill"]
    kill.on = False
    # Signed in by cookie, as a person would be (a context-wide Authorization
    # header would override the admin token the page sends).
    context = _context(browser, token=None)
    page = context.new_page()
    watch = Watch(page)
    page.goto(dashboard["url"] + f"/ingest?token={TOKEN}")
    assert page.url == dashboard["url"] + "/ingest"
    # Keyboard: the first Tab reaches the skip link, Enter moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.locator("#admin-token").fill("wrong-token")
    page.get_by_role("button", name="Turn kill switch ON (stop ingest)").click()
    page.wait_for_function(
        "() => document.querySelector('.ks-result').innerText.startsWith('Refused')"
    )
    assert kill.on is False
    watch.errors.clear()  # the refused 403 above was expected
    page.locator("#admin-token").fill(ADMIN)
    page.locator("#admin-token").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the ON button, by keyboard
    page.wait_for_function(
        "() => document.querySelector('[data-kill-switch-state]')"
        ".getAttribute('data-kill-switch-state') === 'on'",
        timeout=10000,
    )
    assert kill.on is True
    assert "ON" in page.locator(".ks-result").inner_text()
    page.get_by_role("button", name="Turn kill switch OFF (resume ingest)").click()
    wait_for(lambda: kill.on is False)
    assert watch.errors == []
    context.close()


def test_dashboard_ingest_page_follows_real_ingest(browser, tmp_path: Path) -> None:
    """Events posted to the real ingest endpoint appear on the ingest page within
    the refresh interval, without a reload (dashboard and ingest in one server)."""
    pytest.importorskip("slogate.ingest.app")
    from tests.integration.web.test_web_serve_wiring import DASH, _build, _config

    loaded = _config()
    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    app = _build(loaded, tmp_path / "data", evidence, DashboardSettings(refresh_seconds=1))
    with live_server(app) as url:
        context = _context(browser, token=DASH)
        page = context.new_page()
        watch = Watch(page)
        page.goto(url + "/ingest")
        page.evaluate("() => { window.__marker = 'same-page'; }")
        assert page.locator("dd[data-events-5m]").inner_text().strip() == "0"
        events = [{"event": "auth_login_success", "session_id": f"s{i}"} for i in range(12)]
        r = httpx.post(url + "/api/telemetry/ingest", json={"events": events})
        assert r.status_code == 200 and r.json()["accepted"] == 12
        refresh_ms = int(page.locator("body").get_attribute("data-refresh-ms"))
        page.wait_for_function(
            "() => +document.querySelector('dd[data-events-5m]').innerText >= 12",
            timeout=refresh_ms * 3 + 2000,
        )
        assert page.evaluate("() => window.__marker") == "same-page"
        assert watch.errors == []
        context.close()
