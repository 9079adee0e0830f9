"""`open_events` and `EventTable`: load once, evaluate many times.

Inputs are parsed once by DuckDB (`loader.py`) into a materialised canonical
table. With `engine="duckdb"` the SLI expressions run on that table; with
`engine="spark"` the table is handed to Spark as Parquet, cached, and the very
same Ibis expressions run there. Reading is the only engine-specific step.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import duckdb
import ibis
import ibis.expr.types as ir

from slogate.core import sli as ref
from slogate.core.catalog import Catalog
from slogate.core.result import Exclusion, SLIResult
from slogate.core.slo import SLO
from slogate.engine.columns import Layout, build_layout, slo_fields
from slogate.engine.loader import InputStats, Loader
from slogate.engine.queries import B, plan
from slogate.errors import EngineError, UsageError
from slogate.sources.files import InputFile, discover_inputs

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")

_COUNTER = itertools.count(1)


def _us(ts: datetime | None) -> int | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        raise UsageError(f"time {ts.isoformat()} has no time zone; give UTC times")
    return ref.to_micros(ts)


class EventTable:
    """Canonical events loaded once; `evaluate` runs SLIs over them.

    Built by `open_events`; use it as a context manager so temporary tables,
    Spark caches and files are released.
    """

    def __init__(
        self,
        *,
        engine: EngineName,
        table: Callable[[], ir.Table],
        layout: Layout,
        stats: InputStats,
        since: datetime | None,
        until: datetime | None,
        max_ts_us: int | None,
        closers: Sequence[Callable[[], None]] = (),
        run: Callable[[ir.Table], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.engine = engine
        self.stats = stats
        self.layout = layout
        self.since = since
        self.until = until
        self.max_ts_us = max_ts_us
        self._table = table
        self._run = run or _rows
        #: DuckDB ranks quantiles with its own aggregate (see `queries.plan`);
        #: tests turn it off to hold the portable path to the reference too.
        self.native_quantile = engine == "duckdb"
        self._closers = list(closers)
        self._closed = False

    def __enter__(self) -> EventTable:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):  # best effort cleanup of temp state
                closer()

    def table(self) -> ir.Table:
        """The canonical Ibis table (columns in `slogate.engine.columns`)."""
        if self._closed:
            raise EngineError("the event table is closed")
        return self._table()

    def evaluate(
        self,
        slos: Sequence[SLO],
        *,
        bucket: timedelta | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        exclusions: Sequence[Exclusion] = (),
    ) -> dict[str, list[SLIResult]]:
        """Results per SLO id: one whole-range result each, or one per non-empty
        bucket (UTC-aligned) when `bucket` is set. Correlation grace is measured
        against `until`, else the load's `until`, else the latest event."""
        t = self.table()
        since_us, until_us = _us(since), _us(until)
        if since_us is not None:
            t = t.filter(t.ts_us >= since_us)
        if until_us is not None:
            t = t.filter(t.ts_us < until_us)
        until_ref = until_us if until_us is not None else _us(self.until)
        if until_ref is None:
            until_ref = self.max_ts_us
        width = None
        if bucket is not None:
            width = bucket // timedelta(microseconds=1)
            if width <= 0:
                raise UsageError("a bucket must be a positive duration")
        out: dict[str, list[SLIResult]] = {}
        for slo in slos:
            ts = t.select(*_columns_of(slo, self.layout))
            for ex in exclusions:
                if ex.applies_to(slo.id):
                    start, end = _us(ex.start), _us(ex.end)
                    ts = ts.filter((ts.ts_us < start) | (ts.ts_us >= end))
            p = plan(
                slo,
                ts,
                self.layout,
                width_us=width,
                until_ref_us=until_ref,
                native_quantile=self.native_quantile,
            )
            rows = self._run(p.expr)
            results: list[SLIResult] = []
            for row in sorted(rows, key=lambda r: int(r[B] or 0)):
                result = p.finish(row)
                if result is None:
                    continue
                if bucket is not None:
                    start = ref.from_micros(int(row[B]))
                    result = ref.with_bucket(result, start, start + bucket)
                results.append(result)
            if bucket is None:
                results = results[:1] or [ref.empty_result(slo)]
            out[slo.id] = results
        return out


def _columns_of(slo: SLO, layout: Layout) -> list[str]:
    """The table columns one SLO reads: a narrow input keeps each compiled query
    (and Ibis's compile time, which grows with the width) small."""
    text, numeric = slo_fields([slo])
    cols = ["ts_us", "event"]
    for name in dict.fromkeys([*text, *numeric]):
        for col in (layout.text.get(name), layout.numeric.get(name)):
            if col is not None and col not in cols:
                cols.append(col)
    return cols


def _rows(expr: ir.Table) -> list[dict[str, Any]]:
    try:
        return expr.to_pyarrow().to_pylist()
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"query failed: {exc}") from exc


