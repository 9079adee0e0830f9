"""Rubric maths: the seed's totals, history, thresholds and uplift path."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slogate.core.rubric import (
    Category,
    Level,
    Rubric,
    Scorecard,
    Threshold,
    check_threshold,
    history,
    scorecard_problems,
    suggest,
    total,
    uplift,
)

SEED = Rubric(
    categories=(
        Category(
            "measurement",
            "Measurement Completeness",
            20,
            (Level(4, "full coverage with dashboards and alerting", ("dashboards", "alerting")),),
        ),
        Category("outcomes", "Reliability Outcomes", 25, (Level(3, "meets most SLOs", ("G5",)),)),
        Category("tests", "Test and CI Strength", 15),
        Category("security", "Security and Abuse Resistance", 15),
        Category("operability", "Operability and Incident Readiness", 15),
        Category("delivery", "Delivery Discipline", 10),
    ),
    thresholds=(
        Threshold("complete", "hardening complete", 80),
        Threshold("enter_window", "enter the validation window", 85, 2),
        Threshold("reentry", "feature re-entry", 90, 3),
    ),
)
IDS = [c.id for c in SEED.categories]


def scores(*values: int) -> dict[str, int]:
    return dict(zip(IDS, values, strict=True))


def test_seed_week_totals() -> None:
    assert total(SEED, scores(3, 2, 3, 3, 3, 3)) == 68.75
    assert total(SEED, scores(4, 4, 4, 4, 4, 4)) == 100.0
    assert total(SEED, scores(0, 0, 0, 0, 0, 0)) == 0.0


def test_history_deltas() -> None:
    cards = [
        Scorecard(date(2026, 2, 16), scores(3, 2, 3, 3, 3, 3)),
        Scorecard(date(2026, 2, 2), scores(1, 1, 3, 3, 2, 2)),
        Scorecard(date(2026, 2, 9), scores(2, 1, 3, 3, 3, 2)),
    ]
    rows = history(SEED, cards)
    assert [r.total for r in rows] == [46.25, 55.0, 68.75]
    assert [r.delta for r in rows] == [None, 8.75, 13.75]
    assert rows[2].category_deltas["measurement"] == 1


def test_seed_uplift_is_measurement_plus_outcomes() -> None:
    plan = uplift(SEED, scores(3, 2, 3, 3, 3, 3), SEED.threshold("complete"))
    assert plan.gap == 11.25
    assert plan.reachable
    assert len(plan.paths) == 1
    path = plan.paths[0]
    assert [(i.category, i.from_score, i.to_score, i.points) for i in path.increments] == [
        ("measurement", 3, 4, 5.0),
        ("outcomes", 2, 3, 6.25),
    ]
    assert path.reaches == 80.0


def test_uplift_lists_ties() -> None:
    rubric = Rubric((Category("a", "A", 50), Category("b", "B", 50)), (Threshold("t", "t", 62.5),))
    plan = uplift(rubric, {"a": 2, "b": 2}, rubric.threshold("t"))
    assert len(plan.paths) == 2
    assert {p.increments[0].category for p in plan.paths} == {"a", "b"}


def test_uplift_respects_category_minimum() -> None:
    plan = uplift(SEED, scores(4, 1, 4, 4, 4, 4), SEED.threshold("enter_window"))
    # 1 -> 2 on outcomes is forced by the minimum even though the total is already 81.25
    assert plan.paths[0].increments[0].category == "outcomes"
    assert all(i.category == "outcomes" for i in plan.paths[0].increments)


def test_uplift_when_met_is_empty_and_unreachable_is_flagged() -> None:
    met = uplift(SEED, scores(4, 4, 4, 4, 4, 4), SEED.threshold("reentry"))
    assert met.gap == 0 and met.paths[0].increments == ()
    impossible = Rubric((Category("a", "A", 10),), (Threshold("t", "t", 200),))
    plan = uplift(impossible, {"a": 0}, impossible.threshold("t"))
    assert not plan.reachable and plan.paths == ()


def test_thresholds_with_category_minimum() -> None:
    check = check_threshold(SEED, scores(4, 1, 4, 4, 4, 4), SEED.threshold("enter_window"))
    assert check.total == 81.25 and not check.met and check.below_min == ("outcomes",)
    assert check_threshold(SEED, scores(4, 4, 2, 4, 4, 4), SEED.threshold("complete")).met


def test_scorecard_problems() -> None:
    problems = scorecard_problems(SEED, {**scores(3, 2, 3, 3, 3, 3), "bogus": 1})
    assert any("unknown category 'bogus'" in p for p in problems)
    assert any("outside 0-4" in p for p in scorecard_problems(SEED, scores(5, 2, 3, 3, 3, 3)))
    assert scorecard_problems(SEED, scores(3, 2, 3, 3, 3, 3)) == []


def test_suggestion_flags_over_claim() -> None:
    satisfied = {"dashboards": False, "alerting": False, "G5": False}
    out = {s.category: s for s in suggest(SEED, scores(4, 2, 3, 3, 3, 3), satisfied.__getitem__)}
    assert out["measurement"].suggested == 3 and out["measurement"].over_claim
    assert out["measurement"].unmet == ("dashboards", "alerting")
    assert out["outcomes"].suggested == 2 and not out["outcomes"].over_claim
    assert out["tests"].suggested == 4 and not out["tests"].over_claim


@given(st.lists(st.integers(0, 4), min_size=6, max_size=6), st.sampled_from([80, 85, 90]))
def test_uplift_paths_reach_threshold_with_fewest_steps(values: list[int], target: int) -> None:
    threshold = Threshold("x", "x", target)
    current = dict(zip(IDS, values, strict=True))
    plan = uplift(SEED, current, threshold)
    for path in plan.paths:
        new = dict(current)
        for inc in path.increments:
            assert new[inc.category] == inc.from_score
            new[inc.category] = inc.to_score
        assert total(SEED, new) >= target
        assert path.reaches == pytest.approx(total(SEED, new))
    # no single increment fewer can reach it
    if plan.paths and plan.paths[0].increments:
        steps = len(plan.paths[0].increments)
        room = sorted(
            (SEED.category(c).weight / 4 for c in IDS for _ in range(4 - current[c])), reverse=True
        )
        assert total(SEED, current) + sum(room[: steps - 1]) < target
