"""PII scrubbing shared by ingest, dead letters, the emitter and `slogate scrub`."""

from __future__ import annotations

from slogate.privacy.rules import FILTERED, PLACEHOLDERS
from slogate.privacy.scrub import is_sensitive_key, scrub_event, scrub_int, scrub_text, scrub_texts

__all__ = [
    "FILTERED",
    "PLACEHOLDERS",
    "is_sensitive_key",
    "scrub_event",
    "scrub_int",
    "scrub_text",
    "scrub_texts",
]
