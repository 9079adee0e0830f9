"""Which clients were rate limited lately, for the dashboard's ingest page.

Bounded: only the most recent `capacity` keys are kept, so a flood of distinct
clients cannot grow the server's memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LimitedClient:
    key: str  # the rate-limit key: "user:<id>|<ip>" or "anon|<ip>"
    count: int
    last_at: datetime
    last_limit: str  # "requests" or "events"


class RecentlyLimited:
    def __init__(self, capacity: int = 200) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, LimitedClient] = OrderedDict()

    def record(self, key: str, limit: str, at: datetime) -> None:
        with self._lock:
            previous = self._clients.pop(key, None)
            count = previous.count + 1 if previous else 1
            self._clients[key] = LimitedClient(key, count, at, limit)
            while len(self._clients) > self.capacity:
                self._clients.popitem(last=False)

    def recent(self, limit: int = 20) -> list[LimitedClient]:
        """Most recently limited first."""
        with self._lock:
            return list(reversed(self._clients.values()))[:limit]
