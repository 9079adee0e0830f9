"""Closed JSONL segments → canonical Parquet, atomically and idempotently.

Order of operations per segment: write `.X.parquet.tmp`, fsync it, rename it to
`X.parquet`, fsync the folder, and only then remove `X.jsonl`. A crash at any
point leaves either the JSONL alone, or both files with identical rows (readers
ignore `X.jsonl` when `X.parquet` exists), and the next run finishes the job.

"Closed" means the writer will never append to it again: every segment of an
instance that is not running (its lock is free), and every segment but the
newest of an instance that is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from slogate.errors import StoreError
from slogate.store.layout import EVENTS_DIR, LOCKS_DIR, SegmentName, iter_segments

Compression = Literal["zstd", "snappy", "gzip", "none"]

#: Canonical Parquet schema (CONTRACTS.md).
CANONICAL_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us", tz="UTC")),
        ("event", pa.string()),
        ("source", pa.string()),
        ("v", pa.int64()),
        ("event_id", pa.string()),
        ("session_id", pa.string()),
        ("user_id", pa.string()),
        ("room_id", pa.string()),
        ("attrs", pa.string()),
    ]
)
_STRING_COLUMNS = ("source", "event_id", "session_id", "user_id", "room_id")
_TS_KEYS = ("ts", "timestamp", "time")
_EVENT_KEYS = ("event", "name", "type")
_TMP_PREFIX = "."
_TMP_SUFFIX = ".parquet.tmp"


@dataclass(frozen=True, slots=True)
class SegmentResult:
    jsonl: str
    parquet: str
    rows: int
    torn_tail: bool = False


@dataclass(slots=True)
class CompactionReport:
    compacted: list[SegmentResult] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # jsonl removed after an earlier crash
    skipped_open: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)  # "path:line: reason"
    removed_temp: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.compacted)


# -- canonical rows ----------------------------------------------------------------


def parse_ts(value: Any) -> datetime | None:
    """ISO 8601 (naive means UTC) or epoch seconds / milliseconds; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                return parse_ts(float(text))
            except ValueError:
                return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def canonical_row(obj: dict[str, Any]) -> dict[str, Any]:
    """One event object → the canonical columns; unknown fields go to `attrs` as JSON."""
    rest = dict(obj)
    row: dict[str, Any] = {}
    ts = None
    for key in _TS_KEYS:
        if key in rest:
            ts = parse_ts(rest[key])
            if ts is not None:
                del rest[key]
            break
    row["ts"] = ts
    event = None
    for key in _EVENT_KEYS:
        if isinstance(rest.get(key), str):
            event = rest.pop(key)
            break
    row["event"] = event
    v = rest.get("v")
    if isinstance(v, int) and not isinstance(v, bool):
        row["v"] = rest.pop("v")
    elif (isinstance(v, float) and v.is_integer()) or (isinstance(v, str) and v.isdigit()):
        row["v"] = int(rest.pop("v"))
    else:
        row["v"] = None
    for col in _STRING_COLUMNS:
        text = _as_text(rest.get(col)) if col in rest else None
        if text is not None:
            del rest[col]
        row[col] = text
    row["attrs"] = orjson.dumps(rest).decode()
    return row


class CorruptSegment(Exception):
    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")


