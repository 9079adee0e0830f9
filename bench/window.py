"""Benchmark: `slogate window` over 7 days vs snapshots over the same events.

Data: 7 days x 1M events per day (JSONL, the example's mix). Timed, as child
processes, medians over --repeats:
  window     `slogate window --start D --days 7` (one pass, daily + whole window)
  snapshot   one `slogate snapshot` over all 7M events
  per_day    seven `slogate snapshot --since day --until day+1` (the seed's way)
Goals (issue 3): window <= 1.5x one snapshot, and >= 5x faster than per_day.
If `slogate window` does not exist yet, that part is skipped with a message.

The same files are timed in two layouts (`--layout`):
  partitioned  `events/date=YYYY-MM-DD/*.jsonl`, the store's layout: a per-day
               snapshot prunes to its own day's files, so the seven runs read
               the data once in total, like the window;
  logs         the same files as a flat folder of rotated logs
               (`logs/app-0001.jsonl`, ...; symbolic links, no copy), the layout
               of the seed's production logs: no path says which day a file
               holds, so every per-day run reads all of them.
The whole-window and one-snapshot runs read every file in both layouts. The
5x goal is read on the logs layout, the seed's daily routine; next to the
partitioned ratio the script prints what a window costing exactly one snapshot
would reach there (about 2x: see docs/benchmarks.md).

    python bench/window.py            # 7 x 1M, 3 repeats, both layouts
    python bench/window.py --quick    # 7 x 10k, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import shutil
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
LAYOUTS = ("partitioned", "logs")


def flat_logs(events: Path, logs: Path) -> Path:
    """`logs/app-NNNN.jsonl` links to the partitioned files, in time order."""
    files = sorted(events.rglob("*.jsonl"))
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    for i, f in enumerate(files, start=1):
        (logs / f"app-{i:04d}.jsonl").symlink_to(f.resolve())
    return logs


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
    parser.add_argument("--layout", choices=("both", *LAYOUTS), default="both")
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

    layouts = LAYOUTS if args.layout == "both" else (args.layout,)
    inputs = {"partitioned": events}
    if "logs" in layouts:
        inputs["logs"] = flat_logs(events, base / "logs")

    def snap_cmd(src: Path) -> list[str]:
        return [exe, "snapshot", "--config", cfg, "--input", str(src), "--out", str(out / "snap")]

    measured["snapshot"] = measure(
        "snapshot", snap_cmd(events), args.repeats, stderr=out / "snapshot.err"
    )
    skipped = None
    if not window_available():
        skipped = "SKIPPED window: `slogate window` does not exist yet (issue 3 not merged)"
        print(skipped)
    for lay in layouts:
        src = inputs[lay]
        per = Measured(f"per_day[{lay}]")
        for _ in range(args.repeats):
            total, peak, code = 0.0, 0.0, 0
            for d in range(DAYS):
                day = BENCH_START + timedelta(days=d)
                cmd = [*snap_cmd(src), "--since", f"{day.isoformat()}T00:00:00Z",
                       "--until", f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"]  # fmt: skip
                run = run_child(cmd, stderr=out / "per_day.err")
                total, peak, code = (
                    total + run.seconds,
                    max(peak, run.peak_rss_mb),
                    code or run.returncode,
                )
            per.runs.append(Run(total, peak, code))
        measured[per.name] = per
        if skipped is None:
            cmd = [exe, "window", "--config", cfg, "--input", str(src),
                   "--start", BENCH_START.isoformat(), "--days", str(DAYS),
                   "--out", str(out / "window")]  # fmt: skip
            name = f"window[{lay}]"
            measured[name] = measure(name, cmd, args.repeats, stderr=out / "window.err")

    for name, m in measured.items():
        state = "ok" if m.ok else f"FAILED (see {out / f'{name}.err'})"
        print(f"  {name:9} median {m.median:8.2f} s  peak {m.peak_rss_mb:8.1f} MB  {state}")

    goals: list[dict[str, Any]] = []
    one = measured["snapshot"]
    for lay in layouts:
        win, per = measured.get(f"window[{lay}]"), measured[f"per_day[{lay}]"]
        if win is None or not (win.ok and one.ok and per.ok):
            continue
        r1 = win.median / one.median
        r2 = per.median / win.median
        # What a window costing exactly one snapshot would reach: in the
        # partitioned layout the seven runs read each day once, so this is ~2x.
        bound = per.median / one.median
        goals += [
            {"goal": f"window / one snapshot ({lay})", "value": round(r1, 2),
             "target": "<= 1.5x", "met": r1 <= 1.5},
            {"goal": f"per-day snapshots / window ({lay}; at one snapshot's cost: "
                     f"{bound:.2f}x)", "value": round(r2, 2),
             "target": ">= 5x", "met": r2 >= 5.0},
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
