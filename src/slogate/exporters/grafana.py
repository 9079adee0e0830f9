"""A Grafana dashboard over the Sloth-style recording rules of `rules.py`.

One row per pillar; in each row three time series, one line per SLO of the
pillar: the SLI (1 - error ratio over 5 minutes, with the objective), the
error budget remaining over the period, and the current burn rate (1x spends
exactly the budget in the period). Every query reads only recorded series, so
the dashboard is cheap however many events there are.
"""

from __future__ import annotations

from typing import Any

from slogate.exporters.rules import exportable

_H = 8


def _target(expr: str, legend: str, ref: str) -> dict[str, Any]:
    return {
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "expr": expr,
        "legendFormat": legend,
        "refId": ref,
    }


def _panel(
    pid: int, title: str, targets: list[dict[str, Any]], x: int, y: int, unit: str, desc: str
) -> dict[str, Any]:
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": _H, "w": 8, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"}},
        "targets": targets,
    }


def dashboard(config: Any) -> dict[str, Any]:
    slos, _ = exportable(config)
    service = config.exports.prometheus.service or config.project
    title = config.exports.grafana.title or f"{config.project} SLOs"
    pillars: dict[str, list[str]] = {}
    for p in slos:
        pillars.setdefault(p.slo.pillar, []).append(p.slo.id)
    panels: list[dict[str, Any]] = []
    pid = 1
    y = 0
    for pillar, ids in pillars.items():
        panels.append(
            {
                "id": pid,
                "type": "row",
                "title": f"{pillar} ({len(ids)} SLOs)",
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        pid += 1
        y += 1
        sel = f'{{sloth_service="{service}", slogate_pillar="{pillar}"}}'
        panels.append(
            _panel(
                pid,
                "SLI (5m) and objective",
                [
                    _target(f"1 - slo:sli_error:ratio_rate5m{sel}", "{{sloth_slo}}", "A"),
                    _target(f"slo:objective:ratio{sel}", "{{sloth_slo}} objective", "B"),
                ],
                0,
                y,
                "percentunit",
                "Share of good events over the last 5 minutes, against the objective.",
            )
        )
        panels.append(
            _panel(
                pid + 1,
                "Error budget remaining (period)",
                [_target(f"slo:period_error_budget_remaining:ratio{sel}", "{{sloth_slo}}", "A")],
                8,
                y,
                "percentunit",
                "Fraction of the period's error budget still unspent.",
            )
        )
        panels.append(
            _panel(
                pid + 2,
                "Burn rate (5m)",
                [_target(f"slo:current_burn_rate:ratio{sel}", "{{sloth_slo}}", "A")],
                16,
                y,
                "x",
                "1x spends exactly the budget over the period; the page threshold is 14.4x.",
            )
        )
        pid += 3
        y += _H
    return {
        "title": title,
        "uid": f"slogate-{service}"[:40],
        "tags": ["slogate", "slo"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                    "current": {
                        "text": config.exports.grafana.datasource_uid,
                        "value": config.exports.grafana.datasource_uid,
                    },
                }
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }
