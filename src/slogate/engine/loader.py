"""Parse every input once, with DuckDB, into the canonical events table.

All formats meet in one table (see `columns.py`): JSON lines and application
log lines (JSON cut from the first `{`), gzip of either, canonical Parquet (the
store's compacted layout: fields from promoted typed columns, else from
`attrs`), and any other Parquet (each row turned to JSON). Lines are read as a
single text column so that a bad line is a counted value, never an error:
unreadable bytes, invalid JSON, no event name, no valid timestamp and events
outside the catalog are counted by reason, then removed; repeated `event_id`s
are counted and kept once (the earliest copy).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from slogate.core.catalog import Catalog
from slogate.engine.columns import DEDUP_FIELD, Layout
from slogate.errors import InputError
from slogate.sources.files import InputFile
from slogate.store.compact import ATTRS_KEYS_KEY, PROMOTED_KEY

#: Columns of the store's compacted Parquet that are not inside `attrs`.
CANONICAL_COLUMNS = ("event", "source", "v", "event_id", "session_id", "user_id", "room_id")

#: Arrow types of Parquet columns read as numbers directly.
_NUMERIC_ARROW = frozenset(
    {
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float",
        "double",
        "halffloat",
    }
)

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
#: Reasons decided per row by the load query, stored as a one-byte code (cheaper
#: to write and group than text).
ROW_REJECTS = ("invalid_json", "missing_event", "invalid_ts", "unknown_event")
#: Column holding hash(event_id) when the text itself is not kept (see `_dedup_hashed`).
EID_HASH = "eid_h"


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


def _json_list(raw: bytes | None) -> list[str] | None:
    """A JSON list of names from Parquet metadata; None when absent or unreadable."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def _repeats(con: duckdb.DuckDBPyConnection, table: str, col: str) -> int:
    """Non-null values of `col` minus distinct ones (a grouped DISTINCT runs in
    parallel; `count(DISTINCT ...)` is ~40% slower on millions of rows)."""
    rows = con.execute(
        f"SELECT count({col}) - (SELECT count(*) FROM (SELECT DISTINCT {col} FROM {table} "
        f"WHERE {col} IS NOT NULL)) FROM {table}"
    ).fetchall()
    return int(rows[0][0] or 0) if rows else 0


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
        f"CASE WHEN {expr} GLOB '[0-9][0-9][0-9][0-9]-*' "
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
        #: Every query that inserted rows, kept to re-read the few rows whose
        #: event_id hash repeats (exact deduplication without the text column).
        self._bodies: list[tuple[Callable[[Sequence[InputFile]], str], list[InputFile]]] = []
        #: Position of each line file, stored per row (`src`) to re-read only
        #: the files that hold repeated ids.
        self._file_ids: dict[Path, int] = {}
        eid = layout.raw.get(DEDUP_FIELD)
        self._eid_text = eid
        self._hash_eid = eid is not None and eid in layout.drop_after_load

    # -- SQL pieces ---------------------------------------------------------------

    def _text_kept(self) -> list[str]:
        """Text columns stored in the table (event_id only as a hash unless asked for)."""
        return [
            c for c in self.layout.text.values() if not (self._hash_eid and c == self._eid_text)
        ]

    def _event_type(self) -> str:
        """An ENUM of the catalog's names: one byte per row instead of a string
        (the table is the load's largest cost); Ibis and Spark see plain text."""
        names = sorted(self.catalog.events)
        if not names:
            return "VARCHAR"
        return "ENUM(" + ", ".join(_q(n) for n in names) + ")"

    def _columns_sql(self) -> str:
        cols = ["reject UTINYINT", "ts_us BIGINT", f"event {self._event_type()}"]
        cols += [f"{_ident(c)} VARCHAR" for c in self._text_kept()]
        cols += [f"{_ident(c)} DOUBLE" for c in self.layout.numeric.values()]
        if self._hash_eid:
            cols += [f"{EID_HASH} UBIGINT", "src UINTEGER"]
        return ", ".join(cols)

    def _select_stored(self) -> str:
        """The table's columns from a `_finish` body (which carries the event_id text)."""
        # Rejected rows may carry names outside the catalog: NULL, as they go.
        event = "CASE WHEN reject IS NULL THEN event END AS event"
        cols = ["reject", "ts_us", event, *map(_ident, self._text_kept())]
        cols += [_ident(c) for c in self.layout.numeric.values()]
        if self._hash_eid:
            e = _ident(str(self._eid_text))
            cols.append(f"CASE WHEN {e} IS NOT NULL THEN hash({e}) END AS {EID_HASH}")
            cols.append("src")
        return ", ".join(cols)

    def _finish(self, inner: str, *, numeric_ready: bool = False) -> str:
        """Wrap an inner query giving ok, name, ts_us and the text columns (and,
        with `numeric_ready`, the numeric columns under their final names)."""
        names = ", ".join(_q(n) for n in sorted(self.catalog.events))
        unknown = f"name NOT IN ({names})" if names else "TRUE"  # an empty catalog knows nothing
        numeric = [
            _ident(col)
            if numeric_ready
            else f"{_numeric(_ident(self.layout.raw[f]))} AS {_ident(col)}"
            for f, col in self.layout.numeric.items()
        ]
        text = [_ident(c) for c in self.layout.text.values()]
        select = ", ".join(["reject", "ts_us", "name AS event", *text, *numeric, "src"])
        return (
            f"SELECT {select} FROM (SELECT *, CAST(CASE WHEN NOT ok THEN 1 "
            "WHEN name IS NULL THEN 2 WHEN ts_us IS NULL THEN 3 "
            f"WHEN {unknown} THEN 4 END AS UTINYINT) AS reject FROM ({inner}))"
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
                f"SELECT ok, CASE WHEN ok THEN json_extract_string(j, {plist}) END AS x, src FROM ("
                f"SELECT j, src, coalesce(json_valid(j), false) AS ok FROM ({source}))"
            )
        else:
            parsed = (
                f"SELECT j IS NOT NULL AS ok, json_extract_string(j, {plist}) AS x, src "
                f"FROM ({source})"
            )
        return (
            f"SELECT ok, {name} AS name, {_ts_from_text('r')} AS ts_us, {', '.join(text)}, src "
            f"FROM (SELECT *, coalesce(x[4], x[5], x[6]) AS r FROM ({parsed}))"
        )

    def _lines_source(self, files: Sequence[InputFile]) -> str:
        read = (
            f"read_csv({_path_list(files)}, columns={{'line': 'VARCHAR'}}, delim=chr(1), "
            "quote='', escape='', header=false, auto_detect=false, ignore_errors=true, "
            "store_rejects=true, rejects_table='slogate_rejects', rejects_scan='slogate_scans', "
            "parallel=true, filename=true)"
        )
        ids = (
            "["
            + ", ".join(str(self._file_ids.setdefault(f.path, len(self._file_ids))) for f in files)
            + "]"
        )
        # One value per file (a constant per chunk, so cheap to compute and store).
        src = f"CAST({ids}[list_position({_path_list(files)}, filename)] AS UINTEGER)"
        # CASE arms run only on the rows that reach them: the common line that
        # starts with "{" is neither trimmed nor copied.
        return (
            "SELECT CASE WHEN starts_with(line, '{') THEN line "
            "WHEN strpos(line, '{') > 0 THEN substr(line, strpos(line, '{')) END AS j, "
            f"{src} AS src FROM {read} WHERE line IS NOT NULL AND "
            "CASE WHEN starts_with(line, '{') THEN true ELSE trim(line) <> '' END"
        )

    def _field_source(self, fname: str, schema: pa.Schema) -> tuple[str, str]:
        """Where one file keeps a field: ("col", type) for a top-level column
        (canonical, or promoted by the store's writer), ("attrs", "") when it
        may be inside `attrs`, ("none", "") when the file's metadata says it is
        in neither. A column the metadata does not mark as promoted is read
        first, and `attrs` only where that column is NULL."""
        meta = schema.metadata or {}
        promoted = set(_json_list(meta.get(PROMOTED_KEY)) or ())
        attrs_keys = _json_list(meta.get(ATTRS_KEYS_KEY))
        in_attrs = attrs_keys is None or fname in attrs_keys
        if fname in schema.names and fname not in ("ts", "attrs"):
            typ = str(schema.field(fname).type)
            if fname in CANONICAL_COLUMNS or fname in promoted or not in_attrs:
                return ("col", typ)
            return ("col+attrs", typ)
        return ("attrs", "") if in_attrs else ("none", "")

    def _canonical_groups(
        self, files: Sequence[tuple[InputFile, pa.Schema]]
    ) -> list[tuple[list[InputFile], dict[str, tuple[str, str]]]]:
        """Files that read the same way (same source and type for every field)."""
        groups: dict[tuple[tuple[str, str], ...], list[InputFile]] = {}
        for f, schema in files:
            plan = tuple(self._field_source(n, schema) for n in self.layout.raw)
            groups.setdefault(plan, []).append(f)
        return [(fs, dict(zip(self.layout.raw, plan, strict=True))) for plan, fs in groups.items()]

    def _canonical_select(
        self,
        files: Sequence[InputFile],
        plan: dict[str, tuple[str, str]],
        *,
        validate: bool = True,
    ) -> str:
        """ok, name, ts_us and the raw text columns of one group of canonical
        files; typed columns are cast to text, `attrs` parsed once per row (in
        one call) only for fields that may be inside it."""
        read = f"read_parquet({_path_list(files)}, union_by_name=true)"
        inside = [f for f, (kind, _) in plan.items() if kind in ("attrs", "col+attrs")]
        plist = "[" + ", ".join(_q(_json_path(p)) for p in inside) + "]"
        texts: dict[str, str] = {}
        for fname in self.layout.raw:
            kind, _typ = plan[fname]
            top = f"CAST({_ident(fname)} AS VARCHAR)"
            if kind == "col":
                texts[fname] = top
            elif kind == "attrs":
                texts[fname] = f"x[{inside.index(fname) + 1}]"
            elif kind == "col+attrs":
                texts[fname] = f"coalesce({top}, x[{inside.index(fname) + 1}])"
            else:
                texts[fname] = "NULL::VARCHAR"
        parts = [f"{texts[f]} AS {_ident(col)}" for f, col in self.layout.raw.items()]
        for fname, col in self.layout.numeric.items():
            kind, typ = plan[fname]
            if kind == "col" and typ in _NUMERIC_ARROW:
                # A typed number needs no trip through text.
                value = f"CAST({_ident(fname)} AS DOUBLE)"
                parts.append(f"CASE WHEN isfinite({value}) THEN {value} END AS {_ident(col)}")
            else:
                parts.append(f"{_numeric(texts[fname])} AS {_ident(col)}")
        attrs = "CAST(attrs AS VARCHAR)"
        if not inside:
            extract = "NULL"
        elif validate:
            extract = (
                f"CASE WHEN json_valid({attrs}) THEN json_extract_string({attrs}, {plist}) END"
            )
        else:
            extract = f"json_extract_string({attrs}, {plist})"
        return (
            "SELECT true AS ok, nullif(CAST(event AS VARCHAR), '') AS name, "
            f"epoch_us(CAST(ts AS TIMESTAMPTZ)) AS ts_us, {', '.join(parts)}, "
            "NULL::UINTEGER AS src FROM "
            f"(SELECT *, {extract} AS x FROM {read})"
        )

    # -- the load -----------------------------------------------------------------

    def load(self, files: Sequence[InputFile]) -> InputStats:
        """Parse and load `files` into the table, counting what was rejected.

        Canonical Parquet is copied too: a view over the files would redo the
        checks (and parse `attrs`) in every query, which costs more than the copy."""
        con = self.con
        self.stats.files = len(files)
        lines = [f for f in files if f.format == "lines"]
        canonical: list[tuple[InputFile, pa.Schema]] = []
        other: list[InputFile] = []
        for f in (f for f in files if f.format == "parquet"):
            try:
                schema = pq.read_schema(f.path)
            except Exception as exc:  # pyarrow raises several types for a bad footer
                raise InputError(f"not a readable Parquet file ({exc})", file=str(f.path)) from exc
            names = set(schema.names)
            # Canonical: the store's layout, with a real timestamp column.
            if {"ts", "event", "attrs"} <= names and pa.types.is_timestamp(schema.field("ts").type):
                canonical.append((f, schema))
            else:
                other.append(f)
        groups = self._canonical_groups(canonical)
        con.execute(f"CREATE OR REPLACE TABLE {self.table} ({self._columns_sql()})")
        if lines:
            self._step(f"reading {len(lines)} line file(s)", len(lines))
            self._lines(lines)
            self._read_errors = self._count_read_errors()
        if canonical:
            self._step(f"reading {len(canonical)} canonical Parquet file(s)", len(canonical))
            for group, plan in groups:
                self._canonical(group, plan)
        if other:
            self._step(f"reading {len(other)} Parquet file(s)", len(other))
            self._insert(
                lambda fs: self._finish(
                    self._from_json(
                        f"SELECT to_json(t) AS j, NULL::UINTEGER AS src FROM "
                        f"read_parquet({_path_list(fs)}, union_by_name=true) t"
                    )
                ),
                other,
            )
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

    def _json_lines_select(self, files: Sequence[InputFile]) -> str:
        """ok, name, ts_us, the raw text columns and src of pure JSON-lines files,
        read by DuckDB's JSON reader with every wanted key declared as text.

        The reader parses each line straight into columns, which costs about a
        quarter less CPU than reading lines as text and extracting from them; it
        matches keys case-sensitively and renders values as `json_extract_string`
        does (tested), with one known exception: a number that DuckDB writes in
        exponent form ('1e+16', '-2.5e-07') when a text field holds it, where
        `json_extract_string` writes '10000000000000000.0' and '-2.5e-7' (the
        same number either way). Checking every text value for it cost 15-25 %
        of this tier's parse, for values no id or label field holds in practice.
        It raises on anything else (a text prefix, a line that is not an object,
        a duplicate key, bad UTF-8), and the caller falls back."""
        keys = list(
            dict.fromkeys(["event", "name", "type", "ts", "timestamp", "time", *self.layout.raw])
        )
        spec = "{" + ", ".join(f"{_q(k)}: 'VARCHAR'" for k in keys) + "}"
        ids = (
            "["
            + ", ".join(str(self._file_ids.setdefault(f.path, len(self._file_ids))) for f in files)
            + "]"
        )
        src = f"CAST({ids}[list_position({_path_list(files)}, filename)] AS UINTEGER)"
        name = "coalesce(nullif(\"event\", ''), nullif(\"name\", ''), nullif(\"type\", ''))"
        text = [f"{_ident(f)} AS {_ident(col)}" for f, col in self.layout.raw.items()]
        read = (
            f"read_json({_path_list(files)}, format='newline_delimited', columns={spec}, "
            "filename=true)"
        )
        return (
            f"SELECT true AS ok, {name} AS name, {_ts_from_text('r')} AS ts_us, "
            f'{", ".join(text)}, src FROM (SELECT *, coalesce("ts", "timestamp", "time") AS r, '
            f"{src} AS src FROM {read})"
        )

    def _json_reader_fits(self) -> bool:
        """DuckDB names columns case-insensitively: keys that differ only in case,
        or one called like the reader's `filename` column, need the text path."""
        keys = {"event", "name", "type", "ts", "timestamp", "time", *self.layout.raw}
        folded = {k.lower() for k in keys}
        return len(folded) == len(keys) and "filename" not in folded

    def _lines(self, files: Sequence[InputFile]) -> None:
        """Three tiers, fastest first, each an atomic insert (a failure adds
        nothing): DuckDB's JSON reader (pure JSON lines), then lines as text with
        one unvalidated extraction per line (a malformed line makes DuckDB
        raise), then the validating form that counts every bad line."""
        if self._json_reader_fits():
            try:
                self.con.execute(
                    f"INSERT INTO {self.table} SELECT {self._select_stored()} "
                    f"FROM ({self._finish(self._json_lines_select(files))})"
                )
                self._bodies.append(
                    (lambda fs: self._finish(self._json_lines_select(fs)), list(files))
                )
                return
            except duckdb.OutOfMemoryException:
                raise
            except duckdb.Error:
                # Not pure JSON lines (or unreadable): the text tiers decide,
                # counting bad lines or naming the file.
                pass

        def fast(fs: Sequence[InputFile]) -> str:
            return self._finish(self._from_json(self._lines_source(fs), validate=False))

        try:
            self.con.execute(
                f"INSERT INTO {self.table} SELECT {self._select_stored()} FROM ({fast(files)})"
            )
            self._bodies.append((fast, list(files)))
        except duckdb.InvalidInputException as exc:
            if "json" not in str(exc).lower():
                raise InputError(f"cannot read input: {exc}") from exc
            self.con.execute("DROP TABLE IF EXISTS slogate_rejects")
            self.con.execute("DROP TABLE IF EXISTS slogate_scans")
            self._insert(lambda fs: self._finish(self._from_json(self._lines_source(fs))), files)
        except duckdb.IOException as exc:
            raise InputError(f"cannot read input: {exc}") from exc

    def _canonical(self, files: Sequence[InputFile], plan: dict[str, tuple[str, str]]) -> None:
        """Like `_lines`: parse `attrs` without validating first (one parse per
        row); a malformed `attrs` makes DuckDB raise, and the validating form
        (which reads such a row's fields as absent) runs instead."""

        def fast(fs: Sequence[InputFile]) -> str:
            sel = self._canonical_select(fs, plan, validate=False)
            return self._finish(sel, numeric_ready=True)

        try:
            self.con.execute(
                f"INSERT INTO {self.table} SELECT {self._select_stored()} FROM ({fast(files)})"
            )
            self._bodies.append((fast, list(files)))
        except duckdb.InvalidInputException as exc:
            if "json" not in str(exc).lower():
                raise InputError(f"cannot read input: {exc}") from exc
            self._insert(
                lambda fs: self._finish(self._canonical_select(fs, plan), numeric_ready=True),
                files,
            )
        except duckdb.IOException as exc:
            raise InputError(f"cannot read input: {exc}") from exc

    def _insert(
        self, build: Callable[[Sequence[InputFile]], str], files: Sequence[InputFile]
    ) -> None:
        try:
            self.con.execute(
                f"INSERT INTO {self.table} SELECT {self._select_stored()} FROM ({build(files)})"
            )
            self._bodies.append((build, list(files)))
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
        cond = self._range_sql()
        rows = con.execute(
            f"SELECT reject, ({cond}) AS inside, count(*) FROM {t} GROUP BY 1, 2"
        ).fetchall()
        drop = 0
        for code, inside, n in rows:
            s.lines += int(n)
            if code is not None:
                reject = ROW_REJECTS[int(code) - 1]
                s.rejected[reject] = s.rejected.get(reject, 0) + int(n)
                drop += int(n)
            elif not inside:
                s.out_of_range += int(n)
                drop += int(n)
        s.lines += self._read_errors
        if drop:
            con.execute(f"DELETE FROM {t} WHERE reject IS NOT NULL OR NOT ({cond})")
        if self._eid_text is not None:
            s.duplicates = self._dedup_hashed() if self._hash_eid else self._dedup_text()
        s.events = s.lines - self._read_errors - drop - s.duplicates
        for col in self.layout.drop_after_load:
            if not (self._hash_eid and col == self._eid_text):
                con.execute(f"ALTER TABLE {t} DROP COLUMN {_ident(col)}")
        con.execute(f"ALTER TABLE {t} DROP COLUMN reject")
        if self._hash_eid:
            con.execute(f"ALTER TABLE {t} DROP COLUMN {EID_HASH}")
            con.execute(f"ALTER TABLE {t} DROP COLUMN src")

    def _dedup_text(self) -> int:
        """Keep the earliest copy of each repeated event_id (text column kept)."""
        con, t = self.con, self.table
        col = _ident(str(self._eid_text))
        found = _repeats(con, t, col)
        if found:
            con.execute(
                f"DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE {col} IN "
                f"(SELECT {col} FROM {t} GROUP BY {col} HAVING count(*) > 1) "
                f"QUALIFY row_number() OVER (PARTITION BY {col} ORDER BY ts_us) > 1)"
            )
        return found

    def _dedup_hashed(self) -> int:
        """Exact deduplication from a 64-bit hash of event_id: distinct hashes prove
        distinct ids, so the usual case costs one pass over 8-byte values. Rows
        whose hash repeats (true duplicates, or a hash collision) are read again
        with their event_id text, deduplicated by the text itself, and put back."""
        con, t = self.con, self.table
        h = EID_HASH
        if not _repeats(con, t, h):
            return 0
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {t}_duph AS SELECT {h} FROM {t} "
            f"WHERE {h} IS NOT NULL GROUP BY {h} HAVING count(*) > 1"
        )
        e = _ident(str(self._eid_text))
        held = {
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT src FROM {t} WHERE {h} IN (SELECT {h} FROM {t}_duph)"
            ).fetchall()
        }
        parts = []
        for build, files in self._bodies:
            # Line files are known by id; Parquet rows carry none (read them all).
            subset = [
                f
                for f in files
                if (self._file_ids[f.path] in held if f.path in self._file_ids else None in held)
            ]
            if subset:
                parts.append(f"SELECT * FROM ({build(subset)})")
        union = " UNION ALL ".join(parts)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {t}_cand AS SELECT {self._select_stored()}, "
            f"{e} AS eid_text FROM ({union}) WHERE reject IS NULL AND {self._range_sql()} "
            f"AND {e} IS NOT NULL AND hash({e}) IN (SELECT {h} FROM {t}_duph)"
        )
        ((found, again),) = con.execute(
            f"SELECT count(*) - count(DISTINCT eid_text), count(*) FROM {t}_cand"
        ).fetchall()
        ((before,),) = con.execute(
            f"SELECT count(*) FROM {t} WHERE {h} IN (SELECT {h} FROM {t}_duph)"
        ).fetchall()
        if again == before:
            stored = ", ".join(self._select_stored_names())
            con.execute(f"DELETE FROM {t} WHERE {h} IN (SELECT {h} FROM {t}_duph)")
            con.execute(
                f"INSERT INTO {t} SELECT {stored} FROM {t}_cand "
                "QUALIFY row_number() OVER (PARTITION BY eid_text ORDER BY ts_us) = 1"
            )
        else:
            # A file grew between the two reads (a live store segment): the
            # second read is not the first one, so decide on the hash alone
            # (a 64-bit collision among these few rows is not a real risk).
            ((found,),) = con.execute(
                f"SELECT count({h}) - count(DISTINCT {h}) FROM {t}"
            ).fetchall()
            con.execute(
                f"DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE {h} IN "
                f"(SELECT {h} FROM {t}_duph) QUALIFY row_number() OVER "
                f"(PARTITION BY {h} ORDER BY ts_us) > 1)"
            )
        con.execute(f"DROP TABLE {t}_cand")
        con.execute(f"DROP TABLE {t}_duph")
        return int(found or 0)

    def _select_stored_names(self) -> list[str]:
        cols = ["reject", "ts_us", "event", *map(_ident, self._text_kept())]
        cols += [_ident(c) for c in self.layout.numeric.values()]
        if self._hash_eid:
            cols += [EID_HASH, "src"]
        return cols
