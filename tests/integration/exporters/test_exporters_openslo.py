"""OpenSLO v1: export then import gives back an equivalent configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from slogate.config import load_config, load_config_text
from slogate.config.openslo import export_openslo, import_openslo
from slogate.core.slo import Measurability, classify
from slogate.errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG


def test_round_trip_of_the_example() -> None:
    original = load_config(EXAMPLE_CONFIG).config
    text, skipped = export_openslo(original)
    assert {s for s, _ in skipped} == {
        "queue_duplicate_lost_commands",
        "auth_permission_incidents",
        "socket_connection_lifecycle",
    }
    docs = list(yaml.safe_load_all(text))
    assert all(d["apiVersion"] == "openslo/v1" for d in docs)
    kinds = [d["kind"] for d in docs]
    assert kinds.count("SLO") == 12 and kinds.count("Service") == 4  # socket has only a monitor
    imported = load_config_text(import_openslo([("slos.yaml", text)])).config
    exported_ids = {s.id for s in original.slos} - {s for s, _ in skipped}
    before = {s.id: s for s in original.core_slos() if s.id in exported_ids}
    after = {s.id: s for s in imported.core_slos()}
    assert after == before  # same SLI kinds, selectors, filters, targets, soak, pillars
    assert imported.catalog() == original.catalog()
    assert imported.budget == original.budget
    assert imported.project == original.project
    # and classification is unchanged (the blocked SLO stays blocked)
    for slo_id, slo in after.items():
        assert classify(slo, imported.catalog(), client_relay=True) == classify(
            before[slo_id], original.catalog(), client_relay=True
        )
    # exporting the import again gives the same documents (nothing left to skip)
    again, skipped_again = export_openslo(imported)
    assert skipped_again == []
    assert list(yaml.safe_load_all(again)) == docs


def test_calendar_budget_round_trips() -> None:
    text = EXAMPLE_CONFIG.read_text() + "\nbudget: {period: calendar_month}\n"
    cfg = load_config_text(text).config
    imported = load_config_text(import_openslo([("x.yaml", export_openslo(cfg)[0])])).config
    assert imported.budget.period == "calendar_month"


def test_foreign_prometheus_slo_imports_as_blocked(tmp_path: Path) -> None:
    foreign = """
apiVersion: openslo/v1
kind: Service
metadata: {name: checkout}
spec: {description: Checkout}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability, displayName: Checkout availability}
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-availability-sli}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(http_requests_total{code!~"5.."}[5m]))'}
        total:
          metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[5m]))'}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: available, targetPercent: 99.9}]
"""
    text = import_openslo([("checkout.yaml", foreign)])
    cfg = load_config_text(text).config
    (slo,) = cfg.core_slos()
    assert slo.id == "checkout_availability" and slo.pillar == "checkout"
    assert slo.target is not None and slo.target.value == pytest.approx(0.999)
    assert cfg.budget.days == 28
    assert classify(slo, cfg.catalog(), client_relay=True).status is Measurability.BLOCKED
    assert any("http_requests_total" in p.note for p in cfg.planned_events)


def test_not_openslo_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not an OpenSLO openslo/v1 document"):
        import_openslo([("bad.yaml", "apiVersion: v2\nkind: SLO\n")])
