"""The dashboard reads the example's real evidence (packets written by `slogate packet`,
scorecards, snapshots) as the readiness tooling writes them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from slogate.config import load_config
from slogate.web import create_dashboard_app
from tests.integration.web.helpers import EXAMPLE_CONFIG, NOW, ROOT, live_server

EVIDENCE = ROOT / "examples" / "readiness-demo" / "evidence"


def _packets() -> list[Path]:
    return sorted((EVIDENCE / "packets").glob("readiness_packet_*.json"))


@pytest.mark.skipif(not _packets(), reason="the example has no packet yet")
def test_web_example_packets_and_scorecards() -> None:
    latest = json.loads(_packets()[-1].read_text())
    loaded = load_config(EXAMPLE_CONFIG)
    weights = {c.id: c.weight for c in loaded.config.rubric.categories}
    totals = []
    for path in sorted((EVIDENCE / "scorecards").glob("*.yaml")):
        cats = yaml.safe_load(path.read_text())["categories"]
        totals.append(round(sum(cats[k]["score"] / 4 * w for k, w in weights.items()), 2))
    app = create_dashboard_app(
        config=loaded, evidence_dir=EVIDENCE, clock=lambda: NOW, run_alerts=False
    )
    with live_server(app) as url, httpx.Client(base_url=url) as c:
        data = c.get("/api/dashboard/overview").json()
        packet_page = c.get(f"/packets/{latest['date']}")
        files = [c.get(f"/packets/{latest['date']}/packet.{ext}").status_code
                 for ext in ("md", "html", "json")]  # fmt: skip
    assert data["decision"]["decision"] == latest["decision"]["verdict"]
    assert data["decision"]["score"] == latest["rubric"]["total"]
    assert data["decision"]["threshold"] == latest["rubric"]["threshold"]["min_total"]
    assert [g["id"] for g in data["gates"]] == [g["id"] for g in latest["gates"]]
    assert [g["status"] for g in data["gates"]] == [g["status"] for g in latest["gates"]]
    history = [h["score"] for h in data["score_history"]]
    for total in totals:
        assert total in history
    assert packet_page.status_code == 200
    assert latest["decision"]["verdict"] in packet_page.text
    assert files == [200, 200, 200]
