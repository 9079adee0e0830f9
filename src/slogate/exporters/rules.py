"""Prometheus recording and alerting rules for the SLOs, in the form Sloth generates.

For teams that count the events as Prometheus counters: each event `E` is
assumed to be a counter `E_total` (the suffix is configuration) whose labels
are the event's fields, so an SLI's filters become label matchers; a latency
SLO reads the histogram `E_<field>_bucket` / `E_<field>_count` at the
threshold's bucket. Any SLO may instead give its own `error_query` and
`total_query` (with Sloth's `{{.window}}` placeholder) under
`exports.prometheus.slos`.

Per SLO three rule groups, as Sloth writes them: SLI error-ratio recordings
(`slo:sli_error:ratio_rate<window>` for every window of the alert policy and
the period), metadata recordings (`slo:objective:ratio`,
`slo:error_budget:ratio`, `slo:current_burn_rate:ratio`,
`slo:period_error_budget_remaining:ratio`, ...), and one alert per severity
(page, ticket) over the multiwindow multi-burn-rate policy, with slogate's
minimum-events guard on the long window (`slogate:sli_events:increase<window>`).
The labels are Sloth's (`sloth_id`, `sloth_service`, `sloth_slo`,
`sloth_window`), so Sloth's Grafana dashboards work on them too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import yaml

from slogate import __version__
from slogate.core.alerts import BurnWindow
from slogate.core.budget import allowed_bad_fraction
from slogate.core.slo import (
    SLO,
    CountSLI,
    DistinctRatioSLI,
    FieldFilter,
    FilterOp,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
)

WINDOW = "{{.window}}"


@dataclass(frozen=True)
class PromSLO:
    """One exportable SLO: its queries (with `{{.window}}`) and identity labels."""

    slo: SLO
    service: str
    error_query: str
    total_query: str
    objective: float  # the fraction of good events, e.g. 0.995
    extra_labels: dict[str, str] = field(default_factory=dict)

    @property
    def sloth_id(self) -> str:
        return f"{self.service}-{self.slo.id}"

    @property
    def id_labels(self) -> dict[str, str]:
        return {"sloth_id": self.sloth_id, "sloth_service": self.service, "sloth_slo": self.slo.id}

    @property
    def error_budget(self) -> float:
        return round(1.0 - self.objective, 12)

    def selector(self) -> str:
        return "{" + ", ".join(f'{k}="{v}"' for k, v in self.id_labels.items()) + "}"


def prom_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _label_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _matcher(flt: FieldFilter) -> str:
    label = _label_name(flt.field)
    if flt.op is FilterOp.EQ:
        return f"{label}={_quote(_text(flt.value))}"
    if flt.op is FilterOp.IN:
        assert isinstance(flt.value, tuple)
        return f"{label}=~{_quote('|'.join(re.escape(_text(v)) for v in flt.value))}"
    return f"{label}=~{_quote('(?i).*' + re.escape(_text(flt.value)) + '.*')}"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _selector(metric: str, where: Sequence[FieldFilter], extra: str = "") -> str:
    matchers = [_matcher(f) for f in where]
    if extra:
        matchers.append(extra)
    return metric + ("{" + ", ".join(matchers) + "}" if matchers else "")


@dataclass(frozen=True)
class MetricNames:
    """Prometheus names of the events: `<event><suffix>` unless configured."""

    counter_suffix: str = "_total"
    histogram_suffix: str = "_bucket"
    overrides: dict[str, str] = field(default_factory=dict)

    def counter(self, event: str) -> str:
        return self.overrides.get(event, event + self.counter_suffix)

    def histogram(self, event: str, field_name: str) -> str:
        return self.overrides.get(f"{event}.{field_name}", f"{event}_{_label_name(field_name)}")


def _rate_sum(selector: Selector, names: MetricNames, *, zero_if_absent: bool = False) -> str:
    terms = [
        f"sum(rate({_selector(names.counter(e), selector.where)}[{WINDOW}]))"
        for e in selector.events
    ]
    if zero_if_absent:
        terms = [f"({t} or vector(0))" for t in terms]
    return " + ".join(terms)


def derived_queries(slo: SLO, names: MetricNames) -> tuple[str, str] | None:
    """(error_query, total_query) from the event names; None when Prometheus counters
    cannot express the SLI (counts, correlations, growth, monitors)."""
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        good = _rate_sum(sli.good, names)
        if sli.bad is not None:
            bad = _rate_sum(sli.bad, names, zero_if_absent=True)
            return f"({bad})", f"(({good}) + ({bad}))"
        assert sli.total is not None
        total = _rate_sum(sli.total, names)
        return f"(({total}) - ({good}))", f"({total})"
    if isinstance(sli, RateSLI):
        bad = _rate_sum(sli.bad, names, zero_if_absent=True)
        return f"({bad})", f"({_rate_sum(sli.total, names)})"
    if isinstance(sli, DistinctRatioSLI):
        # counters of units started and of units that failed (one increment per unit)
        bad = _rate_sum(sli.failure, names, zero_if_absent=True)
        return f"({bad})", f"({_rate_sum(sli.start, names)})"
    if isinstance(sli, QuantileSLI) and slo.target is not None:
        base = [names.histogram(e, sli.field) for e in sli.select.events]
        le = re.escape(_text(slo.target.value)) + r"(\.0+)?"
        le_matcher = "le=~" + _quote(le)
        within = " + ".join(
            f"sum(rate({_selector(b + names.histogram_suffix, sli.select.where, le_matcher)}"
            f"[{WINDOW}]))"
            for b in base
        )
        count = " + ".join(
            f"sum(rate({_selector(b + '_count', sli.select.where)}[{WINDOW}]))" for b in base
        )
        return f"(({count}) - ({within}))", f"({count})"
    return None


def exportable(config: Any) -> tuple[list[PromSLO], list[tuple[str, str]]]:
    """The SLOs the rules cover, and (id, reason) for those skipped."""
    prom = config.exports.prometheus
    service = prom.service or config.project
    out: list[PromSLO] = []
    skipped: list[tuple[str, str]] = []
    for slo in config.core_slos():
        allowed = allowed_bad_fraction(slo)
        if allowed is None or slo.target is None:
            skipped.append((slo.id, f"a {slo.kind.value} SLO has no event error budget"))
            continue
        if allowed <= 0:
            skipped.append((slo.id, "a zero error budget cannot burn; alert on any bad event"))
            continue
        override = prom.slos.get(slo.id)
        if override is not None and override.error_query and override.total_query:
            queries: tuple[str, str] | None = (override.error_query, override.total_query)
        else:
            names = MetricNames(prom.counter_suffix, prom.histogram_suffix, dict(prom.metrics))
            queries = derived_queries(slo, names)
        if queries is None:
            skipped.append((slo.id, f"a {slo.kind.value} SLI has no counter form"))
            continue
        labels = {**prom.labels, "slogate_pillar": slo.pillar}
        out.append(PromSLO(slo, service, queries[0], queries[1], 1.0 - allowed, labels))
    return out, skipped


def _windows(policy: Sequence[BurnWindow]) -> list[timedelta]:
    spans = {timedelta(minutes=5)}
    for w in policy:
        spans.add(w.long)
        spans.add(w.short)
    return sorted(spans)


def _sub(query: str, window: str) -> str:
    return query.replace(WINDOW, window)


def rule_groups(
    slos: Sequence[PromSLO], windows: Sequence[BurnWindow], *, period_days: int, min_events: int
) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    spans = _windows(windows)
    period = f"{period_days}d"
    longs = sorted({w.long for w in windows})
    for p in slos:
        sel = p.selector()
        base_labels = {**p.extra_labels, **p.id_labels}
        sli_rules: list[dict[str, Any]] = []
        for span in spans:
            w = prom_duration(span)
            sli_rules.append(
                {
                    "record": f"slo:sli_error:ratio_rate{w}",
                    "expr": f"({_sub(p.error_query, w)})\n/\n({_sub(p.total_query, w)})\n",
                    "labels": {**base_labels, "sloth_window": w},
                }
            )
        sli_rules.append(
            {
                "record": f"slo:sli_error:ratio_rate{period}",
                "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{sel}[{period}])\n"
                f"/ ignoring (sloth_window)\n"
                f"count_over_time(slo:sli_error:ratio_rate5m{sel}[{period}])\n",
                "labels": {**base_labels, "sloth_window": period},
            }
        )
        if min_events > 0:
            for span in longs:
                w = prom_duration(span)
                sli_rules.append(
                    {
                        "record": f"slogate:sli_events:increase{w}",
                        "expr": f"({_sub(p.total_query, w)}) * {int(span.total_seconds())}\n",
                        "labels": {**base_labels, "sloth_window": w},
                    }
                )
        groups.append({"name": f"sloth-slo-sli-recordings-{p.sloth_id}", "rules": sli_rules})
        on = "on(sloth_id, sloth_slo, sloth_service) group_left"
        meta = [
            {
                "record": "slo:objective:ratio",
                "expr": f"vector({p.objective!r})",
                "labels": base_labels,
            },
            {
                "record": "slo:error_budget:ratio",
                "expr": f"vector(1-{p.objective!r})",
                "labels": base_labels,
            },
            {
                "record": "slo:time_period:days",
                "expr": f"vector({period_days})",
                "labels": base_labels,
            },
            {
                "record": "slo:current_burn_rate:ratio",
                "expr": f"slo:sli_error:ratio_rate5m{sel}\n/ {on}\nslo:error_budget:ratio{sel}\n",
                "labels": base_labels,
            },
            {
                "record": "slo:period_burn_rate:ratio",
                "expr": f"slo:sli_error:ratio_rate{period}{sel}\n/ {on}\n"
                f"slo:error_budget:ratio{sel}\n",
                "labels": base_labels,
            },
            {
                "record": "slo:period_error_budget_remaining:ratio",
                "expr": f"1 - slo:period_burn_rate:ratio{sel}",
                "labels": base_labels,
            },
            {
                "record": "sloth_slo_info",
                "expr": "vector(1)",
                "labels": {
                    **base_labels,
                    "sloth_mode": "slogate",
                    "sloth_objective": f"{p.objective * 100:g}",
                    "sloth_spec": "slogate/v1",
                    "sloth_version": __version__,
                    "slogate_pillar": p.slo.pillar,
                },
            },
        ]
        groups.append({"name": f"sloth-slo-meta-recordings-{p.sloth_id}", "rules": meta})
        alerts = []
        for severity in dict.fromkeys(w.severity for w in windows):
            clauses = []
            for w in (x for x in windows if x.severity == severity):
                short, long_ = prom_duration(w.short), prom_duration(w.long)
                factor = f"{w.factor:g}"
                clause = (
                    f"max(slo:sli_error:ratio_rate{short}{sel} > ({factor} * {p.error_budget!r})) "
                    f"without (sloth_window)\nand\n"
                    f"max(slo:sli_error:ratio_rate{long_}{sel} > ({factor} * {p.error_budget!r})) "
                    f"without (sloth_window)"
                )
                if min_events > 0:
                    clause += (
                        f"\nand on(sloth_id, sloth_slo, sloth_service)\n"
                        f"max(slogate:sli_events:increase{long_}{sel} >= {min_events}) "
                        f"without (sloth_window)"
                    )
                clauses.append("(\n" + clause + "\n)")
            alerts.append(
                {
                    "alert": f"{_camel(p.slo.id)}ErrorBudgetBurn",
                    "expr": "\nor\n".join(clauses) + "\n",
                    "labels": {
                        **p.extra_labels,
                        "severity": severity,
                        "sloth_severity": severity,
                    },
                    "annotations": {
                        "summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error "
                        "budget burn rate is over expected.",
                        "title": f"({severity}) {{{{$labels.sloth_service}}}} "
                        "{{$labels.sloth_slo}} SLO error budget burn rate is too fast.",
                    },
                }
            )
        groups.append({"name": f"sloth-slo-alerts-{p.sloth_id}", "rules": alerts})
    return groups


def _camel(slo_id: str) -> str:
    return "".join(part.capitalize() for part in slo_id.split("_"))


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def count_alert_groups(config: Any) -> tuple[list[dict[str, Any]], set[str]]:
    """Alerts for count SLOs (a target per day, e.g. 0 permission incidents): fire
    while the last day's count breaks the target, the window's Sev-2 as it happens."""
    prom = config.exports.prometheus
    names = MetricNames(prom.counter_suffix, prom.histogram_suffix, dict(prom.metrics))
    service = prom.service or config.project
    groups: list[dict[str, Any]] = []
    done: set[str] = set()
    for slo in config.core_slos():
        sli = slo.sli
        if not isinstance(sli, CountSLI) or slo.target is None:
            continue
        total = " + ".join(
            f"(sum(increase({_selector(names.counter(e), sli.select.where)}[1d])) or vector(0))"
            for e in sli.select.events
        )
        bad_op = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!="}[slo.target.op.value]
        labels = {
            **prom.labels,
            "severity": "ticket",
            "sloth_service": service,
            "sloth_slo": slo.id,
            "slogate_pillar": slo.pillar,
        }
        groups.append(
            {
                "name": f"slogate-count-alerts-{service}-{slo.id}",
                "rules": [
                    {
                        "alert": f"{_camel(slo.id)}CountOverTarget",
                        "expr": f"({total}) {bad_op} {_text(slo.target.value)}\n",
                        "labels": labels,
                        "annotations": {
                            "summary": f"{slo.name}: {{{{ $value }}}} over the last day "
                            f"(target {slo.target.op.value} {_text(slo.target.value)}).",
                        },
                    }
                ],
            }
        )
        done.add(slo.id)
    return groups, done


def render_rules(config: Any) -> str:
    """The rules file (YAML) for the configuration's SLOs and alert policy."""
    slos, skipped = exportable(config)
    policy = config.alerting.policy()
    groups = rule_groups(
        slos, policy.windows, period_days=config.budget.days, min_events=policy.min_events
    )
    count_groups, counted = count_alert_groups(config)
    groups.extend(count_groups)
    header = "# Generated by slogate " + __version__ + " (Sloth-style SLO rules).\n"
    for slo_id, reason in skipped:
        if slo_id in counted:
            header += f"# {slo_id}: no burn rate (a count target); a daily count alert instead\n"
        else:
            header += f"# skipped {slo_id}: {reason}\n"
    return header + yaml.dump(
        {"groups": groups}, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True
    )
