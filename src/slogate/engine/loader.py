"""Parse every input once, with DuckDB, into the canonical events table.

All formats meet in one table (see `columns.py`): JSON lines and application
log lines (JSON cut from the first `{`), gzip of either, canonical Parquet (the
store's compacted layout, fields from `attrs`), and any other Parquet (each row
turned to JSON). Lines are read as a single text column so that a bad line is a
counted value, never an error: unreadable bytes, invalid JSON, no event name,
no valid timestamp and events outside the catalog are counted by reason, then
removed; repeated `event_id`s are counted and kept once (the earliest copy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from slogate.core.catalog import Catalog
from slogate.engine.columns import DEDUP_FIELD, Layout
from slogate.errors import InputError
from slogate.sources.files import InputFile

#: Columns of the store's compacted Parquet that are not inside `attrs`.
CANONICAL_COLUMNS = ("event", "source", "v", "event_id", "session_id", "user_id", "room_id")

#: Epoch numbers below this are seconds, at or above it milliseconds (1e11 s is
#: the year 5138; 1e11 ms is 1973).
EPOCH_MS_THRESHOLD = 1e11
#: Epoch milliseconds at or above this (year ~5138) are rejected as invalid.
EPOCH_MS_MAX = 1e14

REJECT_REASONS = (
    "invalid_encoding",
    "unreadable_line",
    "invalid_json",
    "missing_event",
    "invalid_ts",
    "unknown_event",
)


@dataclass(slots=True)
class InputStats:
    """What the readers saw; reported in every snapshot."""

    files: int = 0
    lines: int = 0
    events: int = 0
    duplicates: int = 0
    out_of_range: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "lines": self.lines,
            "events": self.events,
            "duplicates": self.duplicates,
            "out_of_range": self.out_of_range,
            "rejected": dict(sorted(self.rejected.items())),
        }


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _path_list(files: Sequence[InputFile]) -> str:
    return "[" + ", ".join(_q(str(f.path)) for f in files) + "]"


def _json_path(name: str) -> str:
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ts_from_text(expr: str) -> str:
    """SQL for epoch microseconds from ISO 8601 text or epoch s/ms text.

    Text that starts like a date is parsed as a timestamp (naive = UTC); anything
    else is tried as an epoch number (seconds below 1e11, else milliseconds).
    """
    d = f"try_cast({expr} AS DOUBLE)"
    return (
        f"CASE WHEN regexp_full_match(left({expr}, 5), '[0-9]{{4}}-') "
        f"THEN epoch_us(try_cast({expr} AS TIMESTAMPTZ)) "
        f"WHEN NOT isfinite({d}) THEN NULL "
        f"WHEN abs({d}) < {EPOCH_MS_THRESHOLD} THEN CAST(round({d} * 1000000) AS BIGINT) "
        f"WHEN abs({d}) < {EPOCH_MS_MAX} THEN CAST(round({d} * 1000) AS BIGINT) END"
    )


def _numeric(expr: str) -> str:
    d = f"try_cast({expr} AS DOUBLE)"
    return f"CASE WHEN isfinite({d}) THEN {d} END"


class Loader:
    """Builds the table `name` on `con` from the files; one instance per load."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Catalog,
        layout: Layout,
        *,
        table: str = "events",
        since_us: int | None = None,
        until_us: int | None = None,
        step: Callable[[str, int], None] | None = None,
    ) -> None:
        self.con = con
        self.catalog = catalog
        self.layout = layout
        self.table = table
        self.since_us = since_us
        self.until_us = until_us
        self.stats = InputStats()
        self._step = step or (lambda _label, _n: None)
        self._read_errors = 0

    # -- SQL pieces ---------------------------------------------------------------

    def _columns_sql(self) -> str:
        cols = ["reject VARCHAR", "ts_us BIGINT", "event VARCHAR"]
        cols += [f"{_ident(c)} VARCHAR" for c in self.layout.text.values()]
        cols += [f"{_ident(c)} DOUBLE" for c in self.layout.numeric.values()]
        return ", ".join(cols)

    def _finish(self, inner: str) -> str:
        """Wrap an inner query giving ok, name, ts_us and the text columns."""
        names = ", ".join(_q(n) for n in sorted(self.catalog.events))
        unknown = f"name NOT IN ({names})" if names else "TRUE"  # an empty catalog knows nothing
        numeric = [
            f"{_numeric(_ident(self.layout.raw[f]))} AS {_ident(col)}"
            for f, col in self.layout.numeric.items()
        ]
        text = [_ident(c) for c in self.layout.text.values()]
        select = ", ".join(["reject", "ts_us", "name AS event", *text, *numeric])
        return (
            f"SELECT {select} FROM (SELECT *, CASE WHEN NOT ok THEN 'invalid_json' "
            "WHEN name IS NULL THEN 'missing_event' WHEN ts_us IS NULL THEN 'invalid_ts' "
            f"WHEN {unknown} THEN 'unknown_event' END AS reject FROM ({inner}))"
        )

    def _from_json(self, source: str, *, validate: bool = True) -> str:
        """`source` yields a column j (JSON text or NULL); extract everything at once.

        Without `validate`, malformed JSON makes DuckDB raise instead of counting
        it: the loader tries that faster form first and falls back (see `_lines`).
        """
        paths = ["event", "name", "type", "ts", "timestamp", "time", *self.layout.raw]
        plist = "[" + ", ".join(_q(_json_path(p)) for p in paths) + "]"
        name = "coalesce(nullif(x[1], ''), nullif(x[2], ''), nullif(x[3], ''))"
        text = [f"x[{i + 7}] AS {_ident(col)}" for i, col in enumerate(self.layout.raw.values())]
        if validate:
            parsed = (
                f"SELECT ok, CASE WHEN ok THEN json_extract_string(j, {plist}) END AS x FROM ("
                f"SELECT j, coalesce(json_valid(j), false) AS ok FROM ({source}))"
            )
        else:
            parsed = (
                f"SELECT j IS NOT NULL AS ok, json_extract_string(j, {plist}) AS x FROM ({source})"
            )
        return (
            f"SELECT ok, {name} AS name, {_ts_from_text('r')} AS ts_us, {', '.join(text)} FROM ("
            f"SELECT *, coalesce(x[4], x[5], x[6]) AS r FROM ({parsed}))"
        )

    def _lines_source(self, files: Sequence[InputFile]) -> str:
        read = (
            f"read_csv({_path_list(files)}, columns={{'line': 'VARCHAR'}}, delim=chr(1), "
            "quote='', escape='', header=false, auto_detect=false, ignore_errors=true, "
            "store_rejects=true, rejects_table='slogate_rejects', rejects_scan='slogate_scans', "
            "parallel=true)"
        )
        # CASE arms run only on the rows that reach them: the common line that
        # starts with "{" is neither trimmed nor copied.
        return (
            "SELECT CASE WHEN starts_with(line, '{') THEN line "
            "WHEN strpos(line, '{') > 0 THEN substr(line, strpos(line, '{')) END AS j "
            f"FROM {read} WHERE line IS NOT NULL AND "
            "CASE WHEN starts_with(line, '{') THEN true ELSE trim(line) <> '' END"
        )

    def _canonical_lazy(
        self, files: Sequence[InputFile], columns: set[str], *, validate: bool = True
    ) -> str:
        """Like `_canonical_parquet` as a view: a query parses `attrs` only on the
        rows its filters kept. Adds each row's file and position (for dedup).
        Without `validate`, a malformed `attrs` makes queries raise."""
        read = (
            f"read_parquet({_path_list(files)}, union_by_name=true, filename=true, "
            "file_row_number=true)"
        )
        inside = [f for f in self.layout.raw if f not in columns or f not in CANONICAL_COLUMNS]
        plist = "[" + ", ".join(_q(_json_path(p)) for p in inside) + "]"
        has_attrs = "attrs" in columns and inside
        parts = []
        for fname, col in self.layout.raw.items():
            if fname in CANONICAL_COLUMNS and fname in columns:
                parts.append(f"CAST({_ident(fname)} AS VARCHAR) AS {_ident(col)}")
            elif has_attrs:
                parts.append(f"x[{inside.index(fname) + 1}] AS {_ident(col)}")
            else:
                parts.append(f"NULL::VARCHAR AS {_ident(col)}")
        attrs = "CAST(attrs AS VARCHAR)"
        extract = (
            f"CASE WHEN json_valid({attrs}) THEN json_extract_string({attrs}, {plist}) END"
            if has_attrs and validate
            else f"json_extract_string({attrs}, {plist})"
            if has_attrs
            else "NULL"
        )
        return (
            "SELECT true AS ok, nullif(CAST(event AS VARCHAR), '') AS name, "
            f"epoch_us(CAST(ts AS TIMESTAMPTZ)) AS ts_us, {', '.join(parts)}, "
            f"filename AS src_file, file_row_number AS src_row FROM "
            f"(SELECT *, {extract} AS x FROM {read})"
        )

    def _canonical_parquet(self, files: Sequence[InputFile], columns: set[str]) -> str:
        read = f"read_parquet({_path_list(files)}, union_by_name=true)"
        inside = [f for f in self.layout.raw if f not in columns or f not in CANONICAL_COLUMNS]
        plist = "[" + ", ".join(_q(_json_path(p)) for p in inside) + "]"
        has_attrs = "attrs" in columns and inside
        parts = []
        for fname, col in self.layout.raw.items():
            if fname in CANONICAL_COLUMNS and fname in columns:
                parts.append(f"CAST({_ident(fname)} AS VARCHAR) AS {_ident(col)}")
            elif has_attrs:
                idx = inside.index(fname) + 1
                parts.append(f"x[{idx}] AS {_ident(col)}")
            else:
                parts.append(f"NULL::VARCHAR AS {_ident(col)}")
        extract = (
            f"CASE WHEN json_valid(CAST(attrs AS VARCHAR)) THEN "
            f"json_extract_string(CAST(attrs AS VARCHAR), {plist}) END"
            if has_attrs
            else "NULL"
        )
        return (
            "SELECT true AS ok, nullif(CAST(event AS VARCHAR), '') AS name, "
            f"epoch_us(CAST(ts AS TIMESTAMPTZ)) AS ts_us, {', '.join(parts)} FROM "
            f"(SELECT *, {extract} AS x FROM {read})"
        )

    # -- the load -----------------------------------------------------------------

    def load(self, files: Sequence[InputFile], *, lazy_parquet: bool = True) -> InputStats:
        """Parse and load `files`; with `lazy_parquet` and only canonical Parquet
        inputs, nothing is copied: the table is a view over the files."""
        con = self.con
        self.stats.files = len(files)
        lines = [f for f in files if f.format == "lines"]
        canonical: list[InputFile] = []
        canonical_cols: set[str] = set()
        other: list[InputFile] = []
        for f in (f for f in files if f.format == "parquet"):
            try:
                schema = pq.read_schema(f.path)
            except Exception as exc:  # pyarrow raises several types for a bad footer
                raise InputError(f"not a readable Parquet file ({exc})", file=str(f.path)) from exc
            names = set(schema.names)
            # Canonical: the store's layout, with a real timestamp column.
            if {"ts", "event", "attrs"} <= names and pa.types.is_timestamp(schema.field("ts").type):
                canonical.append(f)
                canonical_cols |= names
            else:
                other.append(f)
        if lazy_parquet and canonical and not lines and not other:
            self._step(f"scanning {len(canonical)} canonical Parquet file(s)", len(canonical))
            self._lazy(canonical, canonical_cols)
            return self.stats
        con.execute(f"CREATE OR REPLACE TABLE {self.table} ({self._columns_sql()})")
        if lines:
            self._step(f"reading {len(lines)} line file(s)", len(lines))
            self._lines(lines)
            self._read_errors = self._count_read_errors()
        if canonical:
            self._step(f"reading {len(canonical)} canonical Parquet file(s)", len(canonical))
            self._insert(self._finish(self._canonical_parquet(canonical, canonical_cols)))
        if other:
            self._step(f"reading {len(other)} Parquet file(s)", len(other))
            read = f"read_parquet({_path_list(other)}, union_by_name=true)"
            self._insert(self._finish(self._from_json(f"SELECT to_json(t) AS j FROM {read} t")))
        self._step("checking events", 0)
        self._tally()
        return self.stats

    def _range_sql(self) -> str:
        cond = ["TRUE"]
        if self.since_us is not None:
            cond.append(f"ts_us >= {int(self.since_us)}")
        if self.until_us is not None:
            cond.append(f"ts_us < {int(self.until_us)}")
        return " AND ".join(cond)

    def _lazy(self, files: Sequence[InputFile], columns: set[str]) -> None:
        """Canonical Parquet is already columnar: count rejects and duplicates in
        one cheap pass over `event`, `ts` and `event_id`, then expose a view that
        drops them; queries parse `attrs` only for the fields and rows they use."""
        con, t, s = self.con, self.table, self.stats
        everything = f"{t}_all"
        sql = self._finish(self._canonical_lazy(files, columns))
        sql = sql.replace("SELECT reject, ts_us,", "SELECT reject, src_file, src_row, ts_us,", 1)
        con.execute(f"CREATE OR REPLACE VIEW {everything} AS {sql}")
        cond = self._range_sql()
        rows = con.execute(
            f"SELECT reject, ({cond}) AS inside, count(*) FROM {everything} GROUP BY 1, 2"
        ).fetchall()
        for reject, inside, n in rows:
            s.lines += int(n)
            if reject is not None:
                s.rejected[reject] = s.rejected.get(reject, 0) + int(n)
            elif not inside:
                s.out_of_range += int(n)
        kept = f"SELECT * FROM {everything} WHERE reject IS NULL AND {cond}"
        eid = self.layout.raw.get(DEDUP_FIELD)
        anti = ""
        if eid is not None:
            col = _ident(eid)
            found = con.execute(
                f"SELECT count({col}) - count(DISTINCT {col}) FROM ({kept})"
            ).fetchall()
            if found and found[0][0]:
                s.duplicates = int(found[0][0])
                con.execute(
                    f"CREATE OR REPLACE TABLE {t}_dups AS SELECT src_file, src_row FROM ({kept}) "
                    f"WHERE {col} IN (SELECT {col} FROM ({kept}) GROUP BY {col} "
                    "HAVING count(*) > 1) QUALIFY row_number() OVER "
                    f"(PARTITION BY {col} ORDER BY ts_us, src_file, src_row) > 1"
                )
                anti = f" ANTI JOIN {t}_dups USING (src_file, src_row)"
        keep = [c for c in self.layout.text.values() if c not in self.layout.drop_after_load]
        cols = ", ".join(["ts_us", "event", *map(_ident, keep)])
        cols += "".join(f", {_ident(c)}" for c in self.layout.numeric.values())
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT {cols} FROM ({kept}){anti}")
        s.events = s.lines - sum(s.rejected.values()) - s.out_of_range - s.duplicates

    def _lines(self, files: Sequence[InputFile]) -> None:
        """Fast path: extract without validating (one JSON parse per line). A
        malformed line makes DuckDB raise; the insert is atomic, so nothing was
        added and the validating form runs instead."""
        source = self._lines_source(files)
        try:
            self.con.execute(
                f"INSERT INTO {self.table} {self._finish(self._from_json(source, validate=False))}"
            )
        except duckdb.InvalidInputException as exc:
            if "json" not in str(exc).lower():
                raise InputError(f"cannot read input: {exc}") from exc
            self.con.execute("DROP TABLE IF EXISTS slogate_rejects")
            self.con.execute("DROP TABLE IF EXISTS slogate_scans")
            self._insert(self._finish(self._from_json(source)))
        except duckdb.IOException as exc:
            raise InputError(f"cannot read input: {exc}") from exc

    def _insert(self, body: str) -> None:
        try:
            self.con.execute(f"INSERT INTO {self.table} {body}")
        except duckdb.IOException as exc:
            raise InputError(f"cannot read input: {exc}") from exc
        except duckdb.InvalidInputException as exc:
            raise InputError(f"cannot read input: {exc}") from exc

    def _count_read_errors(self) -> int:
        try:
            rows = self.con.execute(
                "SELECT error_type, count(*) FROM slogate_rejects GROUP BY 1"
            ).fetchall()
        except duckdb.CatalogException:
            return 0
        total = 0
        for kind, n in rows:
            reason = "invalid_encoding" if "ENCODING" in str(kind) else "unreadable_line"
            self.stats.rejected[reason] = self.stats.rejected.get(reason, 0) + int(n)
            total += int(n)
        return total

    def _tally(self) -> None:
        con, t, s = self.con, self.table, self.stats
        in_range = ["TRUE"]
        if self.since_us is not None:
            in_range.append(f"ts_us >= {int(self.since_us)}")
        if self.until_us is not None:
            in_range.append(f"ts_us < {int(self.until_us)}")
        cond = " AND ".join(in_range)
        rows = con.execute(
            f"SELECT reject, ({cond}) AS inside, count(*) FROM {t} GROUP BY 1, 2"
        ).fetchall()
        drop = 0
        for reject, inside, n in rows:
            s.lines += int(n)
            if reject is not None:
                s.rejected[reject] = s.rejected.get(reject, 0) + int(n)
                drop += int(n)
            elif not inside:
                s.out_of_range += int(n)
                drop += int(n)
        s.lines += self._read_errors
        if drop:
            con.execute(f"DELETE FROM {t} WHERE reject IS NOT NULL OR NOT ({cond})")
        eid = self.layout.raw.get(DEDUP_FIELD)
        if eid is not None:
            col = _ident(eid)
            rows_ = con.execute(f"SELECT count({col}) - count(DISTINCT {col}) FROM {t}").fetchall()
            row = rows_[0] if rows_ else None
            if row and row[0]:
                # Keep the earliest copy of each repeated event_id.
                con.execute(
                    f"DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE {col} IN "
                    f"(SELECT {col} FROM {t} GROUP BY {col} HAVING count(*) > 1) "
                    f"QUALIFY row_number() OVER (PARTITION BY {col} ORDER BY ts_us) > 1)"
                )
                s.duplicates = int(row[0])
        s.events = s.lines - self._read_errors - drop - s.duplicates
        for col in (*self.layout.drop_after_load, "reject"):
            con.execute(f"ALTER TABLE {t} DROP COLUMN {_ident(col)}")
