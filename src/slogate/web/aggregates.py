"""Incremental 5-minute aggregates per SLO, so pages never rescan raw events.

The ingest path calls `observe(events)` with every accepted event; on start the
server calls `rebuild_from_store(data_dir)` once (in a worker thread). Both feed
the same `_add` so that a rebuild equals the incremental state (a test checks).

What a bucket keeps depends on the SLI kind, just enough to compute the SLI over
any union of buckets:

- ratio: good and bad (or good and total) counts;
- rate: bad and total counts;
- quantile: samples within the target and all samples, plus a log histogram
  (1 % relative resolution) for the value: counts are exact, the pXX value over
  a range is within 1 % of the nearest-rank value;
- distinct_ratio: the set of unit keys started and the set that failed;
- count: matched events;
- correlation: per key, sends, acks and errors;
- growth: per unit, its first sample and its highest sample past the progress mark;
- monitor: counts per event name.

Selectors use the reference semantics of `slogate.core.slo` (event name in the
selector and every `FieldFilter.matches`). Repeated `event_id`s are dropped
among the last 100 000 events (retries after a lost answer), as the readers do.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from slogate.core.result import SLIResult
from slogate.core.slo import (
    SLO,
    CorrelationSLI,
    CountSLI,
    DistinctRatioSLI,
    GrowthSLI,
    MonitorSLI,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
    events_of,
)

BUCKET_SECONDS = 300
_HIST_BASE = math.log(1.01)
_DEDUPE_CAPACITY = 100_000


# --- event normalisation ----------------------------------------------------


def event_name(event: Mapping[str, Any]) -> str | None:
    for key in ("event", "name", "type"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def event_epoch(event: Mapping[str, Any]) -> float | None:
    """Seconds since the epoch from `ts` (or `timestamp`/`time`): ISO 8601,
    epoch seconds or epoch milliseconds, as the readers accept."""
    for key in ("ts", "timestamp", "time"):
        value = event.get(key)
        if value is None:
            continue
        if isinstance(value, datetime):
            dt = value if value.tzinfo else value.replace(tzinfo=UTC)
            return dt.timestamp()
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            number = float(value)
            return number / 1000.0 if abs(number) > 1e11 else number
        if isinstance(value, str):
            try:
                dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                try:
                    return event_epoch({"ts": float(value)})
                except ValueError:
                    return None
            return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    return None


def _matches(selector: Selector, name: str, event: Mapping[str, Any]) -> bool:
    return name in selector.events and all(f.matches(event.get(f.field)) for f in selector.where)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _hist_key(value: float) -> int:
    if value <= 0:
        return -(10**9)
    return round(math.log(value) / _HIST_BASE)


def _hist_value(key: int) -> float:
    return 0.0 if key == -(10**9) else math.exp(key * _HIST_BASE)


def nearest_rank(hist: Mapping[int, int], quantile: float) -> float | None:
    n = sum(hist.values())
    if n == 0:
        return None
    rank = max(1, math.ceil(quantile * n))
    seen = 0
    for key in sorted(hist):
        seen += hist[key]
        if seen >= rank:
            return _hist_value(key)
    return None  # pragma: no cover - rank <= n


# --- per-kind accumulators --------------------------------------------------


class _Kind:
    """One SLO's buckets. `add` mutates a bucket; `result` merges buckets."""

    #: Seconds after a range's end during which its result still depends on `now`.
    settle_seconds: float = 0.0

    def __init__(self, slo: SLO) -> None:
        self.slo = slo
        self.buckets: dict[int, Any] = {}
        self.touched: dict[int, int] = {}  # bucket -> mutations, to validate the cache
        self.cache: dict[tuple[int, int], tuple[tuple[tuple[int, int], ...], SLIResult]] = {}

    def new(self) -> Any:
        raise NotImplementedError

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        raise NotImplementedError

    def _bucket(self, bucket: int) -> Any:
        self.touched[bucket] = self.touched.get(bucket, 0) + 1
        state = self.buckets.get(bucket)
        if state is None:
            state = self.buckets[bucket] = self.new()
        return state

    def digest(self) -> dict[int, Any]:
        return {b: _canon(s) for b, s in sorted(self.buckets.items())}


def _canon(state: Any) -> Any:
    if isinstance(state, set | frozenset):
        return sorted(state)
    if isinstance(state, dict):
        return {str(k): _canon(v) for k, v in sorted(state.items(), key=lambda kv: str(kv[0]))}
    if isinstance(state, list | tuple):
        return [_canon(v) for v in state]
    return state


