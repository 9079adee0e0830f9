"""Guards in front of the store: origin, client address, identity, rate limits
and the kill switch. Each is small and takes its inputs explicitly so that it
can be tested on its own."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from slogate.config.ingest import IngestSettings
from slogate.core.event import AuthContext, parse_auth_claims
from slogate.ingest.errors import ApiError

log = logging.getLogger("slogate.ingest")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_TRUE = frozenset({"1", "true", "yes", "on"})


# --- origin -------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginPolicy:
    allowed: frozenset[str]
    allow_any: bool

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> OriginPolicy:
        origins = frozenset(o.lower() for o in settings.allowed_origins if o != "*")
        return cls(origins, "*" in settings.allowed_origins)

    def allows(self, origin: str | None, host: str | None) -> bool:
        """No Origin header (not a browser) passes; a browser origin must be listed
        or be the server's own (same host)."""
        if origin is None:
            return True
        origin = origin.strip().lower()
        if origin == "null":
            return False
        if self.allow_any or origin in self.allowed:
            return True
        scheme, sep, netloc = origin.partition("://")
        if not sep or scheme not in ("http", "https") or host is None:
            return False
        return _same_host(netloc, host.lower(), scheme)

    def cors_headers(self, origin: str | None, host: str | None) -> dict[str, str]:
        if origin is None or not self.allows(origin, host):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "Retry-After",
            "Vary": "Origin",
        }


def _same_host(netloc: str, host: str, scheme: str) -> bool:
    if netloc == host:
        return True
    default = ":443" if scheme == "https" else ":80"
    return netloc + default == host or netloc == host + default


# --- client address ---------------------------------------------------------------------


def parse_networks(items: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: tuple[IPNetwork, ...]
) -> bool:
    return any(addr in net for net in nets)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[IPNetwork, ...]) -> str:
    """The socket peer, unless it is a trusted proxy: then the right-most
    X-Forwarded-For hop that is not itself a trusted proxy."""
    peer_text = peer or "unknown"
    if not trusted or not forwarded_for:
        return peer_text
    peer_addr = _ip(peer_text)
    if peer_addr is None or not _trusted(peer_addr, trusted):
        return peer_text
    last = peer_addr
    for hop in reversed(forwarded_for.split(",")):
        addr = _ip(hop)
        if addr is None:
            break
        last = addr
        if not _trusted(addr, trusted):
            return str(addr)
    return str(last)


# --- identity ------------------------------------------------------------------------


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="slogate-ingest"'}
_ANONYMOUS = AuthContext()  # frozen: one value serves every anonymous request