def read_segment(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Parse a JSONL segment; a last line without newline (a torn write) is skipped."""
    raw = path.read_bytes()
    torn = bool(raw) and not raw.endswith(b"\n")
    # After the last newline comes either nothing or a torn write: drop it either way.
    lines = raw.split(b"\n")[:-1]
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise CorruptSegment(path, n, f"invalid JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise CorruptSegment(path, n, "line is not a JSON object")
        rows.append(canonical_row(obj))
    return rows, torn


def to_table(rows: list[dict[str, Any]], *, promote: bool = False) -> pa.Table:
    """Rows of `canonical_row` as a canonical Parquet table; with `promote`, the
    scalar fields of `attrs` become typed top-level columns (see `promote_attrs`)."""
    columns = {name: [r[name] for r in rows] for name in CANONICAL_SCHEMA.names}
    table = pa.Table.from_pydict(columns, schema=CANONICAL_SCHEMA)
    return promote_attrs(table) if promote else table


#: Key-value metadata of a promoted file: JSON lists of the promoted fields and of
#: every key left in `attrs`. A reader needs neither parse `attrs` for a field
#: that is promoted, nor for one `attrs` does not hold.
PROMOTED_KEY = b"slogate.promoted"
ATTRS_KEYS_KEY = b"slogate.attrs_keys"
_PROMOTABLE: dict[type, pa.DataType] = {str: pa.string(), int: pa.int64(), float: pa.float64()}


def promote_attrs(table: pa.Table) -> pa.Table:
    """Move the fields of `attrs` whose values in this table all have one JSON
    scalar type (all strings, all integers or all non-integral-typed floats) to
    top-level columns of that type, named after the field, with NULL where an
    event lacks it; everything else (objects, arrays, booleans, mixed types,
    names that clash with a canonical column) stays in `attrs`.

    Readers take a promoted column as that field's value, so queries over the
    Parquet read typed columns instead of parsing JSON per row. The file's
    metadata lists the promoted fields and the keys left in `attrs`."""
    attrs = table.column("attrs").to_pylist()
    parsed = [orjson.loads(a) if a else {} for a in attrs]
    kinds: dict[str, type | None] = {}
    for obj in parsed:
        for key, value in obj.items():
            kind = type(value) if value is not None else None
            if kind is None:
                kinds.setdefault(key, None)
                continue
            if kind is int and not -(2**63) <= value < 2**63:
                kind = object  # beyond BIGINT: keep the exact JSON text
            seen = kinds.get(key)
            if key not in kinds or seen is None:
                kinds[key] = kind if kind in _PROMOTABLE else object
            elif seen is not kind:
                kinds[key] = object
    promoted = sorted(
        k for k, kind in kinds.items() if kind in _PROMOTABLE and k not in CANONICAL_SCHEMA.names
    )
    if not promoted:
        return _with_metadata(table, [], sorted(kinds))
    rest_keys: set[str] = set()
    columns: dict[str, list[Any]] = {k: [] for k in promoted}
    rest: list[str] = []
    chosen = set(promoted)
    for obj in parsed:
        for k in promoted:
            columns[k].append(obj.get(k))
        left = {k: v for k, v in obj.items() if k not in chosen}
        rest_keys.update(left)
        rest.append(orjson.dumps(left).decode())
    out = table.set_column(
        CANONICAL_SCHEMA.get_field_index("attrs"), "attrs", pa.array(rest, type=pa.string())
    )
    for k in promoted:
        kind = kinds[k]
        assert kind is not None
        out = out.append_column(
            pa.field(k, _PROMOTABLE[kind]), pa.array(columns[k], _PROMOTABLE[kind])
        )
    return _with_metadata(out, promoted, sorted(rest_keys))


def _with_metadata(table: pa.Table, promoted: list[str], attrs_keys: list[str]) -> pa.Table:
    meta = dict(table.schema.metadata or {})
    meta[PROMOTED_KEY] = orjson.dumps(promoted)
    meta[ATTRS_KEYS_KEY] = orjson.dumps(attrs_keys)
    return table.replace_schema_metadata(meta)


def canonical_table(objects: list[dict[str, Any]], *, promote: bool = True) -> pa.Table:
    """Event objects (as in JSON lines) to a canonical Parquet table; for writers
    of bulk Parquet such as benchmarks and exports."""
    return to_table([canonical_row(o) for o in objects], promote=promote)


# -- file operations ---------------------------------------------------------------


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _instance_running(data_dir: Path, instance: str) -> bool:
    lock = data_dir / LOCKS_DIR / f"{instance}.lock"
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _write_parquet(
    table: pa.Table, target: Path, compression: Compression, row_group_rows: int
) -> None:
    tmp = target.with_name(f"{_TMP_PREFIX}{target.stem}{_TMP_SUFFIX}")
    try:
        pq.write_table(
            table,
            tmp,
            compression=None if compression == "none" else compression,
            row_group_size=row_group_rows,
        )
        _fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_path(target.parent, directory=True)


def _closed_segments(data_dir: Path, report: CompactionReport) -> list[tuple[Path, SegmentName]]:
    root = data_dir / EVENTS_DIR
    by_instance: dict[str, list[tuple[Path, SegmentName]]] = {}
    for _day, path, name in iter_segments(root):
        by_instance.setdefault(name.instance, []).append((path, name))
    closed: list[tuple[Path, SegmentName]] = []
    for instance, files in sorted(by_instance.items()):
        newest = max(n.seq for _, n in files)
        running = _instance_running(data_dir, instance)
        for path, name in files:
            if name.ext != "jsonl":
                continue
            if running and name.seq == newest:
                report.skipped_open.append(str(path))
                continue
            closed.append((path, name))
    return closed


def compact_store(
    data_dir: Path,
    *,
    compression: Compression = "zstd",
    row_group_rows: int = 128_000,
    on_segment: Callable[[SegmentResult], None] | None = None,
    promote: bool = False,
) -> CompactionReport:
    """Compact every closed event segment under `data_dir`; safe to run again and again.

    `promote` writes the scalar fields of `attrs` as typed top-level columns too
    (`promote_attrs`), which makes every later query over the files cheaper."""
    data_dir = Path(data_dir)
    if not (data_dir / EVENTS_DIR).is_dir():
        raise StoreError(f"{data_dir}: no event store here (missing {EVENTS_DIR}/)")
    locks = data_dir / LOCKS_DIR
    locks.mkdir(exist_ok=True)
    lock_fd = os.open(locks / "compact.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise StoreError(f"{data_dir}: another compaction is running") from exc
        report = CompactionReport()
        for tmp in sorted((data_dir / EVENTS_DIR).glob(f"date=*/{_TMP_PREFIX}*{_TMP_SUFFIX}")):
            tmp.unlink()  # left by a compaction that crashed (we hold the only lock)
            report.removed_temp.append(str(tmp))
        for path, _name in _closed_segments(data_dir, report):
            _compact_one(path, report, compression, row_group_rows, on_segment, promote)
        return report
    finally:
        os.close(lock_fd)


def _compact_one(
    path: Path,
    report: CompactionReport,
    compression: Compression,
    row_group_rows: int,
    on_segment: Callable[[SegmentResult], None] | None,
    promote: bool = False,
) -> None:
    target = path.with_suffix(".parquet")
    try:
        rows, torn = read_segment(path)
    except CorruptSegment as exc:
        report.corrupt.append(str(exc))
        return
    if target.exists():
        # An earlier run renamed the Parquet file but died before removing the JSONL.
        try:
            done = pq.ParquetFile(target).metadata.num_rows == len(rows)
        except (OSError, pa.ArrowException):
            done = False
        if done:
            path.unlink()
            _fsync_path(path.parent, directory=True)
            report.finished.append(str(path))
            return
    try:
        _write_parquet(to_table(rows, promote=promote), target, compression, row_group_rows)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"{path}: compaction failed, segment kept: {exc}") from exc
    path.unlink()
    _fsync_path(path.parent, directory=True)
    result = SegmentResult(str(path), str(target), len(rows), torn)
    report.compacted.append(result)
    if on_segment is not None:
        on_segment(result)


async def compact_periodically(
    data_dir: Path,
    *,
    interval_s: float,
    compression: Compression = "zstd",
    row_group_rows: int = 128_000,
    on_report: Callable[[CompactionReport], None] | None = None,
) -> None:
    """Compact closed segments every `interval_s` until cancelled (for `serve`, when
    `store.compaction.interval_minutes` is set). Runs in a worker thread; a failed
    run is logged and retried at the next tick, never fatal to the server."""
    import asyncio
    import logging

    log = logging.getLogger("slogate.store.compact")
    while True:
        await asyncio.sleep(interval_s)
        try:
            report = await asyncio.to_thread(
                compact_store, data_dir, compression=compression, row_group_rows=row_group_rows
            )
        except StoreError as exc:
            log.warning("compaction failed: %s", exc.one_line())
            continue
        if report.compacted or report.corrupt:
            log.info(
                "compacted %d segments (%d rows), %d corrupt",
                len(report.compacted),
                report.rows,
                len(report.corrupt),
            )
        if on_report is not None:
            on_report(report)
