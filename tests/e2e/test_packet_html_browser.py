"""The HTML packet in real Chromium: renders offline, asks the network for nothing,
and its evidence links point at files that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from slogate.services.readiness import run_packet
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_DIR, require

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_html_packet_renders_offline(tmp_path: Path) -> None:
    from datetime import date

    outcome = run_packet(
        EXAMPLE_CONFIG,
        evidence=EXAMPLE_DIR / "evidence",
        as_of=date(2026, 2, 19),
        out_dir=tmp_path,
        formats=("html",),
    )
    html = outcome.paths["html"]
    require(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            assert page.locator("#verdict").inner_text() == "NO-GO"
            assert page.locator("#score").inner_text() == "68.75"
            assert page.locator("svg").count() == 2
            assert page.locator("#gate-matrix td.PASS").count() == 4
            hrefs = page.eval_on_selector_all(
                "a[href]", "els => els.map(e => e.getAttribute('href'))"
            )
        finally:
            browser.close()
    assert requests == [html.as_uri()]
    assert hrefs
    for href in hrefs:
        assert not href.startswith(("http:", "https:", "/")), href
        assert (tmp_path / href).resolve().exists(), href
