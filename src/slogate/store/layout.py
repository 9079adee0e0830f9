"""Names and places of store files, shared by the writer, compaction and readers.

`DIR/events/date=YYYY-MM-DD/<instance>-<seq>.jsonl` (seq zero-padded to 6 digits);
dead letters mirror it under `DIR/deadletter/`. Keeping the naming in one module
is what lets compaction and the writer agree on which files are theirs.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

EVENTS_DIR = "events"
DEADLETTER_DIR = "deadletter"
LOCKS_DIR = ".locks"

#: An instance id must be safe in a file name and unambiguous before `-<seq>`.
INSTANCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SEGMENT_RE = re.compile(r"^(?P<instance>.+)-(?P<seq>\d{6,})\.(?P<ext>jsonl|parquet)$")
_PARTITION_RE = re.compile(r"^date=(?P<date>\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, slots=True)
class SegmentName:
    instance: str
    seq: int
    ext: str  # "jsonl" | "parquet"


def segment_filename(instance: str, seq: int, ext: str = "jsonl") -> str:
    return f"{instance}-{seq:06d}.{ext}"


def parse_segment_name(name: str) -> SegmentName | None:
    """Parse `<instance>-<seq>.<ext>`; None for anything else (temp files, strangers)."""
    m = _SEGMENT_RE.match(name)
    if m is None:
        return None
    return SegmentName(m.group("instance"), int(m.group("seq")), m.group("ext"))


def partition_dirname(day: date) -> str:
    return f"date={day.isoformat()}"


def parse_partition(name: str) -> date | None:
    m = _PARTITION_RE.match(name)
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group("date"))
    except ValueError:
        return None


def iter_segments(root: Path) -> Iterator[tuple[date, Path, SegmentName]]:
    """Every segment file under `root` (an events or deadletter directory), sorted."""
    if not root.is_dir():
        return
    for part in sorted(root.iterdir()):
        day = parse_partition(part.name)
        if day is None or not part.is_dir():
            continue
        for path in sorted(part.iterdir()):
            parsed = parse_segment_name(path.name)
            if parsed is not None and path.is_file():
                yield day, path, parsed


def default_instance() -> str:
    """The host name, made file-name safe: distinct per machine, stable across restarts."""
    raw = socket.gethostname() or "slogate"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", raw).lstrip("-_.") or "slogate"
    return safe[:64]
