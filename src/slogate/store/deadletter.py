"""Dead letters: rejected inputs kept with their reason, time and source.

A rejection that vanishes cannot be counted or debugged (the seed's weak spot);
one that keeps raw PII is a leak. So every record is normalised to the agreed
shape and scrubbed again here, whatever the caller did.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slogate.privacy import scrub_event, scrub_text

#: `raw` text is cut to this many characters: enough to debug, not a data copy.
RAW_LIMIT = 4096
_REASON_LIMIT = 512


def _iso(ts: datetime) -> str:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalize_dead_letter(record: Mapping[str, Any], received_at: datetime) -> dict[str, Any]:
    """Return `{received_at, reason, index, event, raw, source}` with PII scrubbed.

    Raw text is cut before scrubbing only after scrubbing the whole of it, so a
    secret straddling the cut cannot leave its first half behind.
    """
    event = record.get("event")
    raw = record.get("raw")
    index = record.get("index")
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("utf-8", errors="replace")
    if raw is not None and not isinstance(raw, str):
        raw = str(raw)
    if raw is not None:
        raw = scrub_text(raw)
        if len(raw) > RAW_LIMIT:
            raw = scrub_text(raw[:RAW_LIMIT]) + "…[truncated]"
    if isinstance(event, Mapping):
        clean_event: Any = scrub_event(event)
    elif event is None:
        clean_event = None
    else:  # a non-object entry (a number, a string): keep it as scrubbed text
        clean_event = scrub_text(str(event))[:RAW_LIMIT]
    received = record.get("received_at")
    reason = scrub_text(str(record.get("reason") or "unknown"))[:_REASON_LIMIT]
    out: dict[str, Any] = {
        "received_at": received if isinstance(received, str) else _iso(received_at),
        "reason": reason,
        "index": index if isinstance(index, int) and not isinstance(index, bool) else None,
        "event": clean_event,
        "raw": raw,
        "source": str(record.get("source") or "ingest")[:64],
    }
    return out
