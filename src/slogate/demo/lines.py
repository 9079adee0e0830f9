"""How demo events look on disk: pure functions from events to text lines.

Client events are canonical JSON lines as the ingest store writes them
(`source: client-relay`, an `event_id`, the server's `ts` and the browser's
`client_ts`); server events are application log lines with the JSON after a
text prefix, as the seed team's app logs them.
"""

from __future__ import annotations

import orjson

from slogate.demo.week import DemoEvent, iso_ms

SCHEMA_VERSION = 1


def canonical_record(event: DemoEvent) -> dict[str, object]:
    """The canonical object of CONTRACTS.md (absent optional fields are omitted)."""
    record: dict[str, object] = {
        "ts": iso_ms(event.ts),
        "event": event.name,
        "source": "client-relay" if event.origin == "client" else "server",
        "v": SCHEMA_VERSION,
    }
    if event.event_id is not None:
        record["event_id"] = event.event_id
    for key, value in (
        ("session_id", event.session_id),
        ("user_id", event.user_id),
        ("room_id", event.room_id),
    ):
        if value is not None:
            record[key] = value
    if event.client_ts is not None:
        record["client_ts"] = iso_ms(event.client_ts)
    record.update(event.fields)
    return record


def client_line(event: DemoEvent) -> str:
    return orjson.dumps(canonical_record(event)).decode()


def server_line(event: DemoEvent, *, logger: str = "app.telemetry") -> str:
    """`2026-02-19T10:00:00.123Z INFO app.telemetry {json}`."""
    body = orjson.dumps(canonical_record(event)).decode()
    return f"{iso_ms(event.ts)} INFO {logger} {body}"


def event_line(event: DemoEvent) -> str:
    return client_line(event) if event.origin == "client" else server_line(event)
