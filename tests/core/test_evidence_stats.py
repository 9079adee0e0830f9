"""Flake rates and their exact upper confidence bound."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slogate.core.evidence import (
    Attestation,
    FlakeRecord,
    FlakeRun,
    Waiver,
    clopper_pearson_upper,
)


def test_zero_failures_in_twenty_runs_bounds_at_about_14_percent() -> None:
    assert clopper_pearson_upper(0, 20) == pytest.approx(0.1391, abs=1e-4)


def test_known_values() -> None:
    # one-sided 95 % Clopper-Pearson: 1 failure in 20 -> about 21.6 %
    assert clopper_pearson_upper(1, 20) == pytest.approx(0.2161, abs=1e-3)
    assert clopper_pearson_upper(20, 20) == 1.0
    assert clopper_pearson_upper(0, 0) == 1.0


@given(st.integers(1, 60), st.data())
def test_bound_is_above_point_and_binomial_tail_is_alpha(n: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(0, n - 1))
    upper = clopper_pearson_upper(x, n)
    assert x / n < upper <= 1
    tail = sum(math.comb(n, k) * upper**k * (1 - upper) ** (n - k) for k in range(x + 1))
    assert tail == pytest.approx(0.05, abs=1e-6)


def test_flake_record_rates() -> None:
    runs = tuple(FlakeRun(i, 0 if i != 2 else 1, 3, int(i == 2), 0, 0) for i in range(1, 11))
    record = FlakeRecord(
        date(2026, 2, 19),
        "abc",
        ("pytest",),
        runs,
        tests={"a": (10, 0), "b": (9, 1), "c": (10, 0)},
    )
    assert record.failed_runs == 1 and record.run_rate == 0.1
    assert record.flaky_tests == ["b"] and record.test_rate == pytest.approx(1 / 3)
    assert record.upper_bound("runs") > 0.1


def test_attestation_and_waiver_expiry() -> None:
    att = Attestation("x", "claim", "me", date(2026, 2, 1), date(2026, 2, 28))
    assert att.valid_on(date(2026, 2, 28)) and not att.valid_on(date(2026, 3, 1))
    assert not att.valid_on(date(2026, 1, 31))
    waiver = Waiver("G4", "g4_flake", "lead", "CI outage", date(2026, 2, 20))
    assert waiver.active_on(date(2026, 2, 20)) and not waiver.active_on(date(2026, 2, 21))
    assert waiver.covers("G4", "g4_flake") and not waiver.covers("G4", "g4_tests")
