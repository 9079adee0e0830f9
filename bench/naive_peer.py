"""The naive peer: what the seed team's `slo-snapshot.sh` + Node one-off do.

Read every line of every file into memory, `json.loads` each, group events in
dicts, compute the same 15 numbers in plain Python. It is the baseline slogate
must beat by 10x, and (as a side effect) an independent reference the benchmark
compares slogate's values with.

    python bench/naive_peer.py --config examples/readiness-demo/slogate.yaml \
        --input DIR [--input DIR ...] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slogate.config import load_config
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
    classify,
)

_SUFFIXES = (".jsonl", ".json", ".log", ".ndjson", ".jsonl.gz", ".log.gz", ".json.gz")


def list_files(inputs: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES)
            )
        else:
            files.append(path)
    return files


def read_all_lines(files: list[Path]) -> list[str]:
    """Everything in memory at once, as the seed's script does."""
    lines: list[str] = []
    for file in files:
        opener: Any = gzip.open if file.name.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8", errors="replace") as fh:
            lines.extend(fh.read().splitlines())
    return lines


def parse_ts(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str):
        try:
            text = value.replace("Z", "+00:00")
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    return None


def load_events(
    lines: list[str], known: set[str]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int], int]:
    by_event: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rejected: dict[str, int] = defaultdict(int)
    seen_ids: set[str] = set()
    duplicates = 0
    for line in lines:
        if not line.strip():
            continue
        start = line.find("{")
        if start < 0:
            rejected["unparsable"] += 1
            continue
        try:
            obj = json.loads(line[start:])
        except ValueError:
            rejected["unparsable"] += 1
            continue
        if not isinstance(obj, dict):
            rejected["unparsable"] += 1
            continue
        name = obj.get("event") or obj.get("name") or obj.get("type")
        if not isinstance(name, str) or not name:
            rejected["missing_name"] += 1
            continue
        ts = parse_ts(obj.get("ts", obj.get("timestamp", obj.get("time"))))
        if ts is None:
            rejected["missing_ts"] += 1
            continue
        if name not in known:
            rejected["unknown_event"] += 1
            continue
        event_id = obj.get("event_id")
        if isinstance(event_id, str):
            if event_id in seen_ids:
                duplicates += 1
                continue
            seen_ids.add(event_id)
        obj["_ts"] = ts
        by_event[name].append(obj)
    return by_event, dict(rejected), duplicates


def select(by_event: dict[str, list[dict[str, Any]]], sel: Selector) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in sel.events:
        for ev in by_event.get(name, ()):
            if all(f.matches(ev.get(f.field)) for f in sel.where):
                out.append(ev)
    return out


def compute(slo: SLO, by_event: dict[str, list[dict[str, Any]]], horizon: float) -> Any:
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        good = len(select(by_event, sli.good))
        if sli.bad is not None:
            total = good + len(select(by_event, sli.bad))
        else:
            total = len(select(by_event, sli.total)) if sli.total else 0
        return good / total if total else None
    if isinstance(sli, RateSLI):
        total = len(select(by_event, sli.total))
        return len(select(by_event, sli.bad)) / total if total else None
    if isinstance(sli, QuantileSLI):
        values = sorted(
            float(ev[sli.field])
            for ev in select(by_event, sli.select)
            if isinstance(ev.get(sli.field), int | float)
        )
        if not values:
            return None
        return values[max(math.ceil(sli.quantile * len(values)), 1) - 1]
    if isinstance(sli, DistinctRatioSLI):
        started = {ev.get(sli.key) for ev in select(by_event, sli.start)} - {None}
        failed = {ev.get(sli.key) for ev in select(by_event, sli.failure)} & started
        return (len(started) - len(failed)) / len(started) if started else None
    if isinstance(sli, CountSLI):
        return len(select(by_event, sli.select))
    if isinstance(sli, CorrelationSLI):
        sends: dict[Any, float] = {}
        for ev in select(by_event, sli.send):
            key = ev.get(sli.key)
            if key is not None and (key not in sends or ev["_ts"] < sends[key]):
                sends[key] = ev["_ts"]
        acks: dict[Any, list[float]] = defaultdict(list)
        for ev in select(by_event, sli.ack):
            acks[ev.get(sli.key)].append(ev["_ts"])
        answered: dict[Any, list[float]] = defaultdict(list)
        for key, stamps in acks.items():
            answered[key].extend(stamps)
        if sli.error is not None:
            for ev in select(by_event, sli.error):
                answered[ev.get(sli.key)].append(ev["_ts"])
        lost = 0
        for key, sent in sends.items():
            if sent > horizon - sli.grace_seconds:
                continue
            if not any(t <= sent + sli.grace_seconds for t in answered.get(key, ())):
                lost += 1
        duplicate = sum(1 for stamps in acks.values() if len(stamps) > 1)
        return lost + duplicate if sends else None
    if isinstance(sli, GrowthSLI):
        units: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for ev in select(by_event, sli.select):
            units[ev.get(sli.unit_key)].append(ev)
        worst: float | None = None
        for samples in units.values():
            samples.sort(key=lambda e: e["_ts"])
            reached = [
                float(e[sli.field])
                for e in samples
                if float(e.get(sli.progress_field) or 0) >= sli.progress_min
            ]
            if reached:
                growth = max(reached) - float(samples[0][sli.field])
                worst = growth if worst is None else max(worst, growth)
        return worst
    if isinstance(sli, MonitorSLI):
        return {name: len(by_event.get(name, ())) for name in sli.select.events}
    raise TypeError(f"unknown SLI kind {sli!r}")


def run(config: str, inputs: list[str]) -> dict[str, Any]:
    cfg = load_config(config).config
    catalog = cfg.catalog()
    started = time.perf_counter()
    lines = read_all_lines(list_files(inputs))
    by_event, rejected, duplicates = load_events(lines, set(catalog.events))
    horizon = max((ev["_ts"] for evs in by_event.values() for ev in evs), default=0.0)
    values: dict[str, Any] = {}
    for slo in cfg.core_slos():
        status = classify(slo, catalog, client_relay=cfg.ingest.client_relay).status
        values[slo.id] = None if status.value == "blocked" else compute(slo, by_event, horizon)
    return {
        "lines": len(lines),
        "events": sum(len(v) for v in by_event.values()),
        "duplicates": duplicates,
        "rejected": rejected,
        "values": values,
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--input", action="append", required=True)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.config, args.input)
    if args.json:
        json.dump(result, sys.stdout, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for key, value in result["values"].items():
            print(f"{key:34} {value}")
        print(f"{result['lines']} lines, {result['events']} events in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
