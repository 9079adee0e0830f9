"""Reference SLI maths over plain events, in pure Python.

This module is the oracle: the engine (`slogate.engine`, Ibis on DuckDB or
Spark) must produce exactly these numbers for the same events, and the parity
tests compare the two. It is written for clarity, not speed; never run it on a
production corpus.

An event here is a dict with `ts` (an aware `datetime` in UTC), `event` (its
name) and every other field flat at the top level (`session_id`, `cmd_id`,
`duration_ms`, ...). Readers produce such events after rejecting the lines
that cannot be parsed, so this module assumes names and timestamps are valid.

Semantics shared with the engine (documented in docs/engine.md):

- Time range: events with `since <= ts < until` (either bound optional).
- Exclusions: events inside an exclusion window that applies to the SLO are
  dropped before anything is computed.
- Numbers: a field is numeric when it holds a JSON number (not a boolean) or a
  string that spells a decimal number; NaN and infinities are not numbers.
- Filters: `FieldFilter.matches` (values compared as text; numbers compare by
  value, so 413, 413.0 and "413" are equal).
- Buckets: `bucket_of(ts)` is the UTC multiple of the bucket width at or before
  `ts`. Event kinds (ratio, rate, quantile, count, monitor) bucket each event by
  its own `ts`; `distinct_ratio` buckets a unit by the time of its first start
  event (failures anywhere in the range count); `growth` buckets a unit by its
  first sample; `correlation` buckets a key by its first send (or, for a key
  never sent, its first ack). A bucket in which nothing relevant happened is
  absent from the result.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slogate.core.result import Exclusion, SLIResult
from slogate.core.slo import (
    SLO,
    CorrelationSLI,
    CountSLI,
    DistinctRatioSLI,
    FieldFilter,
    FilterOp,
    GrowthSLI,
    MonitorSLI,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
    SLIKind,
    Target,
)

Event = Mapping[str, Any]

#: ceil(q * n) is computed as ceil(q * n - RANK_EPSILON) so that 0.95 * 60
#: (= 57.000000000000007 in binary floating point) gives rank 57, not 58. The
#: engine uses the same expression.
RANK_EPSILON = 1e-9

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_DECIMAL = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


# --- small helpers -------------------------------------------------------------


def nearest_rank(q: float, n: int) -> int:
    """1-based nearest rank of quantile q among n sorted samples (0 when n == 0)."""
    if n <= 0:
        return 0
    return max(1, min(n, math.ceil(q * n - RANK_EPSILON)))


def nearest_rank_value(values: Sequence[float], q: float) -> float | None:
    """pXX by nearest rank: sort ascending, take position ceil(q * n) (1-based)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[nearest_rank(q, len(ordered)) - 1]


def as_number(value: object) -> float | None:
    """The numeric reading of a field value, or None (booleans are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if not (isinstance(value, int | float) or (isinstance(value, str) and _DECIMAL.match(value))):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def to_micros(ts: datetime) -> int:
    """Microseconds since the epoch; naive datetimes are taken as UTC."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    delta = ts - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def bucket_of(ts: datetime, bucket: timedelta) -> datetime:
    """Start of the UTC-aligned bucket holding ts (days start at 00:00 UTC)."""
    width = _bucket_micros(bucket)
    us = to_micros(ts)
    return from_micros(us - us % width)


def _bucket_micros(bucket: timedelta) -> int:
    width = bucket // timedelta(microseconds=1)
    if width <= 0:
        raise ValueError("a bucket must be a positive duration")
    return width


def filter_matches(flt: FieldFilter, actual: object) -> bool:
    """`FieldFilter.matches`, plus numeric equality for numeric filter values.

    The engine compares numbers by value (413 == 413.0 == "413"), so the
    reference does too; everything else is `FieldFilter.matches`.
    """
    if flt.matches(actual):
        return True
    if flt.op is FilterOp.CONTAINS:
        return False
    wanted = flt.value if isinstance(flt.value, tuple) else (flt.value,)
    actual_number = as_number(actual)
    if actual_number is None:
        return False
    return any(
        not isinstance(v, bool) and isinstance(v, int | float) and float(v) == actual_number
        for v in wanted
    )


