"""Server-side events as canonical JSON lines, through the `logging` module.

A service already configures logging; emitting events through it means one
handler decides where they go, and the lines are exactly what slogate's readers
take (`ts`, `event`, `source: server`, `v`, `event_id`, flat fields). Every
event is scrubbed before it is written, like ingest does for client events.

    import logging
    from slogate.emitter import SlogateHandler, emit

    logging.getLogger("slogate.events").addHandler(SlogateHandler("logs/events.jsonl"))
    emit("queue_cmd_ack", cmd_id="c-1", cmd_type="play", session_id="s-1")

or with any logger: `log.info("ack", extra={"event": "queue_cmd_ack", "cmd_id": "c-1"})`.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from slogate.privacy import scrub_event

__all__ = ["EVENT_LOGGER", "SlogateHandler", "emit", "event_line"]

#: Logger used by `emit()`; attach a `SlogateHandler` to it (or to the root).
EVENT_LOGGER = "slogate.events"

_RESERVED = frozenset(("ts", "event", "source", "v"))
_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "fields",
}


def _iso_ms(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_line(
    event: str,
    fields: dict[str, Any],
    *,
    ts: datetime,
    v: int = 1,
    event_id: str | None = None,
) -> bytes:
    """One canonical, scrubbed event line (with its newline)."""
    body: dict[str, Any] = {"ts": _iso_ms(ts), "event": event, "source": "server", "v": v}
    if event_id is not None:
        body["event_id"] = event_id
    for key, value in fields.items():
        if key not in _RESERVED:
            body[key] = value
    return orjson.dumps(scrub_event(body), option=orjson.OPT_APPEND_NEWLINE, default=str)


class SlogateHandler(logging.Handler):
    """Writes records that carry an `event` attribute as canonical event lines.

    Records without one are ignored unless `include_plain_logs` is set, in which
    case they become `log_record` events (level, logger, message), so a team can
    still count them without mixing free text into the event stream.
    """

    def __init__(
        self,
        sink: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None,
        *,
        v: int = 1,
        with_event_id: bool = True,
        include_plain_logs: bool = False,
        clock: Callable[[], datetime] | None = None,
        level: int = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        self._sink_spec = sink
        self._fh: IO[bytes] | None = None
        self._text: IO[str] | None = None
        self._v = v
        self._with_id = with_event_id
        self._plain = include_plain_logs
        self._clock = clock

    def _writer(self) -> Callable[[bytes], None]:
        spec = self._sink_spec if self._sink_spec is not None else sys.stderr
        if isinstance(spec, str | os.PathLike):
            if self._fh is None:
                path = Path(spec)
                path.parent.mkdir(parents=True, exist_ok=True)
                # Unbuffered append: each line is one write(2), whole or not at all
                # as far as other writers of the same file are concerned.
                self._fh = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
            return self._fh.write
        if isinstance(spec, io.TextIOBase):
            text = spec

            def write_text(data: bytes) -> None:
                text.write(data.decode())
                text.flush()

            return write_text
        binary: Any = spec

        def write_bytes(data: bytes) -> None:
            binary.write(data)
            binary.flush()

        return write_bytes

    def emit(self, record: logging.LogRecord) -> None:
        # `Handler.handle` holds `self.lock` around this call: lines never interleave.
        try:
            line = self._line(record)
            if line is not None:
                self._writer()(line)
        except Exception:
            self.handleError(record)

    def _line(self, record: logging.LogRecord) -> bytes | None:
        event = getattr(record, "event", None)
        fields: dict[str, Any] = {}
        if isinstance(event, str) and event:
            extra = getattr(record, "fields", None)
            if isinstance(extra, dict):
                fields.update(extra)
            for key, value in record.__dict__.items():
                if key not in _STANDARD_ATTRS and key != "event":
                    fields[key] = value
        elif self._plain:
            event = "log_record"
            fields = {
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
        else:
            return None
        ts = self._clock() if self._clock else datetime.fromtimestamp(record.created, UTC)
        event_id = str(uuid.uuid4()) if self._with_id else None
        return event_line(event, fields, ts=ts, v=self._v, event_id=event_id)

    def close(self) -> None:
        try:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
        finally:
            super().close()


def emit(event: str, /, *, logger: logging.Logger | None = None, **fields: Any) -> None:
    """Emit one server event through logging (INFO on `slogate.events` by default)."""
    log = logger or logging.getLogger(EVENT_LOGGER)
    log.info(event, extra={"event": event, "fields": fields})
