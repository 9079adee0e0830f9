"""The weighted readiness rubric: scores, thresholds, history and the uplift path.

Totals are computed with exact fractions so that 68.75 is 68.75 and a threshold
of 80 is reached by exactly 80, never missed by a rounding error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

LEVEL_LABELS: dict[int, str] = {
    0: "Missing",
    1: "Ad hoc",
    2: "Baseline",
    3: "Strong",
    4: "Production-grade",
}


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a category; `requires` names gates, checks or attestations
    whose PASS is the evidence a scorecard needs to claim this level."""

    score: int
    description: str = ""
    requires: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    weight: float
    levels: tuple[Level, ...] = ()

    def level(self, score: int) -> Level | None:
        for level in self.levels:
            if level.score == score:
                return level
        return None


@dataclass(frozen=True, slots=True)
class Threshold:
    """A decision line: total >= `min_total` and, when set, no category below
    `min_category`."""

    id: str
    name: str
    min_total: float
    min_category: int | None = None


@dataclass(frozen=True, slots=True)
class Rubric:
    categories: tuple[Category, ...]
    thresholds: tuple[Threshold, ...] = ()
    max_score: int = 4

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def threshold(self, threshold_id: str) -> Threshold:
        for threshold in self.thresholds:
            if threshold.id == threshold_id:
                return threshold
        raise KeyError(threshold_id)

    @property
    def max_total(self) -> float:
        return float(sum(Fraction(c.weight) for c in self.categories))


@dataclass(frozen=True, slots=True)
class Scorecard:
    """One week's claimed scores (0..max) with the rationale and the evidence cited."""

    date: date
    scores: Mapping[str, int]
    rationale: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str | None = None


def _points(category: Category, score: int, max_score: int) -> Fraction:
    return Fraction(score, max_score) * Fraction(category.weight)


def points(rubric: Rubric, category_id: str, score: int) -> float:
    return float(_points(rubric.category(category_id), score, rubric.max_score))


def _total(rubric: Rubric, scores: Mapping[str, int]) -> Fraction:
    return sum(
        (_points(c, scores.get(c.id, 0), rubric.max_score) for c in rubric.categories),
        Fraction(0),
    )


def total(rubric: Rubric, scores: Mapping[str, int]) -> float:
    """SUM(score / max * weight); a category without a score counts as 0."""
    return float(_total(rubric, scores))


def scorecard_problems(rubric: Rubric, scores: Mapping[str, object]) -> list[str]:
    """Why a scorecard cannot be used (unknown category, score out of range, missing)."""
    problems: list[str] = []
    known = {c.id for c in rubric.categories}
    for key, value in scores.items():
        if key not in known:
            problems.append(f"unknown category {key!r} (known: {', '.join(sorted(known))})")
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"score of {key!r} must be an integer 0-{rubric.max_score}")
        elif not 0 <= value <= rubric.max_score:
            problems.append(f"score of {key!r} is {value}, outside 0-{rubric.max_score}")
    for category in rubric.categories:
        if category.id not in scores:
            problems.append(f"category {category.id!r} has no score")
    return problems


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    threshold: Threshold
    total: float
    met: bool
    gap: float
    below_min: tuple[str, ...] = ()


def check_threshold(
    rubric: Rubric, scores: Mapping[str, int], threshold: Threshold
) -> ThresholdCheck:
    current = _total(rubric, scores)
    target = Fraction(threshold.min_total)
    below = tuple(
        c.id
        for c in rubric.categories
        if threshold.min_category is not None and scores.get(c.id, 0) < threshold.min_category
    )
    gap = max(target - current, Fraction(0))
    return ThresholdCheck(
        threshold, float(current), current >= target and not below, float(gap), below
    )


@dataclass(frozen=True, slots=True)
class Increment:
    """One category raised by one level."""

    category: str
    name: str
    from_score: int
    to_score: int
    points: float
    description: str = ""


@dataclass(frozen=True, slots=True)
class UpliftPath:
    increments: tuple[Increment, ...]
    gained: float
    reaches: float


@dataclass(frozen=True, slots=True)
class UpliftPlan:
    threshold: Threshold
    current: float
    gap: float
    reachable: bool
    paths: tuple[UpliftPath, ...]  # the cheapest ones; several when tied

    @property
    def best(self) -> UpliftPath | None:
        return self.paths[0] if self.paths else None