def selects(selector: Selector, event: Event) -> bool:
    if event.get("event") not in selector.events:
        return False
    return all(filter_matches(flt, event.get(flt.field)) for flt in selector.where)


def in_range(ts: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or ts >= since) and (until is None or ts < until)


def _excluded(ts: datetime, slo_id: str, exclusions: Sequence[Exclusion]) -> bool:
    return any(ex.applies_to(slo_id) and ex.start <= ts < ex.end for ex in exclusions)


# --- results from counts (shared by the reference and the engine) -------------


def ratio_result(slo: SLO, good: int, bad: int | None, total: int | None) -> SLIResult | None:
    """good / (good + bad) when `bad` is given, else good / total; None when
    nothing relevant happened (no good and no total)."""
    if bad is not None:
        total = good + bad
        counts = {"good": good, "bad": bad}
    else:
        assert total is not None
        counts = {"good": good, "total": total}
    if good == 0 and total == 0:
        return None
    value = good / total if total else None
    return SLIResult(slo.id, value, good, total, total, counts)


def rate_result(slo: SLO, bad: int, total: int) -> SLIResult | None:
    if bad == 0 and total == 0:
        return None
    value = bad / total if total else None
    return SLIResult(slo.id, value, total - bad, total, total, {"bad": bad, "total": total})


def quantile_result(slo: SLO, value: float | None, samples: int, within: int) -> SLIResult | None:
    if samples == 0:
        return None
    return SLIResult(
        slo.id, value, within, samples, samples, {"samples": samples, "within": within}
    )


def distinct_ratio_result(slo: SLO, started: int, failed: int) -> SLIResult | None:
    if started == 0:
        return None
    good = started - failed
    counts = {"started": started, "failed": failed}
    return SLIResult(slo.id, good / started, good, started, started, counts)


def count_result(slo: SLO, matched: int) -> SLIResult:
    return SLIResult(slo.id, float(matched), None, None, matched, {"matched": matched})


def monitor_result(slo: SLO, per_event: Mapping[str, int]) -> SLIResult | None:
    assert isinstance(slo.sli, MonitorSLI)
    counts = {name: int(per_event.get(name, 0)) for name in slo.sli.select.events}
    n = sum(counts.values())
    if n == 0:
        return None
    return SLIResult(slo.id, float(n), None, None, n, counts)


CORRELATION_COUNTS = ("sent", "acked", "errored", "lost", "duplicate")


def correlation_result(slo: SLO, keys: int, counts: Mapping[str, int]) -> SLIResult | None:
    """`keys`: correlation ids seen sent or acked; value = lost + duplicate."""
    if keys == 0:
        return None
    c = {name: int(counts.get(name, 0)) for name in CORRELATION_COUNTS}
    return SLIResult(slo.id, float(c["lost"] + c["duplicate"]), None, None, c["sent"], c)


def growth_result(slo: SLO, value: float | None, units: int, reached: int) -> SLIResult | None:
    if units == 0:
        return None
    counts = {"units": units, "units_reached": reached}
    return SLIResult(slo.id, value if reached else None, None, None, reached, counts)


def empty_result(slo: SLO) -> SLIResult:
    """The whole-range result when nothing relevant happened: no data, except
    for count kinds where zero is a value."""
    sli = slo.sli
    if isinstance(sli, CountSLI):
        return count_result(slo, 0)
    if isinstance(sli, MonitorSLI):
        return SLIResult(slo.id, 0.0, None, None, 0, {name: 0 for name in sli.select.events})
    if isinstance(sli, RatioSLI):
        key = "bad" if sli.bad is not None else "total"
        return SLIResult(slo.id, None, 0, 0, 0, {"good": 0, key: 0})
    if isinstance(sli, RateSLI):
        return SLIResult(slo.id, None, 0, 0, 0, {"bad": 0, "total": 0})
    if isinstance(sli, QuantileSLI):
        return SLIResult(slo.id, None, 0, 0, 0, {"samples": 0, "within": 0})
    if isinstance(sli, DistinctRatioSLI):
        return SLIResult(slo.id, None, 0, 0, 0, {"started": 0, "failed": 0})
    if isinstance(sli, CorrelationSLI):
        return SLIResult(slo.id, None, None, None, 0, dict.fromkeys(CORRELATION_COUNTS, 0))
    return SLIResult(slo.id, None, None, None, 0, {"units": 0, "units_reached": 0})


