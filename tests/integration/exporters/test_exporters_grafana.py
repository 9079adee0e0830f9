"""The Grafana dashboard: a row per pillar, and every query names a rule that exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from slogate.config import load_config
from slogate.exporters.grafana import dashboard
from slogate.exporters.rules import exportable, render_rules
from tests.conftest import EXAMPLE_CONFIG

METRIC = re.compile(r"\b(?:slo|slogate|sloth):[a-z_:0-9]+|\bsloth_slo_info\b")


def test_rows_per_pillar_and_queries_name_existing_rules(tmp_path: Path) -> None:
    cfg = load_config(EXAMPLE_CONFIG).config
    path = tmp_path / "dashboard.json"
    path.write_text(json.dumps(dashboard(cfg)))
    board = json.loads(path.read_text())  # loads as plain JSON
    rules = yaml.safe_load(render_rules(cfg))
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    rows = [p for p in board["panels"] if p["type"] == "row"]
    slos, _ = exportable(cfg)
    pillars = list(dict.fromkeys(p.slo.pillar for p in slos))
    assert [r["title"].split(" ")[0] for r in rows] == pillars
    graphs = [p for p in board["panels"] if p["type"] != "row"]
    assert len(graphs) == 3 * len(pillars)
    titles = {p["title"] for p in graphs}
    assert titles == {"SLI (5m) and objective", "Error budget remaining (period)", "Burn rate (5m)"}
    names_seen = set()
    for panel in graphs:
        assert panel["targets"]
        for target in panel["targets"]:
            names = METRIC.findall(target["expr"])
            assert names, target["expr"]
            for name in names:
                assert name in recorded, (panel["title"], name)
                names_seen.add(name)
            # the pillar label the selector filters on is on every recorded series
            pillar = re.search(r'slogate_pillar="([^"]+)"', target["expr"]).group(1)
            assert pillar in pillars
    assert names_seen == {
        "slo:sli_error:ratio_rate5m",
        "slo:objective:ratio",
        "slo:period_error_budget_remaining:ratio",
        "slo:current_burn_rate:ratio",
    }
    # panels do not overlap: distinct (x, y) positions
    spots = [(p["gridPos"]["x"], p["gridPos"]["y"]) for p in board["panels"]]
    assert len(spots) == len(set(spots))


def test_recorded_series_carry_the_pillar_label() -> None:
    cfg = load_config(EXAMPLE_CONFIG).config
    rules = yaml.safe_load(render_rules(cfg))
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                assert rule["labels"]["slogate_pillar"], rule["record"]
