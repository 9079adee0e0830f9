"""Write bulk benchmark data as canonical JSON lines or canonical Parquet, in
Hive partitions (`events/date=YYYY-MM-DD/bench-000001.{jsonl,parquet}`), one file
per `rows_per_file` rows so engines can read files in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from slogate.demo.bulk import BulkSpec, Row, bulk_days, jsonl_lines

FILE_NAME = "bench-{seq:06d}.{ext}"


def _chunks(rows: list[Row], size: int) -> list[list[Row]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]


def _replace(tmp: Path, path: Path) -> None:
    os.replace(tmp, path)


def write_bulk(
    spec: BulkSpec,
    out_dir: Path,
    *,
    fmt: str = "jsonl",
    rows_per_file: int = 500_000,
    on_day: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write `spec`'s events under `out_dir/events/`; returns the files written."""
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"unknown format {fmt!r} (jsonl or parquet)")
    files: list[Path] = []
    for index, rows in bulk_days(spec):
        day = spec.day_start(index)
        part = out_dir / "events" / f"date={day.date().isoformat()}"
        part.mkdir(parents=True, exist_ok=True)
        for seq, chunk in enumerate(_chunks(rows, rows_per_file), start=1):
            path = part / FILE_NAME.format(seq=seq, ext=fmt)
            tmp = path.with_name(f".{path.name}.tmp")
            if fmt == "jsonl":
                with open(tmp, "w", encoding="utf-8", buffering=1 << 20) as fh:
                    fh.writelines(jsonl_lines(chunk, day))
            else:
                _write_parquet(chunk, tmp)
            _replace(tmp, path)
            files.append(path)
        if on_day is not None:
            on_day(index, len(rows))
    return files


def _write_parquet(rows: list[Row], path: Path) -> None:
    """The canonical Parquet layout of CONTRACTS.md (ts at ms precision, as in JSONL)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    ts = pa.array([t // 1000 * 1000 for t in cols[0]], type=pa.int64()).cast(
        pa.timestamp("us", tz="UTC")
    )
    table = pa.table(
        {
            "ts": ts,
            "event": pa.array(cols[1], type=pa.string()),
            "source": pa.array(cols[2], type=pa.string()),
            "v": pa.array([1] * len(rows), type=pa.int64()),
            "event_id": pa.array(cols[3], type=pa.string()),
            "session_id": pa.array(cols[4], type=pa.string()),
            "user_id": pa.array(cols[5], type=pa.string()),
            "room_id": pa.array(cols[6], type=pa.string()),
            "attrs": pa.array(cols[7], type=pa.string()),
        }
    )
    pq.write_table(table, path, compression="zstd", row_group_size=128 * 1024)