def _mk(
    slo_id: str,
    value: float | None,
    good: int | None,
    total: int | None,
    samples: int,
    counts: dict[str, int],
    start: int,
    end: int,
) -> SLIResult:
    return SLIResult(
        slo_id=slo_id,
        value=value,
        good=good,
        total=total,
        samples=samples,
        counts=counts,
        bucket_start=datetime.fromtimestamp(start, UTC),
        bucket_end=datetime.fromtimestamp(end, UTC),
    )


class _Ratio(_Kind):
    sli: RatioSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, RatioSLI)
        self.sli = slo.sli

    def new(self) -> list[int]:
        return [0, 0]  # good, bad-or-total

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        hit = False
        if _matches(self.sli.good, name, event):
            self._bucket(bucket)[0] += 1
            hit = True
        other = self.sli.bad if self.sli.bad is not None else self.sli.total
        if other is not None and _matches(other, name, event):
            self._bucket(bucket)[1] += 1
            hit = True
        return hit

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        good = sum(s[0] for s in states)
        other = sum(s[1] for s in states)
        if self.sli.bad is not None:
            total = good + other
            counts = {"good": good, "bad": other}
        else:
            total = other
            counts = {"good": good, "total": other}
        value = good / total if total else None
        return _mk(self.slo.id, value, good, total, total, counts, start, end)


class _Rate(_Kind):
    sli: RateSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, RateSLI)
        self.sli = slo.sli

    def new(self) -> list[int]:
        return [0, 0]  # bad, total

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        hit = False
        if _matches(self.sli.bad, name, event):
            self._bucket(bucket)[0] += 1
            hit = True
        if _matches(self.sli.total, name, event):
            self._bucket(bucket)[1] += 1
            hit = True
        return hit

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        bad = sum(s[0] for s in states)
        total = sum(s[1] for s in states)
        value = bad / total if total else None
        return _mk(
            self.slo.id, value, total - bad, total, total, {"bad": bad, "total": total}, start, end
        )


class _Quantile(_Kind):
    sli: QuantileSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, QuantileSLI)
        self.sli = slo.sli

    def new(self) -> list[Any]:
        return [0, 0, Counter()]  # within, samples, histogram

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        if not _matches(self.sli.select, name, event):
            return False
        value = _number(event.get(self.sli.field))
        if value is None:
            return False
        state = self._bucket(bucket)
        target = self.slo.target
        if target is None or target.op.holds(value, target.value):
            state[0] += 1
        state[1] += 1
        state[2][_hist_key(value)] += 1
        return True

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        within = sum(s[0] for s in states)
        samples = sum(s[1] for s in states)
        hist: Counter[int] = Counter()
        for s in states:
            hist.update(s[2])
        value = nearest_rank(hist, self.sli.quantile)
        return _mk(
            self.slo.id,
            value,
            within,
            samples,
            samples,
            {"samples": samples, "within": within},
            start,
            end,
        )


class _Distinct(_Kind):
    sli: DistinctRatioSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, DistinctRatioSLI)
        self.sli = slo.sli

    def new(self) -> list[set[str]]:
        return [set(), set()]  # started, failed

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        key = event.get(self.sli.key)
        if key is None or key == "":
            return False
        hit = False
        if _matches(self.sli.start, name, event):
            self._bucket(bucket)[0].add(str(key))
            hit = True
        if _matches(self.sli.failure, name, event):
            self._bucket(bucket)[1].add(str(key))
            hit = True
        return hit

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        started: set[str] = set()
        failed: set[str] = set()
        for s in states:
            started |= s[0]
            failed |= s[1]
        failed_started = len(started & failed)
        total = len(started)
        good = total - failed_started
        value = good / total if total else None
        return _mk(
            self.slo.id,
            value,
            good,
            total,
            total,
            {"started": total, "failed": failed_started},
            start,
            end,
        )


class _Count(_Kind):
    sli: CountSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, CountSLI)
        self.sli = slo.sli

    def new(self) -> list[int]:
        return [0]

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        if _matches(self.sli.select, name, event):
            self._bucket(bucket)[0] += 1
            return True
        return False

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        matched = sum(s[0] for s in states)
        return _mk(
            self.slo.id, float(matched), None, None, matched, {"matched": matched}, start, end
        )