def authenticate(token: Any, settings: IngestSettings) -> AuthContext:
    """Identity from a verified JWT; anonymous without one unless require_token."""
    if token is None:
        if settings.require_token:
            raise ApiError(401, "token_required", "an ingest token is required", headers=_CHALLENGE)
        return _ANONYMOUS
    if not isinstance(token, str) or len(token) > 4096:
        raise ApiError(401, "invalid_token", "the token is not a JWT", headers=_CHALLENGE)
    if settings.token_secret is None:
        # Nothing to verify against: identity stays empty, as for anonymous ingest.
        return AuthContext()
    try:
        claims = jwt.decode(
            token,
            settings.token_secret.get_secret_value(),
            algorithms=settings.token_algorithms,
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            leeway=settings.token_leeway_seconds,
            options={"require": ["exp"], "verify_aud": settings.token_audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(
            401, "token_expired", "the ingest token has expired", headers=_CHALLENGE
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise ApiError(
            401,
            "invalid_token",
            f"the ingest token is invalid: {type(exc).__name__}",
            headers=_CHALLENGE,
        ) from exc
    return parse_auth_claims(claims, settings.token_user_claim, settings.token_room_claim)


def admin_allowed(authorization: str | None, settings: IngestSettings) -> None:
    if settings.admin_token is None:
        raise ApiError(403, "admin_disabled", "no admin_token is configured")
    given = bearer_token(authorization) or ""
    expected = settings.admin_token.get_secret_value()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(
            401,
            "invalid_admin_token",
            "a valid admin bearer token is required",
            headers={"WWW-Authenticate": 'Bearer realm="slogate-admin"'},
        )


def rate_key(auth: AuthContext, ip: str) -> str:
    return f"user:{auth.user_id}|{ip}" if auth.user_id is not None else f"anon|{ip}"


# --- rate limits ------------------------------------------------------------------------


class _Window:
    """Hits of one key, oldest first: times and costs from `start` on, and their
    total cost.

    Arrays of machine numbers, not deques: a deque holds its items in 64-slot blocks
    of about 530 bytes that it allocates outside Python's small-object allocator
    and keeps one spare of once it has moved on from its first block, so 16 384
    windows (8192 clients, two limits) grew the process by about 17 MB in one step,
    some minutes in. Arrays hold no Python objects (nothing for the garbage
    collector to track either); expired hits are skipped by moving `start`, and the
    arrays are compacted once more than half is expired (amortised O(1))."""

    __slots__ = ("costs", "count", "expiry", "start", "times")

    def __init__(self, expiry: float) -> None:
        self.times = array("d")
        self.costs = array("q")
        self.start = 0
        self.count = 0
        self.expiry = expiry

    def expire(self, cutoff: float) -> None:
        """Drop the hits older than `cutoff` (a hit at `cutoff` still counts)."""
        times, i, n = self.times, self.start, len(self.times)
        while i < n and times[i] < cutoff:
            self.count -= self.costs[i]
            i += 1
        if i > 16 and 2 * i > n:
            del self.times[:i], self.costs[:i]
            i = 0
        self.start = i

    def newest(self) -> float | None:
        return self.times[-1] if len(self.times) > self.start else None


class WindowMemoryStorage(MemoryStorage):
    """In-process moving windows that answer as `limits`' `MemoryStorage` does.

    Why not that class itself: its expiry task walks every key and sends each one
    through `asyncio.to_thread` (a thread-pool round trip per key, over and over),
    and a hit of cost n stores n list entries. Under bench/ingest.py (8192 clients,
    two limits each) that sweep alone took about 6 % of the event loop. Here a
    key's hits are times and costs in arrays, expired from the old end when
    the key is used; keys are kept in order of last use, and each hit drops a few
    of the least recently used keys whose windows are empty, so memory follows the
    clients of the last window and no task ever walks every key.

    Same answers (`tests/integration/ingest/test_ingest_guards.py` runs both on the
    same hits and clock): a hit of cost n is refused when the window already holds
    more than `limit - n` (an entry counts while `time >= now - expiry`), and
    `get_moving_window` gives the time of the oldest hit still in the window and
    the number of hits in it. One degenerate case differs: a refusal with no hit
    strictly inside the window (a cost over the whole limit, or hits exactly one
    window old); limits then dates the window from an expired entry its sweep has
    not removed yet, this storage from the oldest hit it still holds, or from now.
    Only the moving-window strategy is served."""

    #: Idle keys dropped at most per hit (amortised cleanup, no long stall).
    SWEEP_PER_HIT = 4

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        # OrderedDict, not dict: taking the oldest key of a dict whose front keys were
        # moved away scans their deleted slots; the linked list makes it O(1).
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self._clock = clock

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return self.acquire(key, limit, expiry, amount)

    def acquire(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """`acquire_entry` without the coroutine (nothing here waits)."""
        if amount > limit:
            return False
        now = self._clock()
        self._sweep(now)
        windows = self._windows
        window = windows.get(key)
        if window is None:
            window = windows[key] = _Window(expiry)
        else:
            windows.move_to_end(key)  # now the most recently used
        window.expire(now - expiry)
        if window.count + amount > limit:
            return False
        window.times.append(now)
        window.costs.append(amount)
        window.count += amount
        return True

    def _sweep(self, now: float) -> None:
        windows = self._windows
        for _ in range(self.SWEEP_PER_HIT):
            key = next(iter(windows), None)
            if key is None:
                return
            newest = windows[key].newest()
            if newest is not None and newest >= now - windows[key].expiry:
                return  # the least recently used key still has hits in its window
            del windows[key]

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self._clock()
        window = self._windows.get(key)
        if window is None or window.newest() is None:
            return now, 0
        cutoff, start = now - expiry, window.start
        hits = zip(window.times[start:], window.costs[start:], strict=True)
        inside = [(t, n) for t, n in hits if t > cutoff]
        if not inside:
            return window.times[start], 0
        return inside[0][0], sum(n for _, n in inside)

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)
        await super().clear(key)

    async def reset(self) -> int | None:
        self._windows.clear()
        return await super().reset()

    def key_count(self) -> int:
        """Keys held now (tests check that idle clients are let go)."""
        return len(self._windows)


class RateLimits:
    """Requests and events per minute per key, moving windows. When the shared
    storage (Redis) fails, the in-process storage takes over rather than letting
    every request through or refusing them all."""

    def __init__(
        self,
        settings: IngestSettings,
        storage: Storage | None,
        *,
        on_fallback: Callable[[], None] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.requests: RateLimitItem = RateLimitItemPerMinute(settings.requests_per_minute)
        self.events: RateLimitItem = RateLimitItemPerMinute(settings.events_per_minute)
        self._prefix = settings.redis_prefix
        self._shared = MovingWindowRateLimiter(storage) if storage is not None else None
        self._local_storage = WindowMemoryStorage()
        self._local = MovingWindowRateLimiter(self._local_storage)
        self._on_fallback = on_fallback
        self._wall = wall
        # `item.key_for(prefix, kind, key)` is head + key + tail: built once, not per hit.
        self._key_parts = {
            kind: _key_parts(item, self._prefix, kind)
            for item, kind in ((self.requests, "req"), (self.events, "evt"))
        }

    async def check(self, key: str, cost: int) -> tuple[str, int] | None:
        """Both limits of one request, in order: None when allowed, else the limit
        that refused it (`requests` or `events`) and the seconds to wait. The same
        hits and answers as `check_request` and then `charge_events`; with only the
        in-process windows, an allowed request awaits nothing."""
        if self._shared is None:
            storage = self._local_storage
            head, tail = self._key_parts["req"]
            requests = self.requests
            if not storage.acquire(head + key + tail, requests.amount, requests.get_expiry(), 1):
                return "requests", await self._wait(self._local, requests, "req", key)
            if cost <= 0:
                return None
            head, tail = self._key_parts["evt"]
            events = self.events
            if storage.acquire(head + key + tail, events.amount, events.get_expiry(), cost):
                return None
            return "events", await self._wait(self._local, events, "evt", key)
        wait = await self.check_request(key)
        if wait is not None:
            return "requests", wait
        wait = await self.charge_events(key, cost)
        return None if wait is None else ("events", wait)

    async def check_request(self, key: str) -> int | None:
        """None when allowed, else seconds to wait."""
        return await self._hit(self.requests, "req", key, 1)

    async def charge_events(self, key: str, count: int) -> int | None:
        if count <= 0:
            return None
        return await self._hit(self.events, "evt", key, count)

    async def _hit(self, item: RateLimitItem, kind: str, key: str, cost: int) -> int | None:
        limiter = self._shared or self._local
        if limiter is self._local:
            # What `MovingWindowRateLimiter.hit` does, without its wrappers.
            head, tail = self._key_parts[kind]
            ok = self._local_storage.acquire(
                head + key + tail, item.amount, item.get_expiry(), cost
            )
            return None if ok else await self._wait(limiter, item, kind, key)
        try:
            ok = await limiter.hit(item, self._prefix, kind, key, cost=cost)
        except Exception as exc:  # the shared storage is down: keep limiting locally
            if limiter is self._local:
                raise
            log.warning(
                "rate-limit storage failed (%s); using in-process limits", type(exc).__name__
            )
            if self._on_fallback:
                self._on_fallback()
            limiter = self._local
            ok = await limiter.hit(item, self._prefix, kind, key, cost=cost)
        if ok:
            return None
        return await self._wait(limiter, item, kind, key)

    async def _wait(
        self, limiter: MovingWindowRateLimiter, item: RateLimitItem, kind: str, key: str
    ) -> int:
        try:
            stats = await limiter.get_window_stats(item, self._prefix, kind, key)
            wait = stats.reset_time - self._wall()
        except Exception:
            wait = 60.0
        return max(1, min(60, math.ceil(wait)))


def _key_parts(item: RateLimitItem, prefix: str, kind: str) -> tuple[str, str]:
    """(head, tail) with `head + key + tail == item.key_for(prefix, kind, key)` for a
    string key; checked here against `key_for` itself, so a `limits` release that
    spells keys otherwise fails at start rather than splitting the windows."""
    marker = "\x00key\x00"
    head, sep, tail = item.key_for(prefix, kind, marker).partition(marker)
    if not sep or item.key_for(prefix, kind, "k|1") != head + "k|1" + tail:
        raise RuntimeError("limits' key_for changed its spelling")
    return head, tail


# --- kill switch ---------------------------------------------------------------------------


class KillSwitch:
    """On when the environment flag is set (read at request time), when an admin
    turned it on, or when the shared Redis key says so (re-read at most every
    `poll` seconds, so every instance follows within a second)."""

    def __init__(
        self,
        settings: IngestSettings,
        env: Mapping[str, str],
        redis: Any | None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._env = env
        self._env_name = settings.kill_switch_env
        self._redis = redis
        self._key = f"{settings.redis_prefix}:ingest:kill_switch"
        self._poll = settings.kill_switch_poll_seconds
        self._monotonic = monotonic
        self._local = False
        self._shared = False
        self._checked = -math.inf

    async def reason(self) -> str | None:
        """Why ingest is switched off, or None when it is on."""
        if self._env.get(self._env_name, "").strip().lower() in _TRUE:
            return "environment"
        if self._redis is None:
            return "admin" if self._local else None
        now = self._monotonic()
        if now - self._checked >= self._poll:
            self._checked = now
            try:
                value = await self._redis.get(self._key)
                self._shared = value is not None and value.decode().strip().lower() in _TRUE
            except Exception as exc:  # keep the last known value while Redis is away
                log.warning("kill-switch read failed (%s); keeping last value", type(exc).__name__)
        return "shared" if self._shared else None

    async def set(self, on: bool) -> None:
        if self._redis is None:
            self._local = on
            return
        try:
            if on:
                await self._redis.set(self._key, b"1")
            else:
                await self._redis.delete(self._key)
        except Exception as exc:
            raise ApiError(
                503,
                "redis_unavailable",
                "the shared kill switch cannot be written",
                headers={"Retry-After": "1"},
            ) from exc
        self._shared = on
        self._checked = self._monotonic()
