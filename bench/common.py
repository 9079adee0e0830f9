"""Shared benchmark helpers: run a command as a child process and measure its
wall time and peak memory (from the kernel's rusage of that one child, via
`os.wait4`, so no psutil and no sampling), take medians over repeats, describe
the machine, and generate benchmark data once per spec."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "examples" / "readiness-demo" / "slogate.yaml"
BENCH_START = date(2026, 2, 2)  # a Monday; the data's own dates, not the run's


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int


@dataclass
class Measured:
    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.returncode == 0 for r in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(r.peak_rss_mb for r in self.runs)

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "median_s": round(self.median, 3),
            "runs_s": [round(r.seconds, 3) for r in self.runs],
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "ok": self.ok,
        }


def slogate_exe() -> str:
    """The `slogate` script of the interpreter running the benchmark."""
    candidate = Path(sys.executable).with_name("slogate")
    return str(candidate) if candidate.exists() else (shutil.which("slogate") or "slogate")


def run_child(
    argv: Sequence[str], *, stdout: Path | None = None, stderr: Path | None = None
) -> Run:
    """Spawn `argv`, wait for it with `wait4`, and return its wall time, its peak
    RSS (the largest of it and its waited-for descendants) and exit code.

    Linux carries the RSS high-water mark of the spawning process into the
    child across exec, so the figure is max(this process at spawn time, child);
    the benchmark scripts therefore import nothing heavy (about 15 MB)."""
    actions: list[tuple[int, int, str, int, int]] = []
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions.append((os.POSIX_SPAWN_OPEN, 1, str(stdout or os.devnull), flags, 0o644))
    actions.append((os.POSIX_SPAWN_OPEN, 2, str(stderr or os.devnull), flags, 0o644))
    exe = shutil.which(argv[0]) or argv[0]
    started = time.perf_counter()
    pid = os.posix_spawn(exe, list(argv), dict(os.environ), file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    return Run(elapsed, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status))


def measure(
    name: str,
    argv: Sequence[str],
    repeats: int,
    *,
    stdout: Path | None = None,
    stderr: Path | None = None,
) -> Measured:
    out = Measured(name)
    for _ in range(repeats):
        run = run_child(argv, stdout=stdout, stderr=stderr)
        out.runs.append(run)
        if run.returncode != 0:
            break
    return out


def machine_info() -> dict[str, object]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb: float | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    # Versions from package metadata, not imports: the parent must stay small,
    # because a spawned child's peak RSS starts at the parent's (see run_child).
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str] = {"python": platform.python_version()}
    for dist in ("duckdb", "pyarrow", "ibis-framework", "slogate"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            continue
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = -1.0
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc,
        "cpu": cpu,
        "memory_gb": mem_gb,
        "load_1m_at_start": round(load, 2),
        "versions": versions,
    }


def ensure_data(
    root: Path, *, fmt: str, events_per_day: int, days: int, seed: int = 1
) -> tuple[Path, float | None]:
    """Generate (once) bulk data for a spec under `root`; returns its `events` dir
    and the generation time (None when the data was already there).

    A `spec.json` marker makes a second run reuse the data; generation runs in a
    child process so its memory does not count against the parent."""
    spec = {"fmt": fmt, "events_per_day": events_per_day, "days": days, "seed": seed}
    marker = root / "spec.json"
    events = root / "events"
    if marker.exists() and json.loads(marker.read_text()) == spec and events.is_dir():
        return events, None
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    code = (
        "import sys; from datetime import date; from pathlib import Path\n"
        "from slogate.demo import midnight_utc\n"
        "from slogate.demo.bulk import BulkSpec\n"
        "from slogate.demo.bulk_files import write_bulk\n"
        "y, m, d = map(int, sys.argv[1].split('-'))\n"
        "spec = BulkSpec(start=midnight_utc(date(y, m, d)), events_per_day=int(sys.argv[2]),\n"
        "                days=int(sys.argv[3]), seed=int(sys.argv[4]))\n"
        "write_bulk(spec, Path(sys.argv[5]), fmt=sys.argv[6])\n"
    )
    argv = [
        sys.executable,
        "-c",
        code,
        BENCH_START.isoformat(),
        str(events_per_day),
        str(days),
        str(seed),
        str(root),
        fmt,
    ]
    started = time.perf_counter()
    subprocess.run(argv, check=True)
    elapsed = time.perf_counter() - started
    print(f"  generated {events_per_day * days:,} events as {fmt} in {elapsed:.1f} s -> {root}")
    marker.write_text(json.dumps(spec))
    return events, elapsed


def human(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def to_jsonable(obj: object) -> object:
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)  # type: ignore[call-overload]
    return obj


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
