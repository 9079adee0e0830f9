"""A small catalog and one SLO of every kind (several shapes each), shared by the
engine parity tests (engine vs core reference, DuckDB vs Spark)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slogate.core.catalog import Catalog, EventSpec, FieldType, Origin
from slogate.core.slo import (
    SLO,
    CorrelationSLI,
    CountSLI,
    DistinctRatioSLI,
    FieldFilter,
    FilterOp,
    GrowthSLI,
    MonitorSLI,
    Op,
    QuantileSLI,
    RateSLI,
    RatioSLI,
    Selector,
    Target,
    Unit,
)

FIELDS = {
    "k": FieldType.STRING,
    "x": FieldType.NUMBER,
    "p": FieldType.INTEGER,
    "br": FieldType.STRING,
    "st": FieldType.INTEGER,
}
CATALOG = Catalog(
    events={
        name: EventSpec(name, "fam", Origin.SERVER, dict(FIELDS)) for name in ("a", "b", "c", "d")
    }
)
T0 = datetime(2026, 11, 20, tzinfo=UTC)


def _slo(id_: str, sli: Any, target: Target | None) -> SLO:
    return SLO(id=id_, pillar="fam", name=id_, sli=sli, target=target)


RATIO = Target(Op.GE, 0.9, Unit.RATIO)
UPPER_MS = Target(Op.LE, 50, Unit.MS)
ZERO = Target(Op.EQ, 0, Unit.COUNT)

SLOS: list[SLO] = [
    _slo("ratio_bad", RatioSLI(Selector(("a",)), bad=Selector(("b",))), RATIO),
    _slo(
        "ratio_total_firefox",
        RatioSLI(
            Selector(("a",), (FieldFilter("br", FilterOp.CONTAINS, "fire"),)),
            total=Selector(("a", "b")),
        ),
        RATIO,
    ),
    _slo(
        "rate_413",
        RateSLI(Selector(("c",), (FieldFilter("st", FilterOp.EQ, 413),)), Selector(("c",))),
        Target(Op.LT, 0.1, Unit.RATIO),
    ),
    _slo(
        "rate_in",
        RateSLI(
            Selector(("c", "d"), (FieldFilter("st", FilterOp.IN, (413, "500")),)),
            Selector(("c", "d")),
        ),
        Target(Op.LT, 0.1, Unit.RATIO),
    ),
    _slo("p95", QuantileSLI(Selector(("a",)), "x", 0.95), UPPER_MS),
    _slo("p50_lt", QuantileSLI(Selector(("a", "d")), "x", 0.5), Target(Op.LT, 10, Unit.MS)),
    _slo("p100", QuantileSLI(Selector(("b",)), "x", 1.0), UPPER_MS),
    # A quantile over a field the catalog types as text: numbers are cast at query time.
    _slo("p50_text", QuantileSLI(Selector(("a", "b")), "k", 0.5), UPPER_MS),
    _slo("crash_free", DistinctRatioSLI(Selector(("a",)), Selector(("b",)), "k"), RATIO),
    _slo("count_d", CountSLI(Selector(("d",))), ZERO),
    _slo(
        "count_chrome",
        CountSLI(Selector(("a", "b", "c"), (FieldFilter("br", FilterOp.EQ, "chrome"),))),
        Target(Op.LE, 3, Unit.COUNT),
    ),
    _slo(
        "lost_dup",
        CorrelationSLI(Selector(("a",)), Selector(("b",)), Selector(("c",)), "k", 60.0),
        ZERO,
    ),
    _slo(
        "lost_no_error",
        CorrelationSLI(Selector(("c",)), Selector(("d",)), None, "k", 0.5),
        ZERO,
    ),
    _slo("growth", GrowthSLI(Selector(("d",)), "x", "k", "p", 3), Target(Op.LE, 10, Unit.MB)),
    _slo("growth_a", GrowthSLI(Selector(("a", "d")), "x", "k", "p", 0), None),
    _slo("monitor", MonitorSLI(Selector(("a", "b", "c"))), None),
]


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_jsonl(path: Path, events: Sequence[dict[str, Any]], *, epoch_ms: bool = False) -> Path:
    """Events (ts as datetime) to JSON lines, ts as ISO text or epoch milliseconds."""
    with path.open("w") as fh:
        for i, e in enumerate(events):
            doc = {k: v for k, v in e.items() if k != "ts"}
            ts: datetime = e["ts"]
            doc["ts"] = int(ts.timestamp() * 1000) if epoch_ms and i % 2 else iso(ts)
            fh.write(json.dumps(doc) + "\n")
    return path


def grid_events(n: int = 600, seed: int = 7) -> list[dict[str, Any]]:
    """A deterministic mixed corpus over two days touching every SLO, with equal
    timestamps, repeated values (quantile ties) and buckets without some events."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        # Events cluster in the first hours of each day: later 6-hour buckets are empty.
        day = rnd.randrange(2)
        ts = T0 + timedelta(days=day, seconds=rnd.randrange(0, 2 * 3600, 10))
        e: dict[str, Any] = {"ts": ts, "event": rnd.choice("aabbcdd")}
        if rnd.random() < 0.9:
            e["k"] = rnd.choice([f"s{j}" for j in range(150)] + [4])
        if rnd.random() < 0.85:
            e["x"] = rnd.choice([rnd.randrange(0, 90), float(rnd.randrange(0, 90)) / 2, 40])
        if rnd.random() < 0.6:
            e["p"] = rnd.randrange(0, 6)
        br = rnd.choice(["Firefox 128", "chrome", None, "FIREFOX"])
        if br is not None:
            e["br"] = br
        e["st"] = rnd.choice([200, 200, 200, 413, "413", 500, "500", 413.0])
        e["event_id"] = f"e{i}"
        out.append(e)
    # Responses exactly at, and just after, the grace deadline of their send.
    for j in range(8):
        t = T0 + timedelta(hours=1, minutes=j)
        late = timedelta(milliseconds=j % 2)
        out.append({"ts": t, "event": "a", "k": f"edge{j}"})
        out.append({"ts": t + timedelta(seconds=60) + late, "event": "b", "k": f"edge{j}"})
        out.append({"ts": t, "event": "c", "k": f"edgec{j}"})
        out.append({"ts": t + timedelta(seconds=0.5) + late, "event": "d", "k": f"edgec{j}"})
    return out
