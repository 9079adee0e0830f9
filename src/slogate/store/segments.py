"""Append-only JSONL segments with group commit.

Why it looks like this: an acknowledged event must survive `kill -9` and power
loss, so `append` returns only after `fdatasync`. One fsync per request caps the
service at a few hundred requests per second, so concurrent callers are batched:
while one fsync runs, new batches queue up, and the next write+fsync covers all
of them (group commit). File work happens on one dedicated thread per log, so
the event loop never blocks on the disk and writes never interleave. Under load
that arrives spread out, rounds are paced (`commit_interval`) so that groups stay
large: every round costs CPU of its own, whatever its size.

A failed write (ENOSPC, EIO) is truncated back to the last fsynced offset, so a
segment never holds half a line; the callers whose bytes were not made durable
get `StoreError`. A crash can still leave a torn last line (the bytes of an
unacknowledged batch); `open()` truncates it and counts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from slogate.errors import StoreError
from slogate.store.layout import (
    DEADLETTER_DIR,
    EVENTS_DIR,
    INSTANCE_RE,
    LOCKS_DIR,
    default_instance,
    iter_segments,
    partition_dirname,
    segment_filename,
)

__all__ = ["RecoveryReport", "SegmentStore", "default_instance"]

#: Buffers per `writev` call (well under every system's IOV_MAX).
_IOV_BATCH = 512

#: Below this much free space a store that failed a write stays "not writable".
_MIN_FREE_BYTES = 256 * 1024

#: Default of `SegmentStore(commit_interval=...)`, in seconds (see `_GroupCommitter`).
#: Chosen from bench/ingest.py on the 2-core host (docs/ingest.md): at 3 ms the
#: paced phase makes about 250 rounds a second instead of about 410, and full speed,
#: whose rounds (write + fdatasync) last about 5 ms, stays CPU-bound. At 5 ms full
#: speed became bound by the commit cadence (about 30 of the 32 connections waiting
#: in each round), which would cap its rate on a faster host.
DEFAULT_COMMIT_INTERVAL = 0.003


#: fdatasync flushes the data and the size (what a reader needs), not the mtime;
#: macOS has no fdatasync, where fsync does the same job.
_fdatasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What `open()` found and repaired; logged by `serve` and asserted by tests."""

    segments_checked: int = 0
    torn_lines: int = 0
    truncated_bytes: int = 0
    truncated_files: tuple[str, ...] = ()
    removed_empty: int = 0
    next_seq: int = 1
    deadletter_torn_lines: int = 0
    deadletter_next_seq: int = 1


