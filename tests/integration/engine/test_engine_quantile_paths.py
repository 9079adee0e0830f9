"""Both ways the engine ranks a quantile give the core reference's nearest rank.

DuckDB runs `quantile_disc` with the fraction as an exact decimal; the portable
path (a sort or a per-value histogram with running counts) runs on Spark and for
fractions with more than `NATIVE_QUANTILE_PLACES` places. Each is held to the
reference here on DuckDB, with fractions whose q * n lands on whole ranks, and
with many ties."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slogate.core import sli as ref
from slogate.core.slo import SLO, Op, QuantileSLI, Selector, Target, Unit
from slogate.engine import open_events
from slogate.engine.queries import NATIVE_QUANTILE_PLACES, exact_fraction, plan
from tests.integration.engine.corpus import CATALOG, T0, write_jsonl

#: Fractions where float rounding of q * n matters (0.07 * 100 = 7.000000000000001),
#: the edges (1.0), and one with too many places for the native path.
FRACTIONS = (0.07, 0.5, 0.95, 0.99, 0.999999, 1.0, 0.1234567)
QUANTILE_SLOS = [
    SLO(
        id=f"q{i}",
        pillar="fam",
        name=f"q{i}",
        sli=QuantileSLI(Selector(("a", "b")), "x", q),
        target=Target(Op.LE, 50, Unit.MS),
    )
    for i, q in enumerate(FRACTIONS)
]


def test_exact_fraction_takes_short_decimals_only() -> None:
    assert exact_fraction(0.95) == Decimal("0.95")
    assert exact_fraction(1.0) == Decimal("1")
    assert exact_fraction(0.999999) == Decimal("0.999999")
    assert exact_fraction(0.1234567) is None
    assert exact_fraction(1e-7) is None
    assert exact_fraction(1.5) is None
    assert NATIVE_QUANTILE_PLACES == 6


@st.composite
def samples(draw: st.DrawFn) -> list[dict[str, Any]]:
    # Few distinct values (ties) or many; sizes around the ranks 0.07 and 0.95 hit.
    n = draw(st.sampled_from([1, 2, 20, 57, 60, 100])) if draw(st.booleans()) else None
    value = st.one_of(st.integers(0, 6), st.floats(0, 100, allow_nan=False))
    count = n if n is not None else draw(st.integers(0, 120))
    return [
        {
            "ts": T0 + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60))),
            "event": draw(st.sampled_from(["a", "b", "c"])),
            "x": draw(value),
        }
        for _ in range(count)
    ]


def _evaluate(events: list[dict[str, Any]], native: bool, **kw: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_jsonl(Path(tmp) / "events.jsonl", events)
        with open_events([path], CATALOG) as table:
            table.native_quantile = native
            return table.evaluate(QUANTILE_SLOS, **kw)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples(),
    st.booleans(),
    st.sampled_from([None, timedelta(minutes=5), timedelta(hours=1), timedelta(days=1)]),
)
def test_both_paths_match_the_reference(
    events: list[dict[str, Any]], native: bool, bucket: timedelta | None
) -> None:
    got = _evaluate(events, native, bucket=bucket)
    want = ref.evaluate_all(QUANTILE_SLOS, events, bucket=bucket)
    for slo in QUANTILE_SLOS:
        assert got[slo.id] == want[slo.id], (slo.id, native)


def test_whole_ranks_where_floating_point_would_round_up(tmp_path: Path) -> None:
    """0.07 * 100 is 7.000000000000001 in floating point: the rank is still 7."""
    events = [{"ts": T0 + timedelta(seconds=i), "event": "a", "x": float(i)} for i in range(1, 101)]
    for native in (True, False):
        got = _evaluate(events, native)
        assert got["q0"][0].value == 7.0
        assert got["q2"][0].value == 95.0
        assert got["q5"][0].value == 100.0


@pytest.mark.parametrize(("fraction", "native"), [(0.95, True), (0.1234567, False)])
def test_duckdb_compiles_short_fractions_to_quantile_disc(
    tmp_path: Path, fraction: float, native: bool
) -> None:
    """Guard against a silent fall back: the fast path is the one that runs."""
    path = write_jsonl(tmp_path / "e.jsonl", [{"ts": T0, "event": "a", "x": 1.0}])
    slo = SLO(
        id="p",
        pillar="fam",
        name="p",
        sli=QuantileSLI(Selector(("a",)), "x", fraction),
        target=Target(Op.LE, 50, Unit.MS),
    )
    with open_events([path], CATALOG) as table:
        p = plan(
            slo,
            table.table(),
            table.layout,
            width_us=300_000_000,
            until_ref_us=None,
            native_quantile=True,
        )
        sql = str(ibis.to_sql(p.expr, dialect="duckdb")).lower()
    assert ("quantile_disc" in sql) is native
    assert ("row_number" in sql) is not native
