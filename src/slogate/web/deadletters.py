"""Recent dead letters from the store (`DIR/deadletter/date=YYYY-MM-DD/*.jsonl`).

Only the newest days are read, and each file is parsed again only when it grew,
so the ingest page stays cheap while the ingest path keeps appending.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass
class _FileState:
    size: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


class DeadLetterReader:
    def __init__(self, data_dir: Path | None, *, days: int = 2, keep: int = 200) -> None:
        self.data_dir = data_dir
        self.days = days
        self.keep = keep
        self._files: dict[Path, _FileState] = {}
        self._lock = threading.Lock()

    def _paths(self) -> list[Path]:
        if self.data_dir is None:
            return []
        root = Path(self.data_dir) / "deadletter"
        if not root.is_dir():
            return []
        day_dirs = sorted(root.glob("date=*"))[-self.days :]
        return [p for d in day_dirs for p in sorted(d.glob("*.jsonl"))]

    def summary(self) -> tuple[Counter[str], list[dict[str, Any]]]:
        """(rejects by reason over the days read, newest entries first)."""
        reasons: Counter[str] = Counter()
        rows: list[dict[str, Any]] = []
        with self._lock:
            for path in self._paths():
                state = self._files.setdefault(path, _FileState())
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if size != state.size:
                    state.rows = list(_read(path))
                    state.size = size
                for row in state.rows:
                    reasons[str(row.get("reason", "unknown"))] += 1
                rows.extend(state.rows)
        rows.sort(key=lambda r: str(r.get("received_at", "")), reverse=True)
        return reasons, rows[: self.keep]


def _read(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        data = path.read_bytes()
    except OSError:
        return out
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(row, dict):
            out.append(row)
    return out
