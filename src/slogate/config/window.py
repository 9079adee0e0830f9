"""`window:`, `budget:`, `alerting:`, `maintenance:` and `exports:` sections
(owned by the validation window). Every key has a default, so a configuration
without them loads; the default burn-rate policy is data in
`config/defaults/burn_windows_30d.yaml`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from slogate.config.base import ConfigIssue, StrictModel
from slogate.core.alerts import AlertPolicy, BurnWindow
from slogate.core.budget import BudgetPolicy, PeriodKind
from slogate.core.incidents import IncidentPolicy, MarginBasis
from slogate.core.result import Exclusion

_DURATION = re.compile(r"^\s*(\d+)\s*(m|h|d)\s*$")
_UNIT = {"m": 1, "h": 60, "d": 1440}


def parse_duration(text: str) -> timedelta:
    """`5m`, `1h`, `3d` (whole minutes, hours or days)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"a duration is a whole number of m, h or d (e.g. 5m, 1h), got {text!r}")
    return timedelta(minutes=int(match.group(1)) * _UNIT[match.group(2)])


class SeveritySettings(StrictModel):
    """The runbook's Sev-1/2/3 thresholds (DOMAIN.md section 7)."""

    sev1_miss_fraction: float = Field(
        0.05,
        gt=0,
        le=1,
        description="Sev-1: a 5-minute bucket misses by more than this fraction of the target.",
    )
    sev1_min_minutes: float = Field(
        60, gt=0, description="Sev-1: the run of missing buckets lasts more than this."
    )
    sev1_max_gap_minutes: float = Field(
        15,
        ge=0,
        description="Buckets without data (or low-traffic) inside a run are bridged up to this "
        "gap; a longer gap ends the run.",
    )
    sev3_margin: float = Field(
        0.01, ge=0, le=1, description="Sev-3: a day at target with less than this margin."
    )
    margin_basis: Literal["budget", "target"] = Field(
        "budget",
        description="budget: the margin of a lower-bound fraction is measured against its error "
        "budget (1 - target); target: against the target value for every SLO.",
    )


class WindowSettings(StrictModel):
    days: int = Field(7, ge=1, le=92, description="Length of the validation window in days.")
    bucket_minutes: int = Field(5, ge=1, le=60, description="Bucket for Sev-1 and alert replay.")
    min_events_per_bucket: int = Field(
        5, ge=0, description="Fewer events in a bucket: low traffic, neither miss nor pass."
    )
    min_events_per_day: int = Field(
        20, ge=0, description="Fewer events in a day: low traffic, never a Sev-2."
    )
    severity: SeveritySettings = Field(default_factory=SeveritySettings)

    @field_validator("bucket_minutes")
    @classmethod
    def _divides_day(cls, value: int) -> int:
        if 1440 % value:
            raise ValueError("bucket_minutes must divide a day (1, 5, 10, 15, 30, 60, ...)")
        return value

    def incident_policy(self) -> IncidentPolicy:
        s = self.severity
        return IncidentPolicy(
            bucket=timedelta(minutes=self.bucket_minutes),
            sev1_miss_fraction=s.sev1_miss_fraction,
            sev1_min_duration=timedelta(minutes=s.sev1_min_minutes),
            sev1_max_gap=timedelta(minutes=s.sev1_max_gap_minutes),
            sev3_margin=s.sev3_margin,
            margin_basis=MarginBasis(s.margin_basis),
            min_events_per_bucket=self.min_events_per_bucket,
            min_events_per_day=self.min_events_per_day,
        )


class BudgetSettings(StrictModel):
    period: Literal["rolling", "calendar_month", "calendar_week"] = Field(
        "rolling", description="rolling N days, or the calendar month / week of the window start."
    )
    days: int = Field(30, ge=1, le=366, description="Length of a rolling budget period.")
    max_burned_fraction: float = Field(
        0.25, gt=0, le=1, description="G7: no pillar may burn more of its period budget."
    )

    def policy(self) -> BudgetPolicy:
        return BudgetPolicy(PeriodKind(self.period), self.days, self.max_burned_fraction)


class BurnWindowModel(StrictModel):
    severity: Literal["page", "ticket"]
    long: str = Field(description="Long window, e.g. 1h.")
    short: str = Field(description="Short window, e.g. 5m.")
    factor: float = Field(gt=0, description="Burn-rate factor (14.4 = 2 % of 30 days in 1 h).")

    @field_validator("long", "short")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnWindowModel:
        if parse_duration(self.short) >= parse_duration(self.long):
            raise ValueError("the short window must be shorter than the long window")
        return self

    def to_core(self) -> BurnWindow:
        return BurnWindow(
            self.severity, parse_duration(self.long), parse_duration(self.short), self.factor
        )


@cache
def _default_windows_data() -> tuple[dict[str, Any], ...]:
    text = resources.files("slogate.config").joinpath("defaults/burn_windows_30d.yaml").read_text()
    return tuple(yaml.safe_load(text)["windows"])


def default_burn_windows() -> list[BurnWindowModel]:
    return [BurnWindowModel.model_validate(w) for w in _default_windows_data()]


