"""The small interfaces the dashboard needs from the rest of `slogate serve`.

The ingest app owns the live counters and the kill switch; the dashboard only
reads a status value and flips the switch through `KillSwitchPort`. Keeping the
seam this narrow lets the dashboard run (and be tested) without the ingest app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class RateLimitedClient:
    """A client key (e.g. `anon:203.0.113.7` or `user:42`) and how often it hit 429."""

    client: str
    count: int
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IngestStatus:
    """What the ingest app knows that the store does not: live counters.

    - `events_per_minute`: (minute start, accepted events) for the recent minutes;
    - `rejects_by_reason`: rejected entries since start, by reason;
    - `rate_limited`: clients that were answered 429 recently (when the ingest
      app tracks them per client);
    - `rate_limited_by_limit`: 429 answers since start, by limit (requests, events);
    - `kill_switch`: whether ingest currently answers 503;
    - `kill_switch_source`: what set it (env, admin, redis), for the page;
    - `storage_ok`: whether the store accepts writes (readyz).
    """

    events_per_minute: Sequence[tuple[datetime, int]] = ()
    rejects_by_reason: Mapping[str, int] = field(default_factory=dict)
    rate_limited: Sequence[RateLimitedClient] = ()
    rate_limited_by_limit: Mapping[str, int] = field(default_factory=dict)
    kill_switch: bool = False
    kill_switch_source: str | None = None
    storage_ok: bool = True
    accepted_total: int | None = None


@runtime_checkable
class KillSwitchPort(Protocol):
    """Read and set the ingest kill switch. Methods may be sync or async."""

    def is_on(self) -> bool | Awaitable[bool]: ...

    def set(self, on: bool, *, actor: str) -> None | Awaitable[None]: ...


IngestStatusProvider = Callable[[], IngestStatus]
