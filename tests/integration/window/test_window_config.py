"""The window sections of slogate.yaml: defaults, mapping to the core, cross-checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slogate.config import load_config, load_config_text
from slogate.core.alerts import DEFAULT_BURN_WINDOWS
from slogate.core.budget import PeriodKind
from slogate.core.incidents import MarginBasis
from slogate.errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG


def _with(extra: str):
    return load_config_text(EXAMPLE_CONFIG.read_text() + "\n" + extra, file="slogate.yaml")


def test_defaults_load_with_the_example() -> None:
    cfg = load_config(EXAMPLE_CONFIG).config
    assert cfg.window.days == 7 and cfg.window.bucket_minutes == 5
    policy = cfg.window.incident_policy()
    assert policy.sev1_miss_fraction == 0.05
    assert policy.sev1_min_duration == timedelta(minutes=60)
    assert policy.sev3_margin == 0.01 and policy.margin_basis is MarginBasis.BUDGET
    budget = cfg.budget.policy()
    assert budget.period is PeriodKind.ROLLING and budget.days == 30
    assert budget.max_burned_fraction == 0.25
    # the shipped YAML defaults are the Workbook policy the core documents
    assert cfg.alerting.policy().windows == DEFAULT_BURN_WINDOWS
    assert cfg.core_exclusions() == []


def test_every_setting_maps_to_the_core() -> None:
    cfg = _with(
        """
window:
  days: 14
  bucket_minutes: 10
  min_events_per_bucket: 3
  min_events_per_day: 50
  severity: {sev1_miss_fraction: 0.1, sev1_min_minutes: 30, sev1_max_gap_minutes: 0,
             sev3_margin: 0.02, margin_basis: target}
budget: {period: calendar_week, max_burned_fraction: 0.5}
alerting:
  min_events: 100
  windows: [{severity: page, long: 2h, short: 10m, factor: 10}]
maintenance:
  - {start: "2026-03-03T01:00:00", end: "2026-03-03T02:00:00Z", pillars: [queue],
     slos: [auth_login_success], reason: broker upgrade}
  - {start: "2026-03-04T00:00:00Z", end: "2026-03-04T00:30:00Z", reason: everything down}
"""
    ).config
    p = cfg.window.incident_policy()
    assert (p.bucket, p.sev1_miss_fraction, p.sev1_min_duration, p.sev1_max_gap) == (
        timedelta(minutes=10),
        0.1,
        timedelta(minutes=30),
        timedelta(0),
    )
    assert (p.sev3_margin, p.margin_basis, p.min_events_per_bucket, p.min_events_per_day) == (
        0.02,
        MarginBasis.TARGET,
        3,
        50,
    )
    assert cfg.budget.policy().period is PeriodKind.CALENDAR_WEEK
    a = cfg.alerting.policy()
    assert a.min_events == 100 and len(a.windows) == 1
    assert a.windows[0].long == timedelta(hours=2) and a.windows[0].short == timedelta(minutes=10)
    first, second = cfg.core_exclusions()
    assert first.start == datetime(2026, 3, 3, 1, tzinfo=UTC)  # naive times are UTC
    assert first.slo_ids == frozenset(
        {
            "auth_login_success",
            "queue_command_apply_success",
            "queue_duplicate_lost_commands",
            "queue_reconnect_p95",
        }
    )
    assert second.slo_ids is None and second.reason == "everything down"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            "maintenance: [{start: 2026-03-01T00:00:00Z, end: 2026-03-01T01:00:00Z, "
            "slos: [nope], reason: x}]",
            "maintenance[0].slos[0]",
            "unknown SLO id 'nope'",
        ),
        (
            "maintenance: [{start: 2026-03-01T00:00:00Z, end: 2026-03-01T01:00:00Z, "
            "pillars: [video], reason: x}]",
            "maintenance[0].pillars[0]",
            "unknown pillar 'video'",
        ),
        (
            "maintenance: [{start: 2026-03-01T02:00:00Z, end: 2026-03-01T01:00:00Z, reason: x}]",
            "maintenance[0]",
            "must end after it starts",
        ),
        ("window: {bucket_minutes: 7}", "window.bucket_minutes", "must divide a day"),
        (
            "alerting: {windows: [{severity: page, long: 5m, short: 1h, factor: 2}]}",
            "alerting.windows[0]",
            "short window must be shorter",
        ),
        (
            "alerting: {windows: [{severity: page, long: 1 hour, short: 5m, factor: 2}]}",
            "alerting.windows[0].long",
            "a duration is a whole number",
        ),
        (
            "exports: {prometheus: {slos: {ghost: {error_query: a, total_query: b}}}}",
            "exports.prometheus.slos.ghost",
            "unknown SLO 'ghost'",
        ),
        (
            "budget: {days: 2}",
            "budget.days",
            "longer than the budget period",
        ),
    ],
)
def test_bad_settings_are_config_errors_with_a_line(extra: str, field: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _with(extra)
    assert err.value.field == field
    assert message in err.value.message
    assert err.value.line is not None and err.value.line > 250  # points into the appended part