class _Correlation(_Kind):
    sli: CorrelationSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, CorrelationSLI)
        self.sli = slo.sli
        self.settle_seconds = slo.sli.grace_seconds

    def new(self) -> dict[str, list[int]]:
        return {}  # key -> [sent, acked, errored]

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        key = event.get(self.sli.key)
        if key is None or key == "":
            return False
        roles = (
            (0, self.sli.send),
            (1, self.sli.ack),
            (2, self.sli.error),
        )
        hit = False
        for index, selector in roles:
            if selector is not None and _matches(selector, name, event):
                self._bucket(bucket).setdefault(str(key), [0, 0, 0])[index] += 1
                hit = True
        return hit

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        merged: dict[str, list[int]] = {}
        for s in states:
            for key, (sent, acked, errored) in s.items():
                row = merged.setdefault(key, [0, 0, 0])
                row[0] += sent
                row[1] += acked
                row[2] += errored
        # A send is lost only once the grace period after the range has passed.
        settled = now >= end + self.sli.grace_seconds
        lost = sum(1 for r in merged.values() if r[0] and not r[1] and not r[2]) if settled else 0
        duplicate = sum(1 for r in merged.values() if r[1] > 1)
        sent = sum(1 for r in merged.values() if r[0])
        counts = {
            "sent": sent,
            "acked": sum(1 for r in merged.values() if r[1]),
            "errored": sum(1 for r in merged.values() if r[2]),
            "lost": lost,
            "duplicate": duplicate,
        }
        return _mk(self.slo.id, float(lost + duplicate), None, None, sent, counts, start, end)


class _Growth(_Kind):
    sli: GrowthSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, GrowthSLI)
        self.sli = slo.sli

    def new(self) -> dict[str, list[Any]]:
        return {}  # unit -> [first_ts, first_value, max value past progress or None]

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        if not _matches(self.sli.select, name, event):
            return False
        unit = event.get(self.sli.unit_key)
        value = _number(event.get(self.sli.field))
        ts = event_epoch(event)
        if unit is None or value is None or ts is None:
            return False
        row = self._bucket(bucket).get(str(unit))
        if row is None:
            row = self._bucket(bucket)[str(unit)] = [ts, value, None]
        elif ts < row[0]:
            row[0], row[1] = ts, value
        progress = _number(event.get(self.sli.progress_field))
        if progress is not None and progress >= self.sli.progress_min:
            row[2] = value if row[2] is None else max(row[2], value)
        return True

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        merged: dict[str, list[Any]] = {}
        for s in states:
            for unit, (ts, first, top) in s.items():
                row = merged.get(unit)
                if row is None:
                    merged[unit] = [ts, first, top]
                    continue
                if ts < row[0]:
                    row[0], row[1] = ts, first
                if top is not None:
                    row[2] = top if row[2] is None else max(row[2], top)
        growths = [top - first for _, first, top in merged.values() if top is not None]
        value = max(growths) if growths else None
        return _mk(
            self.slo.id,
            value,
            None,
            None,
            len(growths),
            {"units": len(merged), "units_reached": len(growths)},
            start,
            end,
        )


class _Monitor(_Kind):
    sli: MonitorSLI

    def __init__(self, slo: SLO) -> None:
        super().__init__(slo)
        assert isinstance(slo.sli, MonitorSLI)
        self.sli = slo.sli

    def new(self) -> Counter[str]:
        return Counter()

    def add(self, bucket: int, name: str, event: Mapping[str, Any]) -> bool:
        if _matches(self.sli.select, name, event):
            self._bucket(bucket)[name] += 1
            return True
        return False

    def result(self, states: Sequence[Any], start: int, end: int, now: float) -> SLIResult:
        counts: Counter[str] = Counter()
        for s in states:
            counts.update(s)
        total = sum(counts.values())
        return _mk(self.slo.id, float(total), None, None, total, dict(counts), start, end)


_KINDS: dict[type, type[_Kind]] = {
    RatioSLI: _Ratio,
    RateSLI: _Rate,
    QuantileSLI: _Quantile,
    DistinctRatioSLI: _Distinct,
    CountSLI: _Count,
    CorrelationSLI: _Correlation,
    GrowthSLI: _Growth,
    MonitorSLI: _Monitor,
}


# --- the aggregate store ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RebuildReport:
    files: int
    lines: int
    events: int
    duplicates: int
    unreadable: int
    seconds: float


class _RecentIds:
    """The last `capacity` event_ids seen (insertion order). A retried batch lands
    next to its original in the stream and in the store's segments, whatever the
    order of days and files a rebuild reads them in."""

    def __init__(self, capacity: int = _DEDUPE_CAPACITY) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def seen(self, event_id: str) -> bool:
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return False