def uplift(rubric: Rubric, scores: Mapping[str, int], threshold: Threshold) -> UpliftPlan:
    """The cheapest sets of one-level increments that meet the threshold.

    Cost is the number of one-level increments (each is a week of work in the
    seed team's experience); among equally cheap sets the one overshooting the
    threshold least wins, so effort is not spent on points nobody needs. Sets
    equal on both are ties and are all listed. Category minimums of the
    threshold are part of "meeting" it.
    """
    current = _total(rubric, scores)
    target = Fraction(threshold.min_total)
    cats = rubric.categories
    check = check_threshold(rubric, scores, threshold)
    if check.met:
        return UpliftPlan(
            threshold, float(current), 0.0, True, (UpliftPath((), 0.0, float(current)),)
        )
    ranges = [range(0, rubric.max_score - scores.get(c.id, 0) + 1) for c in cats]
    best_key: tuple[int, Fraction] | None = None
    best: list[tuple[int, ...]] = []
    for steps in itertools.product(*ranges):
        new = {c.id: scores.get(c.id, 0) + k for c, k in zip(cats, steps, strict=True)}
        if threshold.min_category is not None and any(
            v < threshold.min_category for v in new.values()
        ):
            continue
        reached = _total(rubric, new)
        if reached < target:
            continue
        key = (sum(steps), reached - target)
        if best_key is None or key < best_key:
            best_key, best = key, [steps]
        elif key == best_key:
            best.append(steps)
    paths: list[UpliftPath] = []
    for steps in best:
        increments: list[Increment] = []
        for category, k in zip(cats, steps, strict=True):
            start = scores.get(category.id, 0)
            for level in range(start, start + k):
                described = category.level(level + 1)
                increments.append(
                    Increment(
                        category.id,
                        category.name,
                        level,
                        level + 1,
                        float(_points(category, 1, rubric.max_score)),
                        described.description if described else "",
                    )
                )
        gained = sum(Fraction(i.points) for i in increments)
        paths.append(UpliftPath(tuple(increments), float(gained), float(current + gained)))
    return UpliftPlan(
        threshold, float(current), float(max(target - current, 0)), bool(paths), tuple(paths)
    )


@dataclass(frozen=True, slots=True)
class HistoryRow:
    date: date
    total: float
    delta: float | None
    scores: Mapping[str, int]
    category_deltas: Mapping[str, int]
    source: str | None = None


def history(rubric: Rubric, scorecards: Sequence[Scorecard]) -> list[HistoryRow]:
    rows: list[HistoryRow] = []
    previous: Scorecard | None = None
    for card in sorted(scorecards, key=lambda c: c.date):
        value = total(rubric, card.scores)
        delta = None if previous is None else round(value - total(rubric, previous.scores), 10)
        cat_deltas = (
            {}
            if previous is None
            else {
                c.id: card.scores.get(c.id, 0) - previous.scores.get(c.id, 0)
                for c in rubric.categories
            }
        )
        rows.append(HistoryRow(card.date, value, delta, dict(card.scores), cat_deltas, card.source))
        previous = card
    return rows


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the evidence supports for one category, against what was claimed."""

    category: str
    name: str
    claimed: int
    suggested: int
    unmet: tuple[str, ...]  # requirements of the next level up that do not hold
    over_claim: bool


def suggest(
    rubric: Rubric, scores: Mapping[str, int], satisfied: Callable[[str], bool]
) -> list[Suggestion]:
    """The highest level whose requirements (and those of every level below it)
    hold. Levels without requirements cannot be checked and are given the benefit
    of the doubt, so a suggestion is an upper bound: claiming more is flagged,
    claiming less is the team's call."""
    out: list[Suggestion] = []
    for category in rubric.categories:
        supported = 0
        unmet: tuple[str, ...] = ()
        for score in range(1, rubric.max_score + 1):
            level = category.level(score)
            missing = tuple(r for r in (level.requires if level else ()) if not satisfied(r))
            if missing:
                unmet = missing
                break
            supported = score
        claimed = scores.get(category.id, 0)
        out.append(
            Suggestion(category.id, category.name, claimed, supported, unmet, claimed > supported)
        )
    return out
