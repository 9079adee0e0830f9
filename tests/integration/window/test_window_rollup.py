"""Daily and whole-window results of additive kinds are sums of the 5-minute buckets:
they must equal what the engine computes directly over those ranges."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from slogate.cli.demo_cmds import example_config_path
from slogate.config import load_config, load_config_text
from slogate.core.sli import EVENT_ADDITIVE_KINDS
from slogate.core.slo import SLIKind
from slogate.core.window import WindowSpan
from slogate.demo.bulk import BulkSpec, bulk_days, jsonl_lines
from slogate.engine import open_events
from slogate.services.window import evaluate_window
from tests.integration.window.synth import CONFIG, DAY, START, Scenario, write_logs

EXTRA = """
  - id: hydra_success_of_all
    pillar: hydra
    name: Success over all evaluations
    sli:
      kind: ratio
      good: {events: [hydra_preset_eval_success]}
      total: {events: [hydra_preset_eval_success, hydra_preset_eval_error]}
    target: {op: ">=", value: 0.99, unit: ratio}
  - id: traffic
    pillar: hydra
    name: Traffic
    sli: {kind: monitor, events: [hydra_preset_eval_error, auth_permission_denied]}
"""


def test_rollups_equal_direct_evaluation(tmp_path: Path) -> None:
    t0 = START + DAY + timedelta(hours=23, minutes=10)  # an outage across midnight
    scenario = Scenario(
        days=4,
        outages=[(t0, t0 + timedelta(minutes=100), 0.3)],
        failures_per_day={2: 17},
        proxy_silent_days={3},
        permission_denied_at=[START + timedelta(hours=1), START + 2 * DAY + timedelta(hours=9)],
    )
    logs = write_logs(scenario, tmp_path / "events.jsonl")
    config = (
        CONFIG
        + EXTRA
        + """
maintenance:
  - {start: "2026-03-03T12:00:00Z", end: "2026-03-03T12:07:00Z", reason: deploy}
"""
    )
    loaded = load_config_text(config)
    span = WindowSpan(START.date(), 4)
    now = START + 3 * DAY + timedelta(hours=7)  # the last day is partial
    results = evaluate_window(loaded, [logs], span, now=now)
    cfg = loaded.config
    slos = [s for s in cfg.core_slos() if s.kind in EVENT_ADDITIVE_KINDS]
    assert len(slos) == 5
    until = span.evaluated_until(now)
    with open_events([logs], cfg.catalog()) as table:
        excl = cfg.core_exclusions()
        whole = table.evaluate(slos, since=span.since, until=until, exclusions=excl)
        daily = table.evaluate(slos, bucket=DAY, since=span.since, until=until, exclusions=excl)
    for slo in slos:
        assert results.whole[slo.id] == whole[slo.id][0], slo.id
        assert results.daily[slo.id] == daily[slo.id], slo.id
    assert results.daily["auth_permission_incidents"][0].value == 1.0
    assert len(results.daily["streaming_proxy_413_rate"]) == 3


def test_every_kind_of_the_example_equals_direct_evaluation(tmp_path: Path) -> None:
    # The example's session mix has data for all 15 SLOs and every kind; days
    # and the whole window come from combined buckets or days where exact (see
    # `slogate.core.sli.combine`) and must equal direct evaluation of each range.
    spec = BulkSpec(start=START, events_per_day=30_000, days=3, seed=5)
    logs = tmp_path / "events.jsonl"
    with logs.open("w") as fh:
        for index, rows in bulk_days(spec):
            fh.writelines(jsonl_lines(rows, spec.day_start(index)))
    loaded = load_config(example_config_path())
    span = WindowSpan(START.date(), 3)
    now = START + 2 * DAY + timedelta(hours=20)
    results = evaluate_window(loaded, [logs], span, now=now)
    cfg = loaded.config
    slos = cfg.core_slos()
    assert {s.kind for s in slos} == set(SLIKind)
    until = span.evaluated_until(now)
    with open_events([logs], cfg.catalog()) as table:
        whole = table.evaluate(slos, since=span.since, until=until)
        daily = table.evaluate(slos, bucket=DAY, since=span.since, until=until)
    for slo in slos:
        assert results.whole[slo.id] == whole[slo.id][0], slo.id
        assert results.daily[slo.id] == daily[slo.id], slo.id
    with_data = {s.kind for s in slos if results.whole[s.id].value is not None}
    assert with_data == set(SLIKind), set(SLIKind) - with_data
