"""Prometheus rules: promtool accepts them, and `promtool test rules` shows that the
page alert fires on an outage and the minimum-events guard keeps a quiet hour quiet."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from slogate.config import load_config, load_config_text
from slogate.exporters.rules import exportable, render_rules
from tests.conftest import EXAMPLE_CONFIG, require

CONFIG = """
version: 1
project: demo
events:
  - {name: preset_ok, family: hydra, origin: server}
  - {name: preset_err, family: hydra, origin: server}
slos:
  - id: preset_success
    pillar: hydra
    name: Preset success
    sli:
      kind: ratio
      good: {events: [preset_ok]}
      bad: {events: [preset_err]}
    target: {op: ">=", value: 0.999, unit: ratio}
"""


def _promtool() -> str:
    path = shutil.which("promtool")
    require(path is not None, "promtool (Debian package prometheus) is not installed")
    assert path is not None
    return path


def test_example_rules_pass_promtool_check(tmp_path: Path) -> None:
    promtool = _promtool()
    rules = tmp_path / "rules.yaml"
    rules.write_text(render_rules(load_config(EXAMPLE_CONFIG).config))
    done = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # 11 SLOs with an event budget, each 3 groups, and one count alert group
    assert re.search(r"SUCCESS: (\d+) rules found", done.stdout)
    doc = yaml.safe_load(rules.read_text())
    assert len(doc["groups"]) == 3 * 11 + 1


def test_every_alert_reads_recorded_rules() -> None:
    text = render_rules(load_config(EXAMPLE_CONFIG).config)
    doc = yaml.safe_load(text)
    recorded = {r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r}
    for g in doc["groups"]:
        for r in g["rules"]:
            for name in re.findall(r"\b(?:slo|slogate):[a-z_:0-9]+", r["expr"]):
                assert name in recorded, (r.get("record") or r.get("alert"), name)


def test_skipped_slos_are_named() -> None:
    _, skipped = exportable(load_config(EXAMPLE_CONFIG).config)
    assert {s for s, _ in skipped} == {
        "hydra_memory_growth",
        "queue_duplicate_lost_commands",
        "auth_permission_incidents",
        "socket_connection_lifecycle",
    }


def _labels(severity: str) -> dict[str, str]:
    return {
        "severity": severity,
        "sloth_severity": severity,
        "slogate_pillar": "hydra",
        "sloth_id": "demo-preset_success",
        "sloth_service": "demo",
        "sloth_slo": "preset_success",
    }


def _annotations(severity: str) -> dict[str, str]:
    return {
        "summary": "demo preset_success SLO error budget burn rate is over expected.",
        "title": f"({severity}) demo preset_success SLO error budget burn rate is too fast.",
    }


def test_promtool_unit_test_outage_pages_and_quiet_hour_does_not(tmp_path: Path) -> None:
    promtool = _promtool()
    (tmp_path / "rules.yaml").write_text(render_rules(load_config_text(CONFIG).config))
    alert = "PresetSuccessErrorBudgetBurn"
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                # 60 good a minute; from minute 60, also 60 errors a minute (50 %)
                "interval": "1m",
                "input_series": [
                    {"series": "preset_ok_total", "values": "0+60x180"},
                    {"series": "preset_err_total", "values": "0x60 60+60x120"},
                ],
                "alert_rule_test": [
                    {"eval_time": "50m", "alertname": alert, "exp_alerts": []},
                    {
                        "eval_time": "70m",
                        "alertname": alert,
                        "exp_alerts": [
                            {"exp_labels": _labels(s), "exp_annotations": _annotations(s)}
                            for s in ("page", "ticket")
                        ],
                    },
                ],
            },
            {
                # a quiet hour: 6 events, one of which fails; the 1h burn rate is huge but
                # the long window has fewer than 30 events
                "interval": "1m",
                "input_series": [
                    {"series": "preset_ok_total", "values": "0+0.1x180"},
                    {"series": "preset_err_total", "values": "0x100 1x80"},
                ],
                "alert_rule_test": [{"eval_time": "103m", "alertname": alert, "exp_alerts": []}],
            },
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    done = subprocess.run(
        [promtool, "test", "rules", "tests.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_test_guard_off_pages_on_quiet_hour(tmp_path: Path) -> None:
    """The same quiet hour pages when the guard is off (so the guard test above can fail)."""
    promtool = _promtool()
    config = CONFIG + "alerting: {min_events: 0}\n"
    (tmp_path / "rules.yaml").write_text(render_rules(load_config_text(config).config))
    alert = "PresetSuccessErrorBudgetBurn"
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": "preset_ok_total", "values": "0+0.1x180"},
                    {"series": "preset_err_total", "values": "0x100 1x80"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "103m",
                        "alertname": alert,
                        "exp_alerts": [
                            {"exp_labels": _labels(s), "exp_annotations": _annotations(s)}
                            for s in ("page", "ticket")
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    done = subprocess.run(
        [promtool, "test", "rules", "tests.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_metric_names_and_queries_are_configuration(tmp_path: Path) -> None:
    promtool = _promtool()
    renamed = CONFIG + "exports: {prometheus: {metrics: {preset_ok: app_preset_ok_count}}}\n"
    text = render_rules(load_config_text(renamed).config)
    assert "app_preset_ok_count[1h]" in text and "preset_ok_total" not in text
    custom = CONFIG + (
        "exports:\n  prometheus:\n    service: shop\n    labels: {team: web}\n    slos:\n"
        "      preset_success:\n"
        '        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))\n'
        "        total_query: sum(rate(http_requests_total[{{.window}}]))\n"
    )
    text = render_rules(load_config_text(custom).config)
    doc = yaml.safe_load(text)
    first = doc["groups"][0]["rules"][0]
    assert first["expr"].startswith('(sum(rate(http_requests_total{code=~"5.."}[5m])))')
    assert first["labels"]["team"] == "web" and first["labels"]["sloth_service"] == "shop"
    (tmp_path / "rules.yaml").write_text(text)
    done = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "rules.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_test_count_alert(tmp_path: Path) -> None:
    promtool = _promtool()
    config = CONFIG.replace(
        "slos:",
        "  - {name: denied, family: auth, origin: server, fields: {path: string}}\nslos:",
    ) + (
        "  - id: permission_incidents\n    pillar: auth\n    name: Permission incidents\n"
        "    sli: {kind: count, events: [denied], where: [{field: path, eq: /admin}]}\n"
        "    target: {op: '==', value: 0, unit: count}\n"
    )
    text = render_rules(load_config_text(config).config)
    assert 'denied_total{path="/admin"}' in text
    (tmp_path / "rules.yaml").write_text(text)
    labels = {
        "severity": "ticket",
        "sloth_service": "demo",
        "sloth_slo": "permission_incidents",
        "slogate_pillar": "auth",
    }
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'denied_total{path="/admin"}', "values": "0x30 1x60"},
                    {"series": 'denied_total{path="/home"}', "values": "0+1x90"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "20m",
                        "alertname": "PermissionIncidentsCountOverTarget",
                        "exp_alerts": [],
                    },
                    {
                        "eval_time": "40m",
                        "alertname": "PermissionIncidentsCountOverTarget",
                        "exp_alerts": [
                            {
                                "exp_labels": labels,
                                "exp_annotations": {
                                    "summary": "Permission incidents: 1 over the last day "
                                    "(target == 0)."
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    done = subprocess.run(
        [promtool, "test", "rules", "tests.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
