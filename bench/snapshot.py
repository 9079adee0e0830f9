"""Benchmark: a full 15-SLO snapshot vs the naive peer and the DuckDB floor.

In one run, for each size (default 1M and 5M events of the example's mix):
  naive   bench/naive_peer.py (every line in memory, json.loads, dicts)
  floor   DuckDB counting the rows of the same JSONL files
  jsonl   `slogate snapshot` over the JSON lines
  parquet `slogate snapshot` over the same events as canonical Parquet
Each is a child process; wall time is the median over --repeats, memory the
peak RSS of the child (kernel rusage). Goals (issue 2), checked at the largest
size: >= 10x faster than naive, <= 2x the floor, peak memory < 1 GB, the
largest size <= 6x the time of the smallest (for 5x the events), Parquet >= 5x
faster than JSONL. The naive peer's values are compared with slogate's.

    python bench/snapshot.py                 # 1M and 5M, 3 repeats (minutes)
    python bench/snapshot.py --quick         # 20k and 100k, 1 repeat (seconds)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from common import (
    EXAMPLE_CONFIG,
    ROOT,
    Measured,
    ensure_data,
    human,
    machine_info,
    markdown_table,
    measure,
    slogate_exe,
)

GOALS = {
    "naive_speedup_min": 10.0,
    "floor_ratio_max": 2.0,
    "peak_rss_mb_max": 1024.0,
    "scaling_max": 6.0,
    "parquet_speedup_min": 5.0,
}


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def layout(size: int) -> tuple[int, int]:
    """(events_per_day, days): up to 1M events per day, as a busy service logs."""
    per_day = min(size, 1_000_000)
    if size % per_day:
        raise SystemExit(f"size {size} must be a multiple of {per_day}")
    return per_day, size // per_day


def snapshot_values(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slo in doc.get("slos", []):
        out[slo["id"]] = slo.get("counts") if slo.get("kind") == "monitor" else slo.get("value")
    return out


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    problems = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, int | float) and isinstance(y, int | float):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{key}: {x} != {y}")
        elif isinstance(x, dict) and isinstance(y, dict):
            if {k: v for k, v in x.items() if v} != {k: v for k, v in y.items() if v}:
                problems.append(f"{key}: {x} != {y}")
        elif x != y:
            problems.append(f"{key}: {x!r} != {y!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated, e.g. 1M,5M (default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20k,100k (default) x 1 repeat")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--config", type=Path, default=EXAMPLE_CONFIG)
    parser.add_argument("--skip-naive", action="store_true", help="(its memory grows ~1.7 GB/M)")
    parser.add_argument(
        "--naive-repeats", type=int, help="repeats of the naive peer (default: --repeats)"
    )
    parser.add_argument("--json-out", type=Path, help="write all results as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats = args.sizes or "20k,100k", 1
    args.sizes = args.sizes or "1M,5M"
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    python = sys.executable
    here = Path(__file__).resolve().parent
    info = machine_info()
    print(f"machine: {info}")
    results: dict[str, Any] = {"machine": info, "repeats": args.repeats, "sizes": {}}
    for size in sizes:
        per_day, days = layout(size)
        label = human(size)
        print(f"\n== {label} events ({days} day(s) x {human(per_day)}) ==")
        base = args.workdir / f"snap-{label}"
        jsonl, gen_jsonl = ensure_data(
            base / "jsonl", fmt="jsonl", events_per_day=per_day, days=days
        )
        parquet, gen_parquet = ensure_data(
            base / "parquet", fmt="parquet", events_per_day=per_day, days=days
        )
        out = base / "out"
        out.mkdir(exist_ok=True)
        cfg = str(args.config)
        commands: dict[str, tuple[list[str], Path | None]] = {
            "floor": ([python, str(here / "floor.py"), str(jsonl), "--format", "jsonl"], None),
            "jsonl": (
                [slogate_exe(), "snapshot", "--config", cfg, "--input", str(jsonl),
                 "--out", str(out / "jsonl"), "--json"],
                out / "jsonl.json",
            ),
            "parquet": (
                [slogate_exe(), "snapshot", "--config", cfg, "--input", str(parquet),
                 "--out", str(out / "parquet"), "--json"],
                out / "parquet.json",
            ),
        }  # fmt: skip
        if not args.skip_naive:
            commands["naive"] = (
                [python, str(here / "naive_peer.py"), "--config", cfg, "--input", str(jsonl),
                 "--json"],
                out / "naive.json",
            )  # fmt: skip
        measured: dict[str, Measured] = {}
        for name, (cmd, stdout) in commands.items():
            repeats = args.repeats
            if name == "naive" and args.naive_repeats:
                repeats = args.naive_repeats
            m = measure(name, cmd, repeats, stdout=stdout, stderr=out / f"{name}.err")
            measured[name] = m
            state = "ok" if m.ok else f"FAILED (see {out / f'{name}.err'})"
            print(f"  {name:8} median {m.median:8.2f} s  peak {m.peak_rss_mb:8.1f} MB  {state}")
        entry: dict[str, Any] = {
            "events": size,
            "generate_s": {"jsonl": gen_jsonl, "parquet": gen_parquet},
            "measured": {k: v.summary() for k, v in measured.items()},
        }
        checks: list[str] = []
        compared: list[str] = []
        if measured["jsonl"].ok and measured["parquet"].ok:
            a = snapshot_values(json.loads((out / "jsonl.json").read_text()))
            b = snapshot_values(json.loads((out / "parquet.json").read_text()))
            checks += [f"jsonl vs parquet: {p}" for p in compare(a, b)]
            compared += ["slogate JSONL", "slogate Parquet"]
            if "naive" in measured and measured["naive"].ok:
                naive = json.loads((out / "naive.json").read_text())["values"]
                checks += [f"slogate vs naive: {p}" for p in compare(a, naive)]
                compared.append("naive peer")
        entry["value_mismatches"] = checks
        entry["values_compared"] = compared
        if compared and not checks:
            print(f"  values: identical across {' / '.join(compared)}")
        for problem in checks:
            print(f"    MISMATCH {problem}")
        results["sizes"][label] = entry

    report = goals(results, sizes)
    results["goals"] = report
    print("\n" + render(results, sizes))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


def _median(results: dict[str, Any], label: str, name: str) -> float | None:
    m = results["sizes"][label]["measured"].get(name)
    return m["median_s"] if m and m["ok"] else None


def goals(results: dict[str, Any], sizes: list[int]) -> list[dict[str, Any]]:
    small, large = human(min(sizes)), human(max(sizes))
    jsonl = _median(results, large, "jsonl")
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, goal: str, passed: bool | None) -> None:
        shown = None if value is None else round(value, 2)
        out.append({"goal": name, "value": shown, "target": goal, "met": passed})

    naive = _median(results, large, "naive")
    ratio = naive / jsonl if naive and jsonl else None
    add(f"naive / slogate at {large}", ratio, ">= 10x",
        None if ratio is None else ratio >= GOALS["naive_speedup_min"])  # fmt: skip
    floor = _median(results, large, "floor")
    ratio = jsonl / floor if floor and jsonl else None
    add(f"slogate / floor at {large}", ratio, "<= 2x",
        None if ratio is None else ratio <= GOALS["floor_ratio_max"])  # fmt: skip
    measured = results["sizes"][large]["measured"]
    peak = max(
        (measured[k]["peak_rss_mb"] for k in ("jsonl", "parquet") if measured[k]["ok"]),
        default=None,
    )
    add(f"slogate peak RSS at {large} (MB)", peak, "< 1024",
        None if peak is None else peak < GOALS["peak_rss_mb_max"])  # fmt: skip
    if small != large:
        first = _median(results, small, "jsonl")
        ratio = jsonl / first if first and jsonl else None
        add(f"time {large} / time {small}", ratio, "<= 6x",
            None if ratio is None else ratio <= GOALS["scaling_max"])  # fmt: skip
    pq = _median(results, large, "parquet")
    ratio = jsonl / pq if pq and jsonl else None
    add(f"JSONL / Parquet at {large}", ratio, ">= 5x",
        None if ratio is None else ratio >= GOALS["parquet_speedup_min"])  # fmt: skip
    return out


def render(results: dict[str, Any], sizes: list[int]) -> str:
    rows = []
    for size in sizes:
        label = human(size)
        measured = results["sizes"][label]["measured"]
        for name in ("naive", "floor", "jsonl", "parquet"):
            if name in measured:
                m = measured[name]
                runs = ", ".join(f"{s:.2f}" for s in m["runs_s"])
                rows.append(
                    [label, name, f"{m['median_s']:.2f}", runs, f"{m['peak_rss_mb']:.0f}",
                     "ok" if m["ok"] else "FAILED"]
                )  # fmt: skip
    table = markdown_table(["events", "run", "median s", "runs s", "peak RSS MB", "exit"], rows)
    marks = {True: "met", False: "MISSED", None: "n/a"}
    goal_rows = [[g["goal"], g["value"], g["target"], marks[g["met"]]] for g in results["goals"]]
    return table + "\n\n" + markdown_table(["goal", "value", "target", "result"], goal_rows)


if __name__ == "__main__":
    sys.exit(main())
