"""Shapes of identifier and time strings that cannot hold PII.

Fields of these shapes (`event_id`/`session_id` UUIDs, ISO `client_ts`/`sent_at`)
skip the scrubber: scrubbing them would cost time and could only break them
(deduplication relies on `event_id`). Shared by the reference split
(`pipeline.split_protected`) and the compiled fast path (`fastpath`)."""

from __future__ import annotations

import re

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?")

#: Verdicts for recent strings: a batch repeats its session id and its send times,
#: so most checks are one dict lookup. Bounded (emptied when full).
_SHAPE_CACHE_MAX = 4096
_uuid_shaped: dict[str, bool] = {}
_time_shaped: dict[str, bool] = {}
_uuid_fullmatch = _UUID.fullmatch


def is_uuid(value: str) -> bool:
    verdict = _uuid_shaped.get(value)
    if verdict is None:
        verdict = len(value) == 36 and _uuid_fullmatch(value) is not None
        if len(value) <= 64:  # bounded entries
            if len(_uuid_shaped) >= _SHAPE_CACHE_MAX:
                _uuid_shaped.clear()
            _uuid_shaped[value] = verdict
    return verdict


def is_unique_uuid(value: str) -> bool:
    """`is_uuid` without the cache, for values that rarely repeat (`event_id`)."""
    return len(value) == 36 and _uuid_fullmatch(value) is not None


def is_iso_time(value: str) -> bool:
    verdict = _time_shaped.get(value)
    if verdict is None:
        verdict = _ISO_TIME.fullmatch(value) is not None
        if len(value) <= 64:
            if len(_time_shaped) >= _SHAPE_CACHE_MAX:
                _time_shaped.clear()
            _time_shaped[value] = verdict
    return verdict
