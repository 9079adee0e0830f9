"""Turn `--input` arguments into the files to read.

Accepts files, directories (walked recursively), and globs (`**` allowed).
Directories skip hidden files, temporary files and dead-letter folders, and a
`X.jsonl` next to its compacted `X.parquet` is ignored so that nothing is
counted twice. A path segment `date=YYYY-MM-DD` (Hive style) lets the reader
skip whole days outside the requested time range.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from slogate.errors import InputError

Format = Literal["lines", "parquet"]

_LINE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log", ".txt")
_PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
_GLOB_CHARS = re.compile(r"[*?\[]")
_SKIPPED_DIRS = {"deadletter", "__pycache__"}


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    format: Format
    partition_date: date | None = None


def file_format(path: Path) -> Format | None:
    """Format by name; None for files a directory walk should not read."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(".parquet"):
        return None if path.name.lower().endswith(".gz") else "parquet"
    if name.endswith(_LINE_SUFFIXES):
        return "lines"
    return None


def partition_date(path: Path) -> date | None:
    for part in reversed(path.parts):
        match = _PARTITION.match(part)
        if match:
            try:
                return date.fromisoformat(match.group(1))
            except ValueError:
                return None
    return None


def _overlaps(day: date, since: datetime | None, until: datetime | None) -> bool:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    return (since is None or end > since) and (until is None or start < until)


def _walk(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(p.startswith(".") or p in _SKIPPED_DIRS for p in rel[:-1]):
            continue
        if path.name.startswith((".", "_")) or path.name.endswith((".tmp", ".part")):
            continue
        if path.is_file() and file_format(path) is not None:
            yield path


def discover_inputs(
    inputs: Sequence[str | Path],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[InputFile]:
    """Every file to read, in a stable order, pruned by Hive date partitions.

    Raises InputError for a path that does not exist or a glob matching nothing:
    a typo must not silently produce an empty snapshot.
    """
    found: dict[Path, Format] = {}
    for raw in inputs:
        text = str(raw)
        if _GLOB_CHARS.search(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            if not matches:
                raise InputError("no file matches this pattern", file=text)
            for m in matches:
                if m.is_dir():
                    found.update({p: file_format(p) or "lines" for p in _walk(m)})
                elif m.is_file():
                    found[m] = file_format(m) or "lines"
            continue
        path = Path(text)
        if path.is_dir():
            found.update({p: file_format(p) or "lines" for p in _walk(path)})
        elif path.is_file():
            found[path] = file_format(path) or "lines"
        elif path.exists():
            raise InputError("not a regular file or directory", file=text)
        else:
            raise InputError("no such file or directory", file=text)
    compacted = {p.with_suffix("") for p, fmt in found.items() if fmt == "parquet"}
    files: list[InputFile] = []
    for path in sorted(found):
        fmt = found[path]
        if fmt == "lines" and path.suffix == ".jsonl" and path.with_suffix("") in compacted:
            continue  # X.parquet replaced X.jsonl; reading both would double count
        day = partition_date(path)
        if day is not None and not _overlaps(day, since, until):
            continue
        files.append(InputFile(path, fmt, day))
    return files