class AlertingSettings(StrictModel):
    windows: list[BurnWindowModel] = Field(
        default_factory=default_burn_windows,
        description="Multiwindow burn-rate policy (default: the SRE Workbook's, 30-day SLO).",
    )
    min_events: int = Field(
        30, ge=0, description="An alert needs at least this many events in its long window."
    )
    match_grace_minutes: float = Field(
        60, ge=0, description="An alert firing this long after an incident ended still caught it."
    )
    match_severities: list[Literal[1, 2, 3]] = Field(
        default_factory=lambda: [1, 2],
        description="Incidents an alert should catch (others are matched but never 'missed').",
    )

    def policy(self) -> AlertPolicy:
        return AlertPolicy(
            windows=tuple(w.to_core() for w in self.windows),
            min_events=self.min_events,
            match_grace=timedelta(minutes=self.match_grace_minutes),
            match_severities=frozenset(self.match_severities),
        )


class MaintenanceModel(StrictModel):
    """A declared maintenance window: left out of SLIs, budgets and incidents."""

    start: datetime
    end: datetime
    slos: list[str] = Field(
        default_factory=list, description="SLO ids; empty with no pillars = all"
    )
    pillars: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceModel:
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts")
        return self


class PrometheusSLOModel(StrictModel):
    """Per-SLO PromQL in Sloth's form; `{{.window}}` is replaced by each window."""

    error_query: str | None = None
    total_query: str | None = None


class PrometheusExportSettings(StrictModel):
    service: str | None = Field(None, description="sloth_service label; default: the project.")
    counter_suffix: str = Field(
        "_total", description="Default counters are `<event><suffix>` (one per event name)."
    )
    histogram_suffix: str = Field(
        "_bucket", description="Latency SLOs read `<event>_<field><suffix>{le=...}` histograms."
    )
    metrics: dict[str, str] = Field(
        default_factory=dict,
        description="Counter name per event (`event: counter_total`), or histogram base name "
        "per latency field (`event.field: name`, read as name_bucket / name_count); "
        "default `<event><counter_suffix>` and `<event>_<field>`.",
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels on every rule.")
    slos: dict[str, PrometheusSLOModel] = Field(
        default_factory=dict, description="Per-SLO queries overriding the derived defaults."
    )


class GrafanaExportSettings(StrictModel):
    title: str | None = Field(None, description="Dashboard title; default: '<project> SLOs'.")
    datasource_uid: str = Field("${DS_PROMETHEUS}", description="Prometheus datasource uid.")


class ExportsSettings(StrictModel):
    prometheus: PrometheusExportSettings = Field(default_factory=PrometheusExportSettings)
    grafana: GrafanaExportSettings = Field(default_factory=GrafanaExportSettings)


class WindowSection(StrictModel):
    """Mixin contributing the validation-window top-level keys."""

    window: WindowSettings = Field(default_factory=WindowSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    maintenance: list[MaintenanceModel] = Field(default_factory=list)
    exports: ExportsSettings = Field(default_factory=ExportsSettings)

    def core_exclusions(self) -> list[Exclusion]:
        """Maintenance windows as core exclusions (pillars expanded to their SLO ids)."""
        slos = getattr(self, "slos", [])
        out: list[Exclusion] = []
        for m in self.maintenance:
            if not m.slos and not m.pillars:
                ids: frozenset[str] | None = None
            else:
                ids = frozenset(m.slos) | frozenset(s.id for s in slos if s.pillar in m.pillars)
            out.append(Exclusion(m.start, m.end, ids, m.reason))
        return out

    def reference_issues_window(self) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        slos = getattr(self, "slos", [])
        ids = {s.id for s in slos}
        pillars = {s.pillar for s in slos}
        for i, m in enumerate(self.maintenance):
            for j, slo_id in enumerate(m.slos):
                if slo_id not in ids:
                    issues.append(
                        ConfigIssue(("maintenance", i, "slos", j), f"unknown SLO id {slo_id!r}")
                    )
            for j, pillar in enumerate(m.pillars):
                if pillar not in pillars:
                    issues.append(
                        ConfigIssue(
                            ("maintenance", i, "pillars", j),
                            f"unknown pillar {pillar!r} (pillars: {', '.join(sorted(pillars))})",
                        )
                    )
        for slo_id in self.exports.prometheus.slos:
            if slo_id not in ids:
                issues.append(
                    ConfigIssue(
                        ("exports", "prometheus", "slos", slo_id), f"unknown SLO {slo_id!r}"
                    )
                )
        events = {e.name for e in getattr(self, "events", [])}
        for key in self.exports.prometheus.metrics:
            if key.split(".", 1)[0] not in events:
                issues.append(
                    ConfigIssue(
                        ("exports", "prometheus", "metrics", key),
                        f"unknown event {key.split('.', 1)[0]!r}",
                    )
                )
        for slo_id, q in self.exports.prometheus.slos.items():
            if (q.error_query is None) != (q.total_query is None):
                issues.append(
                    ConfigIssue(
                        ("exports", "prometheus", "slos", slo_id),
                        "give both error_query and total_query (or neither)",
                    )
                )
        seen: set[tuple[str, str, str]] = set()
        for i, w in enumerate(self.alerting.windows):
            key = (w.severity, w.long, w.short)
            if key in seen:
                issues.append(ConfigIssue(("alerting", "windows", i), "duplicate burn window"))
            seen.add(key)
        longest = max((parse_duration(w.long) for w in self.alerting.windows), default=None)
        if longest is not None and longest > timedelta(days=self.budget.days):
            explicit = "windows" in self.alerting.model_fields_set
            issues.append(
                ConfigIssue(
                    ("alerting", "windows") if explicit else ("budget", "days"),
                    "a burn window is longer than the budget period",
                )
            )
        return issues
