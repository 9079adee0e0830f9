"""Window bounds, progress, completion criteria and consecutive misses (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from slogate.core.budget import BudgetPolicy
from slogate.core.incidents import DayStatus
from slogate.core.result import Exclusion, SLIResult
from slogate.core.slo import Measurability
from slogate.core.window import WindowSpan, build_window
from tests.core.window_factories import (
    DAY,
    FIVE,
    T0,
    count_slo,
    ratio_result,
    ratio_slo,
    series,
)

SPAN = WindowSpan(date(2026, 3, 2), 7)
END = T0 + 7 * DAY


def test_span_bounds_and_progress() -> None:
    assert SPAN.since == T0 and SPAN.until == END
    assert SPAN.days_completed(T0 - DAY) == 0
    assert SPAN.days_completed(T0 + timedelta(days=2, hours=3)) == 2
    assert SPAN.days_completed(END + 3 * DAY) == 7
    assert SPAN.evaluated_until(T0 + timedelta(hours=5)) == T0 + timedelta(hours=5)
    assert SPAN.day_list()[-1] == date(2026, 3, 8)


def _inputs(per_day_bad: dict[int, int], days: int = 7, per_bucket: int = 100, slo_id="preset"):
    """Daily + 5-minute + whole results for a ratio SLO with per-day bad counts spread
    evenly over the day's buckets."""
    buckets = []
    for d in range(days):
        bad = per_day_bad.get(d, 0)
        spread = {i: bad // 288 + (1 if i < bad % 288 else 0) for i in range(288)}
        buckets += series(slo_id, T0 + d * DAY, 288, per_bucket, spread)
    daily = []
    for d in range(days):
        part = buckets[d * 288 : (d + 1) * 288]
        good = sum(b.good for b in part)
        bad = sum(b.total - b.good for b in part)
        daily.append(ratio_result(slo_id, good, bad, T0 + d * DAY, DAY))
    good = sum(b.good for b in daily)
    total = sum(b.total for b in daily)
    whole = ratio_result(slo_id, good, total - good)
    return whole, daily, buckets


def _build(per_day_bad, now=END + DAY, **kw):
    slo = ratio_slo()
    whole, daily, buckets = _inputs(per_day_bad)
    return build_window(
        SPAN,
        now=now,
        slos=[slo],
        statuses={"preset": Measurability.MEASURABLE_NOW},
        whole={"preset": whole},
        daily={"preset": daily},
        buckets={"preset": buckets},
        **kw,
    )


def test_clean_week_is_complete() -> None:
    report = _build({})
    doc = report.to_json()
    assert doc["status"] == "complete" and doc["days_completed"] == 7
    assert all(c["passed"] for c in doc["completion_criteria"])
    assert doc["incidents"] == [] and doc["consecutive_miss_pillars"] == []
    assert doc["budgets"]["pillars"]["hydra"]["burned_fraction"] == 0.0


def test_in_progress_is_never_failed() -> None:
    # a bad day 1 (28800 events, 300 bad = 1.04 % errors) but only 3 days complete
    report = _build({1: 300}, now=T0 + timedelta(days=3, hours=2))
    assert report.status == "in_progress" and report.days_completed == 3
    crit = {c.name: c for c in report.criteria}
    assert not crit["daily_snapshots"].passed
    assert crit["daily_snapshots"].reason.startswith("3 of 7 days")
    daily = report.slos[0].days
    assert len(daily) == 4 and daily[3].partial
    assert [i.severity for i in report.incidents] == [2]


def test_two_consecutive_missed_days_and_failed_window() -> None:
    report = _build({2: 300, 3: 300})
    doc = report.to_json()
    assert doc["consecutive_miss_pillars"] == ["hydra"]
    assert doc["consecutive_misses"]["hydra"] == [["2026-03-04", "2026-03-05"]]
    # 600 bad of 201600 meets 99.5 % over the window: the window itself completes;
    # the consecutive misses are the separate automatic NO-GO the packet reads
    assert doc["status"] == "complete"
    slo = doc["slos"][0]
    assert slo["worst_day"]["date"] in ("2026-03-04", "2026-03-05")
    assert slo["min_margin"] == pytest.approx((28800 - 300) / 28800 - 0.995)


def test_non_consecutive_misses_are_not_a_no_go() -> None:
    assert _build({1: 300, 3: 300}).consecutive_misses == {}


def test_budget_burn_over_threshold() -> None:
    # 7 days * 28800 events; allowed 0.5 %: 30 % of the 30-day budget is
    # 0.3 * 0.005 * 201600 * 30/7 = 1296 bad events
    report = _build({d: 185 for d in range(7)}, budget_policy=BudgetPolicy())
    pillar = report.pillars["hydra"]
    assert pillar.burned_fraction == pytest.approx(1295 / 1296 * 0.3, rel=1e-3)
    assert pillar.exceeds and report.to_json()["budgets"]["exceeding_pillars"] == ["hydra"]


def test_day_without_traffic_is_no_data_not_a_miss() -> None:
    whole, daily, buckets = _inputs({})
    daily = [d for d in daily if d.bucket_start != T0 + 2 * DAY]
    buckets = [b for b in buckets if not T0 + 2 * DAY <= b.bucket_start < T0 + 3 * DAY]
    o_whole, o_daily, o_buckets = _inputs({}, slo_id="other")
    statuses = dict.fromkeys(("preset", "other", "denied"), Measurability.MEASURABLE_NOW)
    report = build_window(
        SPAN,
        now=END,
        slos=[ratio_slo(), ratio_slo("other"), count_slo()],
        statuses=statuses,
        whole={"preset": whole, "other": o_whole},
        daily={"preset": daily, "other": o_daily},
        buckets={"preset": buckets, "other": o_buckets},
    )
    preset = report.slos[0]
    assert preset.days[2].status is DayStatus.NO_DATA
    assert report.incidents == [] and report.status == "complete"
    assert report.to_json()["slos"][0]["no_data_days"] == ["2026-03-04"]
    # the count SLO with no events is met every day and has no samples requirement
    assert all(d.status is DayStatus.MET for d in report.slos[2].days)


def test_day_without_any_event_fails_daily_snapshots() -> None:
    whole, daily, buckets = _inputs({})
    daily = [d for d in daily if d.bucket_start != T0 + 2 * DAY]
    report = build_window(
        SPAN,
        now=END,
        slos=[ratio_slo()],
        statuses={"preset": Measurability.MEASURABLE_NOW},
        whole={"preset": whole},
        daily={"preset": daily},
        buckets={"preset": buckets},
    )
    crit = {c.name: c for c in report.criteria}
    assert not crit["daily_snapshots"].passed
    assert crit["daily_snapshots"].reason == "no data on 2026-03-04"
    assert report.status == "failed"


def test_zero_target_count_is_an_incident() -> None:
    denied = SLIResult("denied", 2.0, None, None, 2, {"matched": 2}, T0 + DAY, T0 + 2 * DAY)
    report = build_window(
        SPAN,
        now=END,
        slos=[count_slo()],
        statuses={"denied": Measurability.MEASURABLE_NOW},
        whole={"denied": SLIResult("denied", 2.0, None, None, 2, {"matched": 2})},
        daily={"denied": [denied]},
        buckets={},
    )
    assert [(i.severity, i.slo_id) for i in report.incidents] == [(2, "denied")]
    doc = report.to_json()
    assert doc["budgets"]["zero_target_slos"] == ["denied"]
    assert doc["budgets"]["slos"]["denied"]["burned_fraction"] is None


def test_sev1_and_alerts_in_window() -> None:
    slo = ratio_slo()
    whole, daily, buckets = _inputs({})
    # day 4, 10:00-11:30: 50 % errors
    idx = 3 * 288 + 120
    for k in range(18):
        buckets[idx + k] = ratio_result("preset", 50, 50, buckets[idx + k].bucket_start)
    report = build_window(
        SPAN,
        now=END,
        slos=[slo],
        statuses={"preset": Measurability.MEASURABLE_NOW},
        whole={"preset": whole},
        daily={"preset": daily},
        buckets={"preset": buckets},
    )
    sev1 = [i for i in report.incidents if i.severity == 1]
    assert len(sev1) == 1 and sev1[0].start == T0 + 3 * DAY + 10 * timedelta(hours=1)
    assert report.status == "failed"
    assert report.alerts.caught_by[sev1[0].id]  # some alert caught it
    assert report.alerts.missed == []


def test_exclusions_are_reported_and_cover_days() -> None:
    slo = ratio_slo()
    whole, daily, buckets = _inputs({})
    daily = [d for d in daily if d.bucket_start != T0]
    excl = Exclusion(T0, T0 + DAY, frozenset({"preset"}), "planned migration")
    report = build_window(
        SPAN,
        now=END,
        slos=[slo],
        statuses={"preset": Measurability.MEASURABLE_NOW},
        whole={"preset": whole},
        daily={"preset": daily},
        buckets={"preset": buckets},
        exclusions=[excl],
    )
    assert report.slos[0].days[0].status is DayStatus.EXCLUDED
    doc = report.to_json()
    assert doc["exclusions"] == [
        {
            "start": "2026-03-02T00:00:00Z",
            "end": "2026-03-03T00:00:00Z",
            "slos": ["preset"],
            "reason": "planned migration",
        }
    ]
    assert doc["budgets"]["slos"]["preset"]["observed_days"] == pytest.approx(6.0)


def test_five_minute_helper_alignment() -> None:
    _, _, buckets = _inputs({}, days=1)
    assert buckets[1].bucket_start - buckets[0].bucket_start == FIVE


def test_monitor_slos_are_not_judged_against_a_target() -> None:
    from slogate.core.slo import SLO, MonitorSLI, Selector

    monitor = SLO("life", "socket", "life", MonitorSLI(Selector(("connect",))), None)
    whole, daily, buckets = _inputs({})
    report = build_window(
        SPAN, now=END, slos=[ratio_slo(), monitor],
        statuses=dict.fromkeys(("preset", "life"), Measurability.MEASURABLE_NOW),
        whole={"preset": whole}, daily={"preset": daily}, buckets={"preset": buckets},
    )  # fmt: skip
    crit = {c.name: c for c in report.criteria}
    assert crit["measurable_met_target"].passed
    assert crit["measurable_met_target"].reason == "all 1 measurable_now SLOs with a target met it"