@dataclass(slots=True)
class _Recovery:
    checked: int = 0
    torn: int = 0
    bytes: int = 0
    files: list[str] = field(default_factory=list)
    empty: int = 0
    max_seq: int = 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _truncate_torn_tail(path: Path) -> int:
    """Cut everything after the last newline; return the bytes removed."""
    with open(path, "r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return 0
        pos = size
        keep = 0
        chunk = 64 * 1024
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            buf = fh.read(pos - start)
            idx = buf.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                break
            pos = start
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
        return size - keep


class _SegmentLog:
    """One append-only log (events or dead letters); used only from its own thread."""

    def __init__(
        self,
        root: Path,
        *,
        instance: str,
        clock: Callable[[], datetime],
        max_segment_bytes: int,
        fsync: bool,
    ) -> None:
        self.root = root
        self.instance = instance
        self._clock = clock
        self._max = max_segment_bytes
        self._fsync = fsync
        self._seq = 0
        self._fd: int | None = None
        self._path: Path | None = None
        self._day: date | None = None
        self._size = 0  # bytes written to the current segment
        self._synced = 0  # bytes known durable in the current segment
        self._sync_failed = False
        self.healthy = True

    # -- recovery --------------------------------------------------------------

    def recover(self) -> _Recovery:
        rec = _Recovery()
        self.root.mkdir(parents=True, exist_ok=True)
        for _day, path, name in iter_segments(self.root):
            if name.instance != self.instance:
                continue
            rec.max_seq = max(rec.max_seq, name.seq)
            if name.ext != "jsonl":
                continue
            rec.checked += 1
            if path.stat().st_size == 0:
                path.unlink()
                rec.empty += 1
                continue
            cut = _truncate_torn_tail(path)
            if cut:
                rec.torn += 1
                rec.bytes += cut
                rec.files.append(str(path))
                if path.stat().st_size == 0:
                    path.unlink()
                    rec.empty += 1
        self._seq = rec.max_seq
        return rec

    # -- writing ---------------------------------------------------------------

    def _today(self) -> date:
        now = self._clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return now.astimezone(UTC).date()

    def _close_current(self) -> None:
        if self._fd is None:
            return
        fd, path, size = self._fd, self._path, self._size
        self._fd = None
        self._path = None
        with contextlib.suppress(OSError):
            os.close(fd)
        if size == 0 and path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def _rotate(self, day: date) -> None:
        self._close_current()
        part = self.root / partition_dirname(day)
        if not part.is_dir():
            part.mkdir(parents=True, exist_ok=True)
            if self._fsync:
                _fsync_dir(self.root)
        self._seq += 1
        path = part / segment_filename(self.instance, self._seq)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        fd = os.open(path, flags, 0o644)
        self._fd, self._path, self._day = fd, path, day
        self._size = self._synced = 0
        if self._fsync:
            _fsync_dir(part)

    def _write_pending(self, pending: list[bytes]) -> None:
        """Write the queued chunks of one segment with as few system calls as possible:
        each call releases and retakes the GIL, and retaking it can wait for the
        event loop's thread (up to the switch interval), so one `writev` per group
        beats one `write` per request."""
        if len(pending) == 1:
            self._write_all(pending[0])
        elif pending:
            assert self._fd is not None
            for start in range(0, len(pending), _IOV_BATCH):
                bufs = pending[start : start + _IOV_BATCH]
                total = sum(map(len, bufs))
                n = os.writev(self._fd, bufs)
                self._size += n
                if n < total:  # a short write: the rest the slow way (it raises on error)
                    self._write_all(memoryview(b"".join(bufs))[n:])
        pending.clear()

    def _write_all(self, data: bytes | memoryview) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            if n <= 0:  # pragma: no cover - os.write raises rather than return 0
                raise OSError(errno.EIO, "short write")
            self._size += n
            view = view[n:]

    def _sync(self, timings: list[float]) -> None:
        assert self._fd is not None
        if self._fsync:
            t0 = time.perf_counter()
            try:
                _fdatasync(self._fd)
            except OSError:
                # After a failed fsync the page cache cannot be trusted (the
                # "fsyncgate" lesson): never write to this segment again.
                self._sync_failed = True
                raise
            timings.append(time.perf_counter() - t0)
        self._synced = self._size

    def _rollback(self) -> None:
        """Drop the bytes that were not made durable, so no half line stays behind."""
        if self._fd is None:
            return
        try:
            if self._size != self._synced:
                os.ftruncate(self._fd, self._synced)
                self._size = self._synced
        except OSError:
            # Cannot repair in place: abandon this segment; open() truncates later.
            self._close_current()
            return
        if self._synced == 0 or self._sync_failed:
            self._sync_failed = False
            self._close_current()

    def _day_of(self, hint: str | None, today: date) -> date:
        """The partition of a batch: the day of its `ts` (stamped by the server just
        before), so a partition never holds events of another day; the clock's day
        when there is no usable `ts` or it is more than a day away from the clock."""
        if hint:
            try:
                day = date.fromisoformat(hint)
            except ValueError:
                return today
            if abs((day - today).days) <= 1:
                return day
        return today

    def write_group(
        self, chunks: Sequence[tuple[str | None, bytes]]
    ) -> tuple[list[BaseException | None], list[float]]:
        """Write every chunk, fsync once per segment touched; per-chunk outcome.

        Chunks are taken in day order (only matters around midnight), so a group
        switches partition at most once.
        """
        timings: list[float] = []
        results: list[BaseException | None] = [None] * len(chunks)
        durable: set[int] = set()
        unsynced: list[int] = []
        pending: list[bytes] = []  # chunks for the current segment, not written yet
        planned = 0  # their bytes
        try:
            today = self._today()
            by_hint: dict[str | None, date] = {}  # a group mostly shares one day hint
            days = []
            for hint, _ in chunks:
                day = by_hint.get(hint)
                if day is None:
                    day = by_hint[hint] = self._day_of(hint, today)
                days.append(day)
            for i in sorted(range(len(chunks)), key=days.__getitem__):
                data, day = chunks[i][1], days[i]
                size = self._size + planned
                full = size > 0 and size + len(data) > self._max
                if self._fd is None or day != self._day or full:
                    self._write_pending(pending)
                    planned = 0
                    if self._fd is not None and self._size != self._synced:
                        self._sync(timings)
                    durable.update(unsynced)
                    unsynced.clear()
                    self._rotate(day)
                pending.append(data)
                planned += len(data)
                unsynced.append(i)
            self._write_pending(pending)
            if self._fd is not None and self._size != self._synced:
                self._sync(timings)
            durable.update(unsynced)
            self.healthy = True
        except OSError as exc:
            where = str(self._path) if self._path else str(self.root)
            self._rollback()
            self.healthy = False
            message = f"{where}: write failed: {exc.strerror or exc}"
            for j in range(len(chunks)):
                if j not in durable:
                    results[j] = StoreError(message)
        return results, timings

    def close(self) -> None:
        if self._fd is not None and self._size != self._synced:
            with contextlib.suppress(OSError):
                self._sync([])
        self._close_current()

    def segment_files(self) -> int:
        n = 0
        for _day, _path, name in iter_segments(self.root):
            if name.instance == self.instance and name.ext == "jsonl":
                n += 1
        return n

    def probe_writable(self) -> bool:
        try:
            st = os.statvfs(self.root)
        except OSError:
            return False
        free = st.f_bavail * st.f_frsize
        return free >= _MIN_FREE_BYTES and os.access(self.root, os.W_OK)


def _day_hint(ts: Any) -> str | None:
    """`YYYY-MM-DD` of an ISO `ts` in UTC (`...Z`), else None (the clock decides)."""
    if isinstance(ts, str) and len(ts) >= 11 and ts[10] == "T" and ts.endswith("Z"):
        return ts[:10]
    return None


class _GroupCommitter:
    """Queues batches from concurrent callers; one writer thread drains them in groups.

    A dedicated thread fed by a `SimpleQueue`, not a thread pool: a round costs the
    event loop one queue put per batch and one `call_soon_threadsafe` callback per
    group, instead of an executor future chain (`run_in_executor`, the pool's
    Python-level semaphore, future wrapping) per group. That matters when requests
    arrive spread out and groups are small. While the thread writes and fsyncs, new
    batches wait in the queue; the next round takes all of them (group commit).

    Pacing (`commit_interval`, like PostgreSQL's `commit_delay`): once a round has
    served more than one caller, the next round starts no sooner than
    `commit_interval` after it started. A round has a cost of its own whatever its
    size: the kernel's fdatasync work on the writer thread and, on the event loop,
    the writer taking the GIL back after each blocking call (each attempt wakes it,
    and it pre-empted the loop's thread thousands of times a second under paced
    load). Spread-out load with a fast disk made rounds of a few batches, many more
    of them than full speed makes. The writer sleeps *before* it takes the next
    group, so the pause costs no extra GIL hand-off, and batches arriving meanwhile
    join that group. A lone caller (the last round served one batch) is never
    delayed. Pacing only decides when a round starts: every caller is still
    answered after its bytes are fdatasync'ed."""

    def __init__(
        self,
        log: _SegmentLog,
        on_fsync: Callable[[float], None],
        *,
        name: str,
        commit_interval: float = 0.0,
    ) -> None:
        self._log = log
        self._on_fsync = on_fsync
        self._name = name
        self._interval = commit_interval
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outstanding = 0  # batches submitted and not answered yet (loop side)
        self._idle: asyncio.Event | None = None
        self.groups = 0  # how many write+fsync rounds ran (tests assert group commit)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    async def submit(self, data: bytes, day_hint: str | None = None) -> None:
        assert self._loop is not None
        fut: asyncio.Future[None] = self._loop.create_future()
        self._outstanding += 1
        self._queue.put(((day_hint, data), fut))
        await fut

    def _run(self) -> None:
        """The writer thread: one group per round, answered on the event loop."""
        take, take_more = self._queue.get, self._queue.get_nowait
        interval, clock, sleep = self._interval, time.monotonic, time.sleep
        started = 0.0  # when the last round took its group
        shared = False  # the last round served more than one caller
        stop = False
        while not stop:
            if shared and interval > 0:
                wait = interval - (clock() - started)
                if wait > 0:
                    sleep(wait)  # let the next group fill (see the class docstring)
            first = take()
            if first is None:
                return
            started = clock()
            group = [first]
            while True:
                try:
                    item = take_more()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            try:
                results, timings = self._log.write_group([d for d, _ in group])
            except BaseException as exc:  # a bug, not a disk error: fail the group
                err = exc if isinstance(exc, Exception) else StoreError("store stopped")
                results, timings = [err] * len(group), []
            self.groups += 1
            shared = len(group) > 1
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._answer, group, results, timings)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return

    def _answer(
        self,
        group: list[tuple[tuple[str | None, bytes], asyncio.Future[None]]],
        results: Sequence[BaseException | None],
        timings: list[float],
    ) -> None:
        for (_, fut), err in zip(group, results, strict=True):
            if fut.done():  # the caller went away (cancelled); bytes are written anyway
                continue
            if err is None:
                fut.set_result(None)
            else:
                fut.set_exception(err)
        for dt in timings:
            self._on_fsync(dt)
        self._outstanding -= len(group)
        if self._outstanding == 0 and self._idle is not None:
            self._idle.set()

    async def wait_idle(self) -> None:
        while self._outstanding:
            self._idle = asyncio.Event()
            await self._idle.wait()
        self._idle = None

    async def stop(self, executor: ThreadPoolExecutor) -> None:
        """Let the writer thread finish (after `wait_idle`); joined off the loop."""
        if self._thread is None:
            return
        self._queue.put(None)
        assert self._loop is not None
        await self._loop.run_in_executor(executor, self._thread.join)
        self._thread = None


