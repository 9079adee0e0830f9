"""The floor: DuckDB counting the rows of the same files (nothing can read the
events faster than reading them at all).

    python bench/floor.py DIR --format jsonl|parquet
"""

from __future__ import annotations

import argparse
import sys

import duckdb


def count_rows(events_dir: str, fmt: str) -> int:
    events_dir = events_dir.replace("'", "''")
    if fmt == "jsonl":
        source = (
            f"read_json('{events_dir}/**/*.jsonl', format='newline_delimited', ignore_errors=true)"
        )
    else:
        source = f"read_parquet('{events_dir}/**/*.parquet')"
    con = duckdb.connect()
    row = con.execute(f"SELECT count(*) FROM {source}").fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="DuckDB row count of benchmark files.")
    parser.add_argument("events_dir")
    parser.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    args = parser.parse_args(argv)
    print(count_rows(args.events_dir, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