def with_bucket(result: SLIResult, start: datetime, end: datetime) -> SLIResult:
    return SLIResult(
        result.slo_id,
        result.value,
        result.good,
        result.total,
        result.samples,
        dict(result.counts),
        start,
        end,
    )


#: Kinds that count events, each by its own time: a result over a range is the sum
#: of the results over any buckets that cover it, whatever range each was queried over.
EVENT_ADDITIVE_KINDS = frozenset({SLIKind.RATIO, SLIKind.RATE, SLIKind.COUNT, SLIKind.MONITOR})
#: Kinds that judge units (sessions, keys) over the whole evaluated range and put
#: each unit in the bucket of its anchor: the bucketed results of ONE evaluation
#: add up to that evaluation's whole-range result, and only to that one (a unit's
#: verdict can change when the range does).
UNIT_ADDITIVE_KINDS = frozenset({SLIKind.DISTINCT_RATIO, SLIKind.CORRELATION, SLIKind.GROWTH})


def combine(slo: SLO, parts: Sequence[SLIResult]) -> SLIResult | None:
    """The result over the union of `parts`' buckets (None when `parts` is empty),
    equal to evaluating that union directly, under the conditions of
    `EVENT_ADDITIVE_KINDS` and `UNIT_ADDITIVE_KINDS`. A nearest-rank quantile
    cannot be rebuilt from parts: asking for one is a programming error."""
    if slo.kind is SLIKind.QUANTILE:
        raise ValueError(f"{slo.id}: a quantile cannot be combined from bucket results")
    if not parts:
        return None
    totals: dict[str, int] = {}
    for r in parts:
        for name, n in r.counts.items():
            totals[name] = totals.get(name, 0) + int(n)
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        if sli.bad is not None:
            return ratio_result(slo, totals.get("good", 0), totals.get("bad", 0), None)
        return ratio_result(slo, totals.get("good", 0), None, totals.get("total", 0))
    if isinstance(sli, RateSLI):
        return rate_result(slo, totals.get("bad", 0), totals.get("total", 0))
    if isinstance(sli, CountSLI):
        return count_result(slo, totals.get("matched", 0))
    if isinstance(sli, MonitorSLI):
        return monitor_result(slo, totals)
    if isinstance(sli, DistinctRatioSLI):
        return distinct_ratio_result(slo, totals.get("started", 0), totals.get("failed", 0))
    if isinstance(sli, CorrelationSLI):
        # A bucket exists only with at least one key, so the union has keys.
        return correlation_result(slo, len(parts), totals)
    peaks = [r.value for r in parts if r.value is not None]
    return growth_result(
        slo, max(peaks) if peaks else None, totals.get("units", 0), totals.get("units_reached", 0)
    )


# --- the reference: per-kind maths over one slice of events ---------------------


def _count_of(selector: Selector, events: Iterable[Event]) -> int:
    return sum(1 for e in events if selects(selector, e))


def _ratio(slo: SLO, sli: RatioSLI, events: Sequence[Event]) -> SLIResult | None:
    good = _count_of(sli.good, events)
    if sli.bad is not None:
        return ratio_result(slo, good, _count_of(sli.bad, events), None)
    assert sli.total is not None
    return ratio_result(slo, good, None, _count_of(sli.total, events))


def _within(target: Target | None, value: float) -> bool:
    return True if target is None else target.op.holds(value, target.value)


def _quantile(slo: SLO, sli: QuantileSLI, events: Sequence[Event]) -> SLIResult | None:
    values = [
        v
        for e in events
        if selects(sli.select, e) and (v := as_number(e.get(sli.field))) is not None
    ]
    within = sum(1 for v in values if _within(slo.target, v))
    return quantile_result(slo, nearest_rank_value(values, sli.quantile), len(values), within)


