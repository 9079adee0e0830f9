"""The Python emitter writes canonical, scrubbed event lines that the store's readers take."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from slogate.emitter import EVENT_LOGGER, SlogateHandler, emit
from slogate.store.compact import canonical_row


def _logger(name: str, handler: logging.Handler) -> logging.Logger:
    log = logging.getLogger(name)
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def test_emit_writes_canonical_scrubbed_lines_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "logs" / "events.jsonl"
    clock = lambda: datetime(2026, 11, 26, 9, 30, 0, 250000, tzinfo=UTC)  # noqa: E731
    handler = SlogateHandler(out, clock=clock, v=3)
    log = _logger(EVENT_LOGGER, handler)
    try:
        emit("queue_cmd_ack", cmd_id="c-1", cmd_type="play", session_id="s-1", room_id="r-9")
        emit(
            "auth_permission_denied",
            user_id="u-1",
            path="/admin?email=jane.doe@example.com",
            password="hunter2",
            source="client-relay",  # reserved: the emitter says "server"
        )
        log.info("a plain log line is not an event")
    finally:
        handler.close()
        log.handlers.clear()
    lines = out.read_bytes().splitlines()
    assert len(lines) == 2
    first, second = (orjson.loads(x) for x in lines)
    assert first["ts"] == "2026-11-26T09:30:00.250Z"
    assert (first["event"], first["source"], first["v"]) == ("queue_cmd_ack", "server", 3)
    assert uuid.UUID(first["event_id"])
    assert (first["cmd_id"], first["session_id"], first["room_id"]) == ("c-1", "s-1", "r-9")
    assert second["path"] == "/admin?email=[email]"
    assert second["password"] == "[Filtered]"
    assert second["source"] == "server"
    # The store's canonical mapping takes every line whole.
    row = canonical_row(first)
    assert row["ts"] == datetime(2026, 11, 26, 9, 30, 0, 250000, tzinfo=UTC)
    assert row["event"] == "queue_cmd_ack" and row["v"] == 3
    assert orjson.loads(row["attrs"]) == {"cmd_id": "c-1", "cmd_type": "play"}


def test_any_logger_with_extra_event_and_plain_logs_option() -> None:
    stream = io.StringIO()
    handler = SlogateHandler(stream, include_plain_logs=True, with_event_id=False)
    log = _logger("app.test.emitter", handler)
    log.info("ack %s", "c-2", extra={"event": "queue_cmd_ack", "cmd_id": "c-2"})
    log.warning("disk at %d%% for 203.0.113.9", 91)
    lines = [orjson.loads(x) for x in stream.getvalue().splitlines()]
    assert lines[0]["event"] == "queue_cmd_ack" and lines[0]["cmd_id"] == "c-2"
    assert "event_id" not in lines[0]
    assert lines[1]["event"] == "log_record"
    assert lines[1]["level"] == "WARNING" and lines[1]["logger"] == "app.test.emitter"
    assert lines[1]["message"] == "disk at 91% for [ipv4]"


def test_concurrent_threads_never_interleave_lines(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    handler = SlogateHandler(out)
    log = _logger("app.test.threads", handler)

    def worker(t: int) -> None:
        for i in range(200):
            emit("load", logger=log, t=t, i=i, pad="x" * 500)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    handler.close()
    rows = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert len(rows) == 1600
    assert {(r["t"], r["i"]) for r in rows} == {(t, i) for t in range(8) for i in range(200)}