class SegmentStore:
    """The durable event store under `data_dir` (see `slogate.store.layout`).

    One process writes as one `instance`; a lock file under `DIR/.locks/` stops
    a second process from writing as the same instance. Segments never get
    reopened after a restart: `open()` starts a new sequence number, so every
    file except the newest of a running instance is closed for good.
    """

    on_fsync: Callable[[float], None] | None

    def __init__(
        self,
        data_dir: Path,
        *,
        instance: str,
        clock: Callable[[], datetime],
        max_segment_bytes: int = 64 * 2**20,
        fsync: bool = True,
        commit_interval: float = DEFAULT_COMMIT_INTERVAL,
    ) -> None:
        """`commit_interval` (seconds, 0 = off): the least time between the starts of
        two group commits once more than one caller is writing (`_GroupCommitter`)."""
        if not INSTANCE_RE.match(instance):
            raise ValueError(f"instance id {instance!r} must match {INSTANCE_RE.pattern}")
        if max_segment_bytes <= 0:
            raise ValueError("max_segment_bytes must be positive")
        if not 0 <= commit_interval <= 1:
            raise ValueError("commit_interval must be between 0 and 1 second")
        self._commit_interval = commit_interval
        self.data_dir = Path(data_dir)
        self.instance = instance
        self.on_fsync = None
        self._clock = clock
        self._events = _SegmentLog(
            self.data_dir / EVENTS_DIR,
            instance=instance,
            clock=clock,
            max_segment_bytes=max_segment_bytes,
            fsync=fsync,
        )
        self._dead = _SegmentLog(
            self.data_dir / DEADLETTER_DIR,
            instance=instance,
            clock=clock,
            max_segment_bytes=max_segment_bytes,
            fsync=fsync,
        )
        self._ev_exec: ThreadPoolExecutor | None = None
        self._dl_exec: ThreadPoolExecutor | None = None
        self._ev_commit: _GroupCommitter | None = None
        self._dl_commit: _GroupCommitter | None = None
        self._lock_fd: int | None = None
        self._state = "new"  # new | open | closed

    # -- lifecycle -------------------------------------------------------------

    async def open(self) -> RecoveryReport:
        if self._state != "new":
            raise StoreError(f"{self.data_dir}: store already {self._state}")
        self._ev_exec = ThreadPoolExecutor(1, thread_name_prefix="slogate-store")
        self._dl_exec = ThreadPoolExecutor(1, thread_name_prefix="slogate-deadletter")
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(self._ev_exec, self._open_sync)
        except BaseException:
            self._ev_exec.shutdown(wait=False)
            self._dl_exec.shutdown(wait=False)
            raise
        self._ev_commit = _GroupCommitter(
            self._events,
            self._fsync_observed,
            name="slogate-store-writer",
            commit_interval=self._commit_interval,
        )
        self._dl_commit = _GroupCommitter(
            self._dead,
            self._fsync_observed,
            name="slogate-deadletter-writer",
            commit_interval=self._commit_interval,
        )
        self._ev_commit.start(loop)
        self._dl_commit.start(loop)
        self._state = "open"
        return report

    def _open_sync(self) -> RecoveryReport:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            locks = self.data_dir / LOCKS_DIR
            locks.mkdir(exist_ok=True)
            fd = os.open(locks / f"{self.instance}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
        except OSError as exc:
            raise StoreError(f"{self.data_dir}: cannot open store: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StoreError(
                f"{self.data_dir}: instance {self.instance!r} is already writing here "
                "(another process holds its lock)"
            ) from exc
        self._lock_fd = fd
        try:
            ev = self._events.recover()
            dl = self._dead.recover()
        except OSError as exc:
            self._release_lock()
            raise StoreError(f"{self.data_dir}: recovery failed: {exc}") from exc
        return RecoveryReport(
            segments_checked=ev.checked,
            torn_lines=ev.torn,
            truncated_bytes=ev.bytes + dl.bytes,
            truncated_files=tuple(ev.files + dl.files),
            removed_empty=ev.empty + dl.empty,
            next_seq=ev.max_seq + 1,
            deadletter_torn_lines=dl.torn,
            deadletter_next_seq=dl.max_seq + 1,
        )

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None

    async def close(self) -> None:
        if self._state != "open":
            self._state = "closed"
            return
        self._state = "closing"
        assert self._ev_commit and self._dl_commit and self._ev_exec and self._dl_exec
        await self._ev_commit.wait_idle()
        await self._dl_commit.wait_idle()
        await self._ev_commit.stop(self._ev_exec)
        await self._dl_commit.stop(self._dl_exec)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._ev_exec, self._events.close)
        await loop.run_in_executor(self._dl_exec, self._dead.close)
        self._release_lock()
        self._ev_exec.shutdown(wait=True)
        self._dl_exec.shutdown(wait=True)
        self._state = "closed"

    # -- writing ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._state != "open":
            raise StoreError(f"{self.data_dir}: store is {self._state}, not open")

    async def append(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Append events as JSON lines; returns once they are on disk (fsynced)."""
        self._check_open()
        if not events:
            return
        data = b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in events)
        assert self._ev_commit is not None
        await self._ev_commit.submit(data, _day_hint(events[0].get("ts")))

    async def append_lines(self, data: bytes, first_ts: Any = None) -> None:
        """Append events already serialised as JSON lines (each ending in a newline),
        as `append` would write them; `first_ts` is the first event's `ts`, which
        picks the partition. Returns once they are on disk (fsynced)."""
        self._check_open()
        if not data:
            return
        if not data.endswith(b"\n"):
            raise ValueError("append_lines takes whole JSON lines")
        assert self._ev_commit is not None
        await self._ev_commit.submit(data, _day_hint(first_ts))

    async def append_dead_letters(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append rejected inputs with their reason; scrubbed again here, as a last line
        of defence, so a caller's slip cannot put PII on disk."""
        self._check_open()
        if not records:
            return
        from slogate.store.deadletter import normalize_dead_letter

        received = self._clock()
        clean = [normalize_dead_letter(r, received) for r in records]
        data = b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in clean)
        assert self._dl_commit is not None
        await self._dl_commit.submit(data, _day_hint(clean[0]["received_at"]))

    # -- health ----------------------------------------------------------------

    def is_writable(self) -> bool:
        """True when the last write worked, or (after a failure) when space is back.

        The probe after a failure is optimistic on purpose: the next append is
        the real test, and /readyz must not stay red forever after a full disk.
        """
        if self._state != "open":
            return False
        if self._events.healthy:
            return True
        return self._events.probe_writable()

    def segment_count(self) -> int:
        """JSONL event segments of this instance on disk (compacted ones excluded)."""
        try:
            return self._events.segment_files()
        except OSError:
            return 0

    @property
    def commit_interval(self) -> float:
        """Seconds between the starts of two shared group commits (0: not paced)."""
        return self._commit_interval

    @property
    def commit_groups(self) -> int:
        """Write+fsync rounds of the event log so far (group commit makes it < appends)."""
        return self._ev_commit.groups if self._ev_commit else 0

    def _fsync_observed(self, seconds: float) -> None:
        cb = self.on_fsync
        if cb is not None:
            with contextlib.suppress(Exception):
                cb(seconds)
