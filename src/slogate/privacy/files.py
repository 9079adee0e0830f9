"""Scrubbing whole files (`slogate scrub`): JSONL, app logs with JSON after a prefix, text."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from slogate.errors import InputError
from slogate.privacy.scrub import scrub_event, scrub_text


@dataclass(frozen=True, slots=True)
class ScrubStats:
    lines: int
    changed: int


def scrub_line(line: str) -> str:
    """Scrub one line, keeping its shape: an event stays an event, a prefix stays a prefix."""
    stripped = line.strip()
    if stripped.startswith("{"):
        obj = _loads_object(stripped)
        if obj is not None:
            return orjson.dumps(scrub_event(obj)).decode()
    brace = line.find("{")
    if brace > 0:
        obj = _loads_object(line[brace:].strip())
        if obj is not None:
            return scrub_text(line[:brace]) + orjson.dumps(scrub_event(obj)).decode()
    return scrub_text(line)


def _loads_object(text: str) -> dict | None:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _open_text(source: str) -> IO[str]:
    if source == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="")
    try:
        if source.endswith(".gz"):
            return gzip.open(source, "rt", encoding="utf-8", errors="replace", newline="")
        return open(source, encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), file=source) from exc


def _lines(fh: IO[str]) -> Iterator[tuple[str, str]]:
    """(content, line ending) pairs, so output keeps the input's line endings."""
    for raw in fh:
        if raw.endswith("\r\n"):
            yield raw[:-2], "\r\n"
        elif raw.endswith("\n"):
            yield raw[:-1], "\n"
        else:
            yield raw, ""


def scrub_stream(source: str, out: Path | None) -> ScrubStats:
    """Scrub `source` into `out` (tmp + rename, so a reader never sees half a file)
    or to standard output."""
    lines = changed = 0
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(_open_text(source))
        if out is None:
            sink: IO[str] = sys.stdout
            tmp_name = None
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
            sink = stack.enter_context(open(fd, "w", encoding="utf-8", newline=""))
        try:
            for content, ending in _lines(fh):
                clean = scrub_line(content)
                lines += 1
                changed += clean != content
                sink.write(clean + ending)
            sink.flush()
            if tmp_name is not None:
                os.fsync(sink.fileno())
        except BaseException:
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
            raise
    if tmp_name is not None and out is not None:
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, out)
    return ScrubStats(lines, changed)