def _key(value: object) -> str:
    """Keys compare as the text the engine extracts from JSON (5 and "5" are one key)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _first_starts(sli: DistinctRatioSLI, events: Iterable[Event]) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for e in events:
        if selects(sli.start, e) and e.get(sli.key) is not None:
            k = _key(e[sli.key])
            first[k] = min(first.get(k, e["ts"]), e["ts"])
    return first


def _failed_keys(sli: DistinctRatioSLI, events: Iterable[Event]) -> set[str]:
    return {
        _key(e[sli.key]) for e in events if selects(sli.failure, e) and e.get(sli.key) is not None
    }


@dataclass(slots=True)
class _KeyState:
    sends: int = 0
    acks: int = 0
    errors: int = 0
    first_send: datetime | None = None
    first_ack: datetime | None = None
    first_response: datetime | None = None


def _earliest(current: datetime | None, ts: datetime) -> datetime:
    return ts if current is None or ts < current else current


def _correlation_keys(sli: CorrelationSLI, events: Iterable[Event]) -> dict[str, _KeyState]:
    keys: dict[str, _KeyState] = defaultdict(_KeyState)
    for e in events:
        if e.get(sli.key) is None:
            continue
        is_send = selects(sli.send, e)
        is_ack = selects(sli.ack, e)
        is_err = sli.error is not None and selects(sli.error, e)
        if not (is_send or is_ack or is_err):
            continue
        st = keys[_key(e[sli.key])]
        ts: datetime = e["ts"]
        if is_send:
            st.sends += 1
            st.first_send = _earliest(st.first_send, ts)
        if is_ack:
            st.acks += 1
            st.first_ack = _earliest(st.first_ack, ts)
        if is_err:
            st.errors += 1
        if is_ack or is_err:
            st.first_response = _earliest(st.first_response, ts)
    return {k: v for k, v in keys.items() if v.sends or v.acks}


def _correlation(
    slo: SLO, sli: CorrelationSLI, states: Sequence[_KeyState], until_ref: datetime | None
) -> SLIResult | None:
    """lost: a send whose grace period ended by `until_ref` with no ack or error
    at or before its deadline; duplicate: a key acked more than once."""
    grace = timedelta(microseconds=grace_micros(sli.grace_seconds))
    c = dict.fromkeys(CORRELATION_COUNTS, 0)
    for st in states:
        c["duplicate"] += st.acks > 1
        if st.first_send is None:
            continue
        c["sent"] += 1
        c["acked"] += st.acks > 0
        c["errored"] += st.errors > 0
        deadline = st.first_send + grace
        if until_ref is not None and deadline <= until_ref:
            answered = st.first_response is not None and st.first_response <= deadline
            c["lost"] += not answered
    return correlation_result(slo, len(states), c)


def grace_micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


@dataclass(slots=True)
class _Unit:
    first_ts: datetime
    baseline: float
    peak: float | None = None


def _growth_units(sli: GrowthSLI, events: Iterable[Event]) -> dict[str, _Unit]:
    """Per unit: first sample (ties at the first instant: the lowest value) and the
    peak among samples whose progress reached the minimum."""
    units: dict[str, _Unit] = {}
    for e in events:
        if not selects(sli.select, e) or e.get(sli.unit_key) is None:
            continue
        value = as_number(e.get(sli.field))
        if value is None:
            continue
        ts: datetime = e["ts"]
        key = _key(e[sli.unit_key])
        unit = units.get(key)
        if unit is None:
            unit = units[key] = _Unit(ts, value)
        elif ts < unit.first_ts:
            unit.first_ts, unit.baseline = ts, value
        elif ts == unit.first_ts:
            unit.baseline = min(unit.baseline, value)
        progress = as_number(e.get(sli.progress_field))
        if progress is not None and progress >= sli.progress_min:
            unit.peak = value if unit.peak is None else max(unit.peak, value)
    return units


def _growth(slo: SLO, units: Sequence[_Unit]) -> SLIResult | None:
    growths = [u.peak - u.baseline for u in units if u.peak is not None]
    return growth_result(slo, max(growths) if growths else None, len(units), len(growths))


def _monitor(slo: SLO, sli: MonitorSLI, events: Sequence[Event]) -> SLIResult | None:
    per: dict[str, int] = defaultdict(int)
    for e in events:
        if selects(sli.select, e):
            per[str(e["event"])] += 1
    return monitor_result(slo, per)


def _slice(slo: SLO, events: Sequence[Event], until_ref: datetime | None) -> SLIResult | None:
    """One result over events of one bucket (or the whole range); None = nothing relevant."""
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        return _ratio(slo, sli, events)
    if isinstance(sli, RateSLI):
        return rate_result(slo, _count_of(sli.bad, events), _count_of(sli.total, events))
    if isinstance(sli, QuantileSLI):
        return _quantile(slo, sli, events)
    if isinstance(sli, CountSLI):
        n = _count_of(sli.select, events)
        return count_result(slo, n) if n else None
    if isinstance(sli, MonitorSLI):
        return _monitor(slo, sli, events)
    raise AssertionError(f"{sli.kind} is evaluated per unit, not per event slice")


# --- entry points ----------------------------------------------------------------


def evaluate(
    slo: SLO,
    events: Iterable[Event],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: timedelta | None = None,
    exclusions: Sequence[Exclusion] = (),
    until_ref: datetime | None = None,
) -> list[SLIResult]:
    """Results of one SLO: exactly one for the whole range (`empty_result` when
    nothing relevant happened), or one per non-empty bucket when `bucket` is set.

    `until_ref` is the time against which correlation grace is measured: `until`
    when given, else the latest `ts` among all the events passed.
    """
    all_events = list(events)
    if until_ref is None:
        until_ref = until
        if until_ref is None and all_events:
            until_ref = max(e["ts"] for e in all_events)
    kept = [
        e
        for e in all_events
        if in_range(e["ts"], since, until) and not _excluded(e["ts"], slo.id, exclusions)
    ]
    results = _by_anchor(slo, kept, until_ref, bucket)
    if bucket is None:
        return [results[0] if results else empty_result(slo)]
    return results


def _by_anchor(
    slo: SLO, events: Sequence[Event], until_ref: datetime | None, bucket: timedelta | None
) -> list[SLIResult]:
    """Group units or events by their anchor time's bucket and evaluate each group."""

    def slot(ts: datetime) -> datetime:
        return EPOCH if bucket is None else bucket_of(ts, bucket)

    out: list[tuple[datetime, SLIResult | None]] = []
    sli = slo.sli
    if isinstance(sli, DistinctRatioSLI):
        failed = _failed_keys(sli, events)
        started: dict[datetime, set[str]] = defaultdict(set)
        for k, ts in _first_starts(sli, events).items():
            started[slot(ts)].add(k)
        for start, keys in started.items():
            out.append((start, distinct_ratio_result(slo, len(keys), len(keys & failed))))
    elif isinstance(sli, CorrelationSLI):
        grouped: dict[datetime, list[_KeyState]] = defaultdict(list)
        for st in _correlation_keys(sli, events).values():
            anchor = st.first_send if st.first_send is not None else st.first_ack
            assert anchor is not None
            grouped[slot(anchor)].append(st)
        for start, states in grouped.items():
            out.append((start, _correlation(slo, sli, states, until_ref)))
    elif isinstance(sli, GrowthSLI):
        units: dict[datetime, list[_Unit]] = defaultdict(list)
        for unit in _growth_units(sli, events).values():
            units[slot(unit.first_ts)].append(unit)
        for start, group in units.items():
            out.append((start, _growth(slo, group)))
    else:
        per: dict[datetime, list[Event]] = defaultdict(list)
        for e in events:
            per[slot(e["ts"])].append(e)
        for start, group in per.items():
            out.append((start, _slice(slo, group, until_ref)))
    ordered = sorted((item for item in out if item[1] is not None), key=lambda item: item[0])
    if bucket is None:
        return [r for _, r in ordered if r is not None]
    return [with_bucket(r, start, start + bucket) for start, r in ordered if r is not None]


def evaluate_all(
    slos: Sequence[SLO], events: Iterable[Event], **kwargs: Any
) -> dict[str, list[SLIResult]]:
    """`evaluate` for several SLOs over the same events (the engine's shape)."""
    materialised = list(events)
    return {slo.id: evaluate(slo, materialised, **kwargs) for slo in slos}
