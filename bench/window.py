"""Benchmark: `slogate window` over 7 days vs snapshots over the same events.

Data: 7 days x 1M events per day (JSONL, the example's mix). Timed, as child
processes, medians over --repeats:
  window     `slogate window --start D --days 7` (one pass, daily + whole window)
  snapshot   one `slogate snapshot` over all 7M events
  per_day    seven `slogate snapshot --since day --until day+1` (the seed's way)
Goals (issue 3): window <= 1.5x one snapshot, and >= 5x faster than per_day.
If `slogate window` does not exist yet, that part is skipped with a message.

    python bench/window.py            # 7 x 1M, 3 repeats
    python bench/window.py --quick    # 7 x 10k, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    BENCH_START,
    EXAMPLE_CONFIG,
    ROOT,
    Measured,
    Run,
    ensure_data,
    human,
    machine_info,
    markdown_table,
    measure,
    run_child,
    slogate_exe,
)

DAYS = 7


def window_available() -> bool:
    proc = subprocess.run(
        [slogate_exe(), "window", "--help"], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", help="events per day (default 1M; --quick: 10k)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="7 x 10k events, 1 repeat")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--config", type=Path, default=EXAMPLE_CONFIG)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.per_day, args.repeats = args.per_day or "10k", 1
    args.per_day = args.per_day or "1M"
    text = args.per_day.lower()
    per_day = int(float(text.rstrip("km")) * {"k": 1_000, "m": 1_000_000}.get(text[-1], 1))
    info = machine_info()
    print(f"machine: {info}")
    base = args.workdir / f"window-{DAYS}x{human(per_day)}"
    events, generated = ensure_data(base / "jsonl", fmt="jsonl", events_per_day=per_day, days=DAYS)
    out = base / "out"
    out.mkdir(exist_ok=True)
    cfg = str(args.config)
    exe = slogate_exe()
    measured: dict[str, Measured] = {}

    snap = [exe, "snapshot", "--config", cfg, "--input", str(events), "--out", str(out / "snap")]
    measured["snapshot"] = measure("snapshot", snap, args.repeats, stderr=out / "snapshot.err")

    per = Measured("per_day")
    for _ in range(args.repeats):
        total, peak, code = 0.0, 0.0, 0
        for d in range(DAYS):
            day = BENCH_START + timedelta(days=d)
            cmd = [*snap, "--since", f"{day.isoformat()}T00:00:00Z",
                   "--until", f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"]  # fmt: skip
            run = run_child(cmd, stderr=out / "per_day.err")
            total, peak, code = (
                total + run.seconds,
                max(peak, run.peak_rss_mb),
                code or run.returncode,
            )
        per.runs.append(Run(total, peak, code))
    measured["per_day"] = per

    skipped = None
    if window_available():
        cmd = [exe, "window", "--config", cfg, "--input", str(events),
               "--start", BENCH_START.isoformat(), "--days", str(DAYS),
               "--out", str(out / "window")]  # fmt: skip
        measured["window"] = measure("window", cmd, args.repeats, stderr=out / "window.err")
    else:
        skipped = "SKIPPED window: `slogate window` does not exist yet (issue 3 not merged)"
        print(skipped)

    for name, m in measured.items():
        state = "ok" if m.ok else f"FAILED (see {out / f'{name}.err'})"
        print(f"  {name:9} median {m.median:8.2f} s  peak {m.peak_rss_mb:8.1f} MB  {state}")

    goals: list[dict[str, Any]] = []
    win = measured.get("window")
    if win is not None and win.ok and measured["snapshot"].ok and per.ok:
        r1 = win.median / measured["snapshot"].median
        r2 = per.median / win.median
        goals = [
            {"goal": "window / one snapshot", "value": round(r1, 2), "target": "<= 1.5x",
             "met": r1 <= 1.5},
            {"goal": "per-day snapshots / window", "value": round(r2, 2), "target": ">= 5x",
             "met": r2 >= 5.0},
        ]  # fmt: skip
    rows = [
        [name, f"{m.median:.2f}", ", ".join(f"{r.seconds:.2f}" for r in m.runs),
         f"{m.peak_rss_mb:.0f}", "ok" if m.ok else "FAILED"]
        for name, m in measured.items()
    ]  # fmt: skip
    print(f"\n{DAYS} days x {human(per_day)} events/day")
    print(markdown_table(["run", "median s", "runs s", "peak RSS MB", "exit"], rows))
    if goals:
        marks = {True: "met", False: "MISSED"}
        print()
        print(
            markdown_table(
                ["goal", "value", "target", "result"],
                [[g["goal"], g["value"], g["target"], marks[g["met"]]] for g in goals],
            )
        )
    elif skipped:
        print(f"\n{skipped}; ratios need it")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": info,
            "per_day": per_day,
            "days": DAYS,
            "generate_s": generated,
            "measured": {k: v.summary() for k, v in measured.items()},
            "goals": goals,
            "skipped": skipped,
        }
        args.json_out.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