class SLOAggregates:
    """5-minute buckets per SLO, plus accepted events per minute for the ingest page.

    Thread-safe: the ingest path, the rebuild thread and page handlers share it.
    `retention_days` bounds memory: older buckets are dropped on `prune(now)`.
    """

    def __init__(self, slos: Iterable[SLO], *, retention_days: int = 31) -> None:
        self._slos: dict[str, SLO] = {s.id: s for s in slos}
        self._kinds: dict[str, _Kind] = {k: _KINDS[type(s.sli)](s) for k, s in self._slos.items()}
        self._by_event: dict[str, list[_Kind]] = {}
        for agg in self._kinds.values():
            for name in events_of(agg.slo.sli):
                self._by_event.setdefault(name, []).append(agg)
        self._lock = threading.RLock()
        self._ids = _RecentIds()
        self._per_minute: Counter[int] = Counter()
        self.retention_days = retention_days
        self.events_seen = 0
        self.duplicates = 0
        self.version = 0
        self.rebuilding = False
        self.last_rebuild: RebuildReport | None = None
        self._pending: list[Mapping[str, Any]] | None = None

    @property
    def slos(self) -> dict[str, SLO]:
        return dict(self._slos)

    # --- writes -----------------------------------------------------------------

    def observe(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Add accepted events (canonical dicts). Returns how many were counted
        (not dropped as repeats). Safe to call from any thread."""
        with self._lock:
            if self._pending is not None:
                batch = list(events)
                self._pending.extend(batch)
                return len(batch)
            return self._observe_locked(events)

    def _observe_locked(self, events: Iterable[Mapping[str, Any]]) -> int:
        counted = 0
        for event in events:
            if self._add(event):
                counted += 1
        if counted:
            self.version += 1
        return counted

    def _add(self, event: Mapping[str, Any]) -> bool:
        ts = event_epoch(event)
        name = event_name(event)
        if ts is None or name is None:
            return False
        event_id = event.get("event_id")
        if isinstance(event_id, str) and event_id and self._ids.seen(event_id):
            self.duplicates += 1
            return False
        self.events_seen += 1
        self._per_minute[int(ts // 60) * 60] += 1
        bucket = int(ts // BUCKET_SECONDS) * BUCKET_SECONDS
        for agg in self._by_event.get(name, ()):
            agg.add(bucket, name, event)
        return True

    def rebuild_from_store(self, data_dir: Path, *, now: datetime) -> RebuildReport:
        """Recompute every bucket from the store's segments within retention.

        Events observed while the rebuild runs are held and applied afterwards
        (dropping those the rebuild already counted, by event_id)."""
        import time

        started = time.perf_counter()
        with self._lock:
            self._pending = []
            self.rebuilding = True
        fresh = SLOAggregates(list(self._slos.values()), retention_days=self.retention_days)
        files = lines = unreadable = 0
        since = (now - timedelta(days=self.retention_days)).date()
        try:
            for path in store_segments(data_dir, since=since):
                files += 1
                for row in read_segment(path):
                    lines += 1
                    if row is None:
                        unreadable += 1
                        continue
                    fresh._add(row)
        finally:
            with self._lock:
                pending = self._pending or []
                self._pending = None
                self._kinds = fresh._kinds
                self._by_event = fresh._by_event
                self._ids = fresh._ids
                self._per_minute = fresh._per_minute
                self.events_seen = fresh.events_seen
                self.duplicates = fresh.duplicates
                self._observe_locked(pending)
                self.version += 1
                self.rebuilding = False
        report = RebuildReport(
            files=files,
            lines=lines,
            events=fresh.events_seen,
            duplicates=fresh.duplicates,
            unreadable=unreadable,
            seconds=time.perf_counter() - started,
        )
        self.last_rebuild = report
        return report

    def prune(self, now: datetime) -> None:
        cutoff = now.timestamp() - self.retention_days * 86400
        with self._lock:
            for agg in self._kinds.values():
                for bucket in [b for b in agg.buckets if b < cutoff]:
                    del agg.buckets[bucket]
                    agg.touched.pop(bucket, None)
                for key in [k for k in agg.cache if k[1] < cutoff]:
                    del agg.cache[key]
            for minute in [m for m in self._per_minute if m < now.timestamp() - 86400]:
                del self._per_minute[minute]

    # --- reads ------------------------------------------------------------------

    def result(self, slo_id: str, start: datetime, end: datetime, *, now: datetime) -> SLIResult:
        """The SLI over [start, end), merged from the buckets that start inside it."""
        lo, hi = int(start.timestamp()), int(end.timestamp())
        with self._lock:
            agg = self._kinds[slo_id]
            states = [s for b, s in agg.buckets.items() if lo <= b < hi]
            return agg.result(states, lo, hi, now.timestamp())

    def series(
        self,
        slo_id: str,
        start: datetime,
        end: datetime,
        *,
        step: int = BUCKET_SECONDS,
        now: datetime,
    ) -> list[SLIResult]:
        """One result per `step` seconds with data (steps without data are omitted,
        as the engine does)."""
        lo = int(start.timestamp()) // step * step
        hi = int(end.timestamp())
        at = now.timestamp()
        with self._lock:
            agg = self._kinds[slo_id]
            grouped: dict[int, list[int]] = {}
            for bucket in agg.buckets:
                if lo <= bucket < hi:
                    grouped.setdefault(bucket // step * step, []).append(bucket)
            out: list[SLIResult] = []
            for g in sorted(grouped):
                # A merged step is reused while none of its buckets changed (closed
                # hours and days of a 30-day chart are merged once, not per view).
                buckets = sorted(grouped[g])
                signature = tuple((b, agg.touched.get(b, 0)) for b in buckets)
                hit = agg.cache.get((step, g))
                if hit is not None and hit[0] == signature:
                    out.append(hit[1])
                    continue
                result = agg.result([agg.buckets[b] for b in buckets], g, g + step, at)
                if at >= g + step + agg.settle_seconds:
                    agg.cache[(step, g)] = (signature, result)
                out.append(result)
            return out

    def current(self, slo_id: str, start: datetime, end: datetime, *, now: datetime) -> SLIResult:
        """One result over every bucket in [start, end): the SLI "right now" over a
        period, for /metrics, merged from the buckets without touching raw events."""
        lo, hi = int(start.timestamp()), int(end.timestamp())
        with self._lock:
            agg = self._kinds[slo_id]
            states = [agg.buckets[b] for b in sorted(agg.buckets) if lo <= b < hi]
            return agg.result(states, lo, hi, now.timestamp())

    def events_per_minute(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        lo, hi = int(start.timestamp()) // 60 * 60, int(end.timestamp())
        with self._lock:
            return [
                (datetime.fromtimestamp(m, UTC), self._per_minute.get(m, 0))
                for m in range(lo, hi, 60)
            ]

    def digest(self) -> dict[str, Any]:
        """A canonical, comparable form of every bucket (tests compare rebuilds)."""
        with self._lock:
            return {slo_id: agg.digest() for slo_id, agg in sorted(self._kinds.items())}


# --- store readers ------------------------------------------------------------


def store_segments(data_dir: Path, *, since: Any = None) -> list[Path]:
    """Segments under DIR/events/date=YYYY-MM-DD/, oldest day first; a `.jsonl`
    with a `.parquet` twin is skipped (compaction finished; no double count).
    `.log` files (application log lines, JSON after a text prefix, as `slogate
    demo` writes them) are read too."""
    root = Path(data_dir) / "events"
    if not root.is_dir():
        return []
    out: list[Path] = []
    for day_dir in sorted(root.glob("date=*")):
        day = day_dir.name.removeprefix("date=")
        if since is not None:
            try:
                if datetime.strptime(day, "%Y-%m-%d").date() < since:
                    continue
            except ValueError:
                continue
        files = sorted(p for p in day_dir.iterdir() if p.suffix in (".jsonl", ".parquet", ".log"))
        parquet_stems = {p.stem for p in files if p.suffix == ".parquet"}
        out.extend(p for p in files if not (p.suffix == ".jsonl" and p.stem in parquet_stems))
    return out


def read_segment(path: Path) -> Iterator[dict[str, Any] | None]:
    """Rows of one segment as flat dicts; None for a line that is not a JSON object
    (a torn last line, say), so callers can count it."""
    if path.suffix == ".parquet":
        yield from _read_parquet(path)
        return
    try:
        handle = path.open("rb")
    except FileNotFoundError:  # compacted away between listing and reading
        return
    with handle:
        for raw in handle:
            if not raw.strip():
                continue
            if path.suffix == ".log" and not raw.lstrip().startswith(b"{"):
                brace = raw.find(b"{")
                raw = raw[brace:] if brace >= 0 else b""
            try:
                row = orjson.loads(raw)
            except orjson.JSONDecodeError:
                yield None
                continue
            yield row if isinstance(row, dict) else None


def _read_parquet(path: Path) -> Iterator[dict[str, Any] | None]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (FileNotFoundError, OSError):
        return
    for row in table.to_pylist():
        attrs = row.pop("attrs", None)
        if isinstance(attrs, str) and attrs:
            try:
                extra = orjson.loads(attrs)
            except orjson.JSONDecodeError:
                extra = None
            if isinstance(extra, dict):
                for key, value in extra.items():
                    row.setdefault(key, value)
        yield {k: v for k, v in row.items() if v is not None}
