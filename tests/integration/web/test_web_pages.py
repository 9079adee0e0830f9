"""Dashboard pages and JSON over a real uvicorn server on loopback."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from slogate.config import load_config
from slogate.web import IngestStatus, RateLimitedClient, create_dashboard_app
from tests.integration.web.helpers import (
    EVIDENCE,
    EXAMPLE_CONFIG,
    NOW,
    XSS_IMG,
    XSS_JS,
    XSS_SCRIPT,
    MemoryKillSwitch,
    live_server,
    write_dead_letters,
    xss_dead_letters,
)

TOKEN = "dash-token-123"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def assert_no_active_content(html: str) -> None:
    """Every <script> loads a same-origin file; no inline script, no event handler
    attribute, no javascript: URL, nothing from a CDN."""
    parser = _Tags()
    parser.feed(html)
    assert parser.script_text == []
    for tag, attrs in parser.tags:
        names = dict(attrs)
        assert not [a for a in names if a.startswith("on")], (tag, attrs)
        if tag == "script":
            assert (names.get("src") or "").startswith("/static/"), attrs
        for key in ("href", "src", "action"):
            value = (names.get(key) or "").strip().lower()
            assert not value.startswith(("javascript:", "http:", "https:", "//")), (tag, attrs)


ADMIN = "admin-token-456"
PAGES = ["/", "/pillars/hydra", "/pillars/streaming", "/packets", "/packets/2026-02-19", "/ingest"]
APIS = [
    "/api/dashboard/overview",
    "/api/dashboard/pillars/streaming",
    "/api/dashboard/charts/pillars/streaming",
    "/api/dashboard/charts/overview",
    "/api/dashboard/packets",
    "/api/dashboard/ingest",
    "/api/dashboard/alerts",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, MemoryKillSwitch]]:
    tmp = tmp_path_factory.mktemp("web")
    evidence = tmp / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    data = tmp / "data"
    write_dead_letters(data, xss_dead_letters())
    kill = MemoryKillSwitch()

    def status() -> IngestStatus:
        return IngestStatus(
            rejects_by_reason={"unknown_event " + XSS_SCRIPT: 2, "too_deep": 1},
            rate_limited=[RateLimitedClient("anon:" + XSS_IMG, 4)],
            kill_switch=kill.on,
            kill_switch_source="admin",
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
    )
    with live_server(app) as url:
        yield url, kill


def _client(url: str, token: str | None = TOKEN) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


@pytest.mark.parametrize("path", PAGES)
def test_web_pages_answer_with_token_and_csp(server, path: str) -> None:
    url, _ = server
    with _client(url) as c:
        r = c.get(path)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and script_src.group(1).strip() == "'self'"
    assert "unsafe-inline" not in script_src.group(1)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert_no_active_content(r.text)


@pytest.mark.parametrize("path", APIS)
def test_web_json_endpoints(server, path: str) -> None:
    url, _ = server
    with _client(url) as c:
        r = c.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert isinstance(r.json(), dict)


@pytest.mark.parametrize("path", PAGES + APIS + ["/partials/overview"])
def test_web_without_token_is_401(server, path: str) -> None:
    url, _ = server
    with _client(url, token=None) as c:
        r = c.get(path, headers={"Accept": "text/html"})
        wrong = c.get(path, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert "www-authenticate" in r.headers
    assert wrong.status_code == 401
    assert "68.75" not in r.text  # nothing from the evidence leaks


def test_web_login_sets_cookie_and_query_token_redirects(server) -> None:
    url, _ = server
    with httpx.Client(base_url=url, follow_redirects=False) as c:
        bad = c.post(
            "/login",
            content="token=wrong&next=/ingest",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert bad.status_code == 401
        good = c.post(
            "/login",
            content=f"token={TOKEN}&next=//evil.example/",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/"  # no open redirect
        assert TOKEN not in good.headers["set-cookie"]
        assert "httponly" in good.headers["set-cookie"].lower()
        assert c.get("/packets").status_code == 200  # cookie now authorises
    with httpx.Client(base_url=url, follow_redirects=False) as c:
        r = c.get(f"/pillars/hydra?token={TOKEN}")
        assert r.status_code == 303
        assert r.headers["location"] == "/pillars/hydra"
        assert c.get("/pillars/hydra").status_code == 200


def test_web_pillar_page_shows_latest_snapshot_values(server) -> None:
    url, _ = server
    snap = json.loads((EVIDENCE / "snapshots" / "slo_snapshot_2026_02_19.json").read_text())
    expected = {s["id"]: s["value"] for s in snap["slos"] if s["pillar"] == "streaming"}
    with _client(url) as c:
        html = c.get("/pillars/streaming").text
        api = c.get("/api/dashboard/pillars/streaming").json()
    shown = dict(re.findall(r'data-slo-id="([a-z0-9_]+)">.*?data-slo-value="([^"]*)"', html, re.S))
    assert set(shown) == set(expected)
    for slo_id, value in expected.items():
        assert float(shown[slo_id]) == pytest.approx(value)
    assert {r["id"]: r["value"] for r in api["slos"]} == expected
    # A missed SLO says so in words, not only in colour.
    assert "MISSED" in html and "MET" in html


def test_web_overview_reads_decision_gates_incidents(server) -> None:
    url, _ = server
    with _client(url) as c:
        data = c.get("/api/dashboard/overview").json()
        charts = c.get("/api/dashboard/charts/overview").json()
    assert data["decision"]["decision"] == "NO-GO"
    assert data["decision"]["score"] == 68.75
    assert [g["id"] for g in data["gates"]] == [f"G{i}" for i in range(1, 8)]
    assert [h["score"] for h in data["score_history"]] == [46.25, 55.0, 68.75]
    assert any(i["open"] and i["slo"] == "streaming_video_init_success" for i in data["incidents"])
    at_risk = {r["id"] for r in data["slos_at_risk"]}
    assert "streaming_first_frame_p95" in at_risk  # 2980 ms against <= 3000: under 1 % margin
    assert charts["charts"]["score"]["data"][0]["y"] == [46.25, 55.0, 68.75]


def test_web_values_from_events_are_escaped(server) -> None:
    url, _ = server
    with _client(url) as c:
        pages = {
            p: c.get(p).text for p in ("/", "/ingest", "/packets/2026-02-19", "/partials/ingest")
        }
    for path, html in pages.items():
        assert_no_active_content(html)
        assert "<script>window.__xss" not in html, path
        assert "<img src=x" not in html, path
        assert 'href="javascript:' not in html.lower(), path
    ingest = pages["/ingest"]
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in ingest  # dead letter event name
    assert "&lt;img src=x onerror=" in ingest  # rate-limited client and dead letters
    assert XSS_JS in ingest  # javascript: shown as text, never as a link
    assert "&lt;script&gt;" in pages["/packets/2026-02-19"]  # packet gate evidence


def test_web_packet_files_and_traversal(server) -> None:
    url, _ = server
    with _client(url) as c:
        md = c.get("/packets/2026-02-19/packet.md")
        html = c.get("/packets/2026-02-19/packet.html")
        js = c.get("/packets/2026-02-19/packet.json")
        missing = c.get("/packets/2026-02-12/packet.md")
        evil = [
            c.get(p).status_code
            for p in (
                "/packets/..%2F..%2Fetc/packet.json",
                "/packets/2026-02-19/packet.yaml",
                "/packets/2026-13-40",
                "/static/../app.py",
            )
        ]
    assert md.status_code == 200 and "NO-GO" in md.text
    assert md.headers["content-type"].startswith("text/markdown")
    assert html.status_code == 200 and "sandbox" in html.headers["content-security-policy"]
    assert js.json()["date"] == "2026-02-19"
    assert missing.status_code == 404
    assert all(code == 404 for code in evil), evil


def test_web_plotly_is_served_locally(server) -> None:
    url, _ = server
    with _client(url) as c:
        r = c.get("/static/vendor/plotly.min.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert len(r.content) > 1_000_000


def test_web_kill_switch_needs_admin_token(server) -> None:
    url, kill = server
    kill.on = False
    with _client(url) as c:
        assert c.post("/api/dashboard/kill-switch", json={"on": True}).status_code == 403
        assert kill.on is False
        with _client(url, token=ADMIN) as admin:
            assert admin.post("/api/dashboard/kill-switch", json={"on": "yes"}).status_code == 400
            r = admin.post("/api/dashboard/kill-switch", json={"on": True})
            assert r.status_code == 200 and r.json() == {"kill_switch": True}
            assert kill.on is True and kill.actors[-1] == "dashboard-admin"
            assert 'data-kill-switch-state="on"' in c.get("/partials/ingest").text
            assert admin.post("/api/dashboard/kill-switch", json={"on": False}).json() == {
                "kill_switch": False
            }
    assert kill.on is False


def test_web_open_when_no_token_configured(tmp_path: Path) -> None:
    app = create_dashboard_app(
        config=load_config(EXAMPLE_CONFIG),
        evidence_dir=tmp_path,
        clock=lambda: NOW,
        run_alerts=False,
    )
    with live_server(app) as url, httpx.Client(base_url=url) as c:
        r = c.get("/")
        assert r.status_code == 200
        assert "No readiness packet yet" in r.text
        assert c.post("/api/dashboard/kill-switch", json={"on": True}).status_code == 403