def open_events(
    inputs: Sequence[str | Path],
    catalog: Catalog,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    engine: EngineName = "duckdb",
    progress: bool = False,
    fields: Iterable[str] | None = None,
    numeric_fields: Iterable[str] = (),
    memory_limit: str | None = "600MB",
    spark_session: Any = None,
    storage: Literal["auto", "memory", "disk"] = "auto",
) -> EventTable:
    """Discover, parse and load the inputs once; return the table to evaluate.

    `fields`: event fields to keep as columns (None = every catalog field);
    pass the SLOs' `fields_of()` to load only what they read. Bad lines are
    counted in `stats.rejected`, never raised; a missing input is an InputError.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    since_us, until_us = _us(since), _us(until)
    if since_us is not None and until_us is not None and since_us >= until_us:
        raise UsageError("--since must be before --until")
    if engine == "spark" and spark_session is None:
        from slogate.engine.spark import java_available

        if not java_available():  # fail before minutes of parsing, not after
            raise EngineError(
                "the spark engine needs a Java runtime (install a JDK 17 or set JAVA_HOME); "
                "use --engine duckdb otherwise"
            )
    files = discover_inputs(inputs, since=since, until=until)
    layout = build_layout(catalog, fields, numeric_fields)
    reporter = _Progress(progress)
    workdir = Path(tempfile.mkdtemp(prefix="slogate-engine-"))
    closers: list[Callable[[], None]] = [lambda: shutil.rmtree(workdir, ignore_errors=True)]
    try:
        # Small inputs load into memory (fastest); large ones into a database
        # file in a private temp folder, which DuckDB compresses and pages out
        # under memory_limit, so a corpus larger than memory still loads. A load
        # that runs out of memory is retried on disk.
        on_disk = storage == "disk" or (
            storage == "auto" and _input_bytes(files) > DISK_THRESHOLD_BYTES
        )
        name = f"slogate_events_{next(_COUNTER)}"
        with reporter:
            while True:
                con = _connect(workdir, on_disk, memory_limit)
                try:
                    loader = Loader(
                        con,
                        catalog,
                        layout,
                        table=name,
                        since_us=since_us,
                        until_us=until_us,
                        step=reporter.step,
                    )
                    stats = loader.load(files)
                except duckdb.OutOfMemoryException:
                    con.close()
                    if on_disk or storage == "memory":
                        raise
                    on_disk = True
                    reporter.step("out of memory: loading again through a temporary file", 0)
                    continue
                closers.append(con.close)
                break
            rows = con.execute(f"SELECT max(ts_us) FROM {name}").fetchall()
            row = rows[0] if rows else None
            max_ts = int(row[0]) if row and row[0] is not None else None
            if engine == "duckdb":
                backend = ibis.duckdb.from_connection(con)

                def duck_table() -> ir.Table:
                    return backend.table(name)

                def duck_run(expr: ir.Table) -> list[dict[str, Any]]:
                    # Compile with Ibis, run on the connection and fetch plain
                    # tuples: Ibis's own result path imports pandas (~0.3 s).
                    try:
                        cur = con.execute(str(backend.compile(expr)))
                        names = [d[0] for d in cur.description or ()]
                        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
                    except duckdb.Error as exc:
                        raise EngineError(f"query failed: {exc}") from exc

                table_fn = duck_table
                run_fn: Callable[[ir.Table], list[dict[str, Any]]] | None = duck_run
            else:
                reporter.step("handing the events to Spark", 0)
                table_fn, spark_closers = _to_spark(con, name, workdir, spark_session)
                closers.extend(spark_closers)
                run_fn = None
        return EventTable(
            engine=engine,
            table=table_fn,
            layout=layout,
            stats=stats,
            since=since,
            until=until,
            max_ts_us=max_ts,
            closers=closers,
            run=run_fn,
        )
    except BaseException:
        for closer in reversed(closers):
            with contextlib.suppress(Exception):
                closer()
        raise


#: Above this much input (bytes of JSON text; see `_input_bytes`), the table goes
#: to a temporary database file rather than memory: about 7M events. Below it,
#: an in-memory table is faster to write; DuckDB pages it out to the temporary
#: folder beyond `memory_limit` (5M events: ~780 MB peak RSS, 0.1-0.4 s faster
#: than the file). Above it, the file, compressed as it is written (~110 MB for
#: 5M events), pages out less.
DISK_THRESHOLD_BYTES = 1_600_000_000
#: Compressed inputs expand by about this much into JSON text.
PARQUET_EXPANSION = 10
GZIP_EXPANSION = 8


def _connect(workdir: Path, on_disk: bool, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    database = ":memory:"
    if on_disk:
        database = str(workdir / "events.duckdb")
        Path(database).unlink(missing_ok=True)
    con = duckdb.connect(database, config={"temp_directory": str(workdir / "spill")})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def _input_bytes(files: Sequence[InputFile]) -> int:
    total = 0
    for f in files:
        try:
            size = f.path.stat().st_size
        except OSError:
            continue
        if f.format == "parquet":
            size *= PARQUET_EXPANSION
        elif f.path.name.endswith(".gz"):
            size *= GZIP_EXPANSION
        total += size
    return total


def _to_spark(
    con: duckdb.DuckDBPyConnection, name: str, workdir: Path, session: Any
) -> tuple[Callable[[], ir.Table], list[Callable[[], None]]]:
    from slogate.engine.spark import spark_session

    spark = session if session is not None else spark_session()
    out = workdir / f"{name}.parquet"
    con.execute(f"COPY {name} TO '{out}' (FORMAT parquet)")
    for kind in ("VIEW", "TABLE"):  # free DuckDB's copy: Spark reads the Parquet now
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP {kind} IF EXISTS {name}")
    df = spark.read.parquet(str(out)).cache()
    df.count()
    df.createOrReplaceTempView(name)
    backend = ibis.pyspark.connect(spark)

    def spark_table() -> ir.Table:
        return backend.table(name)

    def release() -> None:
        spark.catalog.dropTempView(name)
        df.unpersist()

    return spark_table, [release]


class _Progress:
    """Rich progress on stderr for long scans; silent unless asked for."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("discovering inputs", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def step(self, label: str, _count: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=label)
