"""Write a generated week into Hive partitions (`events/date=YYYY-MM-DD/...`).

Per day: `relay-000001.jsonl` holds the client events (canonical JSON lines, as
the ingest store writes them) and `app-000001.log` the server's application log
lines. A truncated line ends a file of its own day without a newline, as a
writer that crashed mid-line leaves it. Files are written atomically.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from slogate.demo.lines import event_line
from slogate.demo.week import DemoWeek

CLIENT_FILE = "relay-{seq:06d}.jsonl"
SERVER_FILE = "app-{seq:06d}.log"
_OWNED_SUFFIXES = (".jsonl", ".log", ".parquet", ".jsonl.gz", ".log.gz")


@dataclass(frozen=True, slots=True)
class WrittenWeek:
    events_dir: Path
    files: list[Path]
    lines: int
    events: int


def partition_dir(events_dir: Path, day: date) -> Path:
    return events_dir / f"date={day.isoformat()}"


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def clear_partitions(events_dir: Path) -> None:
    """Remove event files a previous demo left in `events_dir/date=*/` (and only
    those), so a shorter or shifted week does not mix with an older one."""
    if not events_dir.is_dir():
        return
    for part in sorted(events_dir.glob("date=*")):
        if not part.is_dir():
            continue
        for file in sorted(part.iterdir()):
            if (
                file.is_file()
                and file.name.startswith(("relay-", "app-"))
                and file.name.endswith(_OWNED_SUFFIXES)
            ):
                file.unlink()
        if not any(part.iterdir()):
            part.rmdir()


def write_week(week: DemoWeek, out_dir: Path) -> WrittenWeek:
    """Write `week` under `out_dir/events/`, replacing a previous demo's files."""
    events_dir = out_dir / "events"
    clear_partitions(events_dir)
    client: dict[date, list[str]] = defaultdict(list)
    server: dict[date, list[str]] = defaultdict(list)
    truncated: dict[date, list[str]] = defaultdict(list)
    # Merge events and garbage by time so garbage sits among real lines.
    items = [(e.ts, 0, i) for i, e in enumerate(week.events)]
    items += [(g.ts, 1, i) for i, g in enumerate(week.garbage)]
    items.sort()
    for _, kind, i in items:
        if kind == 0:
            event = week.events[i]
            target = client if event.origin == "client" else server
            target[event.ts.date()].append(event_line(event))
        else:
            line = week.garbage[i]
            if line.reason == "truncated":
                truncated[line.ts.date()].append(line.text)
            else:
                (client if line.origin == "client" else server)[line.ts.date()].append(line.text)
    files: list[Path] = []
    days = sorted(set(client) | set(server) | set(truncated))
    for day in days:
        part = partition_dir(events_dir, day)
        cuts = truncated.get(day, [])
        body = "".join(f"{line}\n" for line in client.get(day, []))
        # One truncated line per file, always the file's last (unterminated) line.
        seq = 1
        path = part / CLIENT_FILE.format(seq=seq)
        write_text_atomic(path, body + (cuts[0] if cuts else ""))
        files.append(path)
        for cut in cuts[1:]:
            seq += 1
            path = part / CLIENT_FILE.format(seq=seq)
            write_text_atomic(path, cut)
            files.append(path)
        if server.get(day):
            path = part / SERVER_FILE.format(seq=1)
            write_text_atomic(path, "".join(f"{line}\n" for line in server[day]))
            files.append(path)
    return WrittenWeek(
        events_dir=events_dir,
        files=files,
        lines=len(week.events) + len(week.garbage),
        events=week.stats.get("events", len(week.events)),
    )
