"""Pure generation of a synthetic week for the example configuration.

Sessions arrive on a diurnal curve; each session logs in, connects its socket,
switches Hydra presets, starts videos (fetching segments through the proxy),
sends queue commands that the server acks, and leaves. A few soak sessions run
past 100 preset switches. Failures, lost and duplicate commands, permission
denials, retried client batches and garbage lines are injected in declared
amounts. Output is plain data (`DemoWeek`); `slogate.demo.files` writes it.

Only `random.Random(scenario.seed)` is used, and nothing iterates over a set, so
the same scenario always gives byte-identical output.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from slogate.demo.scenario import Scenario, resolve_events, resolve_flows

Origin = Literal["client", "server"]
GarbageReason = Literal["unparsable", "truncated", "missing_name", "missing_ts", "unknown_event"]

_Z95 = 1.6448536269514722
#: Relative traffic by UTC hour: quiet at night, a peak in the afternoon.
HOURLY_WEIGHTS: tuple[float, ...] = tuple(
    0.15 + 0.85 * (1 + math.cos(2 * math.pi * (h - 15) / 24)) / 2 for h in range(24)
)
_CMD_TYPES = ("enqueue", "skip", "reorder", "remove", "play")
_CHROME = ("Chrome 131.0.6778.85", "Chrome 132.0.6834.57")
_FIREFOX = ("Firefox 133.0", "Firefox 134.0.1")
_DENIED_PATHS = ("/api/rooms/{room}/admin", "/api/rooms/{room}/settings", "/api/admin/users")


@dataclass(frozen=True, slots=True)
class DemoEvent:
    """One well-formed event; `fields` holds everything beyond the canonical ones."""

    ts: datetime
    name: str
    origin: Origin
    session_id: str | None
    user_id: str | None
    room_id: str | None
    fields: dict[str, object]
    event_id: str | None = None
    client_ts: datetime | None = None
    retry: bool = False  # a copy of an earlier client event (same event_id)


@dataclass(frozen=True, slots=True)
class GarbageLine:
    """A line no reader should accept; `ts` only places it in a day file."""

    ts: datetime
    origin: Origin
    reason: GarbageReason
    text: str


@dataclass(frozen=True, slots=True)
class DemoWeek:
    scenario: Scenario
    events: list[DemoEvent]
    garbage: list[GarbageLine]
    stats: dict[str, int] = field(default_factory=dict)

    def counts_by_event(self) -> Counter[str]:
        return Counter(e.name for e in self.events if not e.retry)


def lognormal(rng: random.Random, median: float, p95: float) -> float:
    sigma = math.log(p95 / median) / _Z95
    return rng.lognormvariate(math.log(median), sigma)


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def iso_ms(ts: datetime) -> str:
    """ISO 8601 UTC with milliseconds and Z, as the store writes timestamps."""
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


class _Week:
    """Mutable builder used only inside `generate_week`."""

    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.rng = random.Random(scenario.seed)
        self.events: list[DemoEvent] = []
        self.quiet = [(q.start, q.end, resolve_events(q.targets)) for q in scenario.quiet]
        self.outages = [(o, resolve_flows(o.targets)) for o in scenario.outages]
        self.users = [f"u-{i:04d}" for i in range(1, scenario.users + 1)]
        self.rooms = [f"r-{i:03d}" for i in range(1, scenario.rooms + 1)]
        self.sessions = 0

    # -- knobs ---------------------------------------------------------------
    def p_fail(self, flow: str, ts: datetime, base: float) -> float:
        for outage, flows in self.outages:
            if flow in flows and outage.covers(ts):
                return outage.error_rate
        return base

    def latency(self, flow: str, ts: datetime, shape: tuple[float, float]) -> float:
        value = lognormal(self.rng, *shape)
        for outage, flows in self.outages:
            if flow in flows and outage.covers(ts):
                value *= outage.latency_factor
        return value

    def emit(
        self,
        ts: datetime,
        name: str,
        origin: Origin,
        session: tuple[str | None, str | None, str | None] | None,
        **fields: object,
    ) -> None:
        if ts >= self.sc.end or ts < self.sc.start:
            return
        for start, end, names in self.quiet:
            if name in names and start <= ts < end:
                return
        sid, uid, rid = session if session else (None, None, None)
        event_id = client_ts = None
        if origin == "client":
            event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            client_ts = ts - timedelta(milliseconds=self.rng.randint(40, 900))
        self.events.append(
            DemoEvent(ts, name, origin, sid, uid, rid, dict(fields), event_id, client_ts)
        )

    # -- a session -------------------------------------------------------------
    def session(self, t0: datetime, *, soak: bool) -> None:
        rng, rates = self.rng, self.sc.rates
        self.sessions += 1
        sid = f"s-{rng.getrandbits(64):016x}"
        ident = (sid, rng.choice(self.users), rng.choice(self.rooms))
        uid, rid = ident[1], ident[2]
        firefox = rng.random() < rates.firefox_share
        browser = rng.choice(_FIREFOX if firefox else _CHROME)
        minutes = rng.uniform(120, 180) if soak else min(max(lognormal(rng, 20, 70), 3), 120)
        t_end = t0 + timedelta(minutes=minutes)
        span = (t_end - t0).total_seconds() - 5

        def at() -> datetime:
            return t0 + timedelta(seconds=3 + rng.random() * span)

        self.emit(t0, "session_start", "client", ident)
        self._login(t0 + timedelta(milliseconds=rng.randint(200, 1500)), ident)
        self._connect(t0 + timedelta(milliseconds=rng.randint(300, 2000)), ident, initial=True)
        for _ in range(poisson(rng, rates.reconnects_per_session)):
            self._reconnect(at(), ident)
        self._presets(t0, span, ident, soak=soak)
        for _ in range(rng.randint(1, 3)):
            self._video(at(), ident, browser, firefox)
        for _ in range(rng.randint(0, 30)):
            self._command(at(), ident)
        if rng.random() < self.p_fail("session", t0, rates.session_crash):
            self.emit(
                at(),
                "session_error",
                "client",
                ident,
                error_type=rng.choice(("TypeError", "WebGLContextLost", "RangeError")),
                message="unhandled error in render loop",
            )
        for outage, flows in self.outages:
            if "permission" in flows and outage.covers(t0) and rng.random() < outage.error_rate:
                self._denied(at(), uid, rid)
        self.emit(t_end, "socket_disconnect", "server", ident, reason="client_left")

    def _login(self, ts: datetime, ident: tuple[str, str, str]) -> None:
        rng, rates = self.rng, self.sc.rates
        guest = rng.random() < rates.guest_fraction
        failed = rng.random() < self.p_fail("login", ts, rates.login_failure)
        if guest:
            if failed:
                self.emit(ts, "auth_guest_join_failure", "server", ident, reason="invalid_invite")
                ts += timedelta(seconds=rng.uniform(2, 20))
            self.emit(ts, "auth_guest_join_success", "server", ident)
        else:
            if failed:
                self.emit(ts, "auth_session_check_failure", "client", ident, reason="expired")
                ts += timedelta(seconds=rng.uniform(2, 20))
            self.emit(ts, "auth_login_success", "client", ident)

    def _connect(self, ts: datetime, ident: tuple[str, str, str], *, initial: bool) -> None:
        duration = round(self.latency("socket", ts, self.sc.rates.reconnect_ms), 1)
        if not initial:
            self.emit(ts, "socket_reconnect", "client", ident, reconnect_duration_ms=duration)
        self.emit(
            ts + timedelta(milliseconds=duration),
            "socket_connect",
            "client",
            ident,
            reconnect_duration_ms=duration,
        )

    def _reconnect(self, ts: datetime, ident: tuple[str, str, str]) -> None:
        reason = self.rng.choice(("transport close", "ping timeout", "transport error"))
        origin: Origin = "server" if self.rng.random() < 0.5 else "client"
        self.emit(ts, "socket_disconnect", origin, ident, reason=reason)
        self._connect(ts + timedelta(milliseconds=self.rng.randint(50, 500)), ident, initial=False)

    def _presets(
        self, t0: datetime, span: float, ident: tuple[str, str, str], *, soak: bool
    ) -> None:
        rng, rates = self.rng, self.sc.rates
        switches = rng.randint(105, 135) if soak else rng.randint(2, 30)
        base = rng.uniform(60, 110)
        plateau = rng.uniform(50, 135) if soak else rng.uniform(5, 30)
        limit = rng.choice((2048.0, 4096.0))

        def sample(ts: datetime, n: int) -> None:
            used = base + plateau * (1 - math.exp(-n / 40)) + rng.uniform(-4, 4)
            self.emit(
                ts,
                "memory_health_sample",
                "client",
                ident,
                used_js_heap_mb=round(used, 1),
                total_js_heap_mb=round(used * 1.35, 1),
                heap_limit_mb=limit,
                switch_count=n,
            )

        sample(t0 + timedelta(seconds=1), 0)
        step = span / (switches + 1)
        for n in range(1, switches + 1):
            ts = t0 + timedelta(seconds=2 + n * step + rng.random() * step * 0.5)
            self.emit(ts, "hydra_preset_eval_start", "client", ident)
            duration = round(self.latency("hydra_preset", ts, rates.hydra_duration_ms), 1)
            done = ts + timedelta(milliseconds=duration)
            if rng.random() < self.p_fail("hydra_preset", ts, rates.preset_error):
                self.emit(done, "hydra_preset_eval_error", "client", ident, error="shader compile")
            else:
                self.emit(done, "hydra_preset_eval_success", "client", ident, duration_ms=duration)
            if n % 10 == 0:
                sample(done + timedelta(milliseconds=rng.randint(100, 900)), n)

    def _video(self, ts: datetime, ident: tuple[str, str, str], browser: str, ff: bool) -> None:
        rng, rates = self.rng, self.sc.rates
        self.emit(ts, "video_init_start", "client", ident, browser=browser)
        bound = ts + timedelta(milliseconds=rng.randint(80, 400))
        self.emit(bound, "video_init_bound", "client", ident, browser=browser)
        ready_ms = round(self.latency("video_init", ts, rates.video_ready_ms), 1)
        done = ts + timedelta(milliseconds=ready_ms)
        base = rates.video_error_firefox if ff else rates.video_error_chrome
        if rng.random() < self.p_fail("video_init", ts, base):
            error = rng.choice(("NotSupportedError", "MEDIA_ERR_DECODE", "timeout"))
            self.emit(done, "video_init_error", "client", ident, browser=browser, error=error)
            return
        self.emit(
            done,
            "video_init_frame_ready",
            "client",
            ident,
            time_to_ready_ms=ready_ms,
            browser=browser,
        )
        seg = done
        for _ in range(rng.randint(4, 12)):
            seg += timedelta(milliseconds=rng.randint(500, 4000))
            if rng.random() < self.p_fail("proxy", seg, rates.proxy_413):
                status = 413
            else:
                status = 206 if rng.random() < 0.3 else 200
            self.emit(
                seg, "video_proxy_response", "server", (ident[0], ident[1], ident[2]), status=status
            )

    def _command(self, ts: datetime, ident: tuple[str, str, str]) -> None:
        rng = self.rng
        cmd_id = f"c-{rng.getrandbits(48):012x}"
        cmd_type = rng.choice(_CMD_TYPES)
        self.emit(ts, "queue_cmd_sent", "client", ident, cmd_type=cmd_type, cmd_id=cmd_id)
        done = ts + timedelta(milliseconds=rng.randint(15, 400))
        if rng.random() < self.p_fail("queue", ts, self.sc.rates.queue_error):
            self.emit(
                done,
                "queue_cmd_error",
                "server",
                ident,
                cmd_type=cmd_type,
                cmd_id=cmd_id,
                error="room state conflict",
            )
        else:
            self.emit(done, "queue_cmd_ack", "server", ident, cmd_type=cmd_type, cmd_id=cmd_id)

    def _denied(self, ts: datetime, uid: str, rid: str) -> None:
        path = self.rng.choice(_DENIED_PATHS).format(room=rid)
        self.emit(ts, "auth_permission_denied", "server", (None, uid, None), path=path)

    # -- the whole week --------------------------------------------------------
    def diurnal_time(self, day_start: datetime) -> datetime:
        hour = self.rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
        return day_start + timedelta(hours=hour, seconds=self.rng.random() * 3600)

    def run(self) -> DemoWeek:
        sc, rng = self.sc, self.rng
        soak_days = {i * sc.days // sc.soak_sessions for i in range(sc.soak_sessions)}
        soak_left = sc.soak_sessions
        for d in range(sc.days):
            day_start = sc.start + timedelta(days=d)
            weekend = day_start.weekday() >= 5
            n = round(sc.sessions_per_day * (0.7 if weekend else 1.0) * rng.uniform(0.9, 1.1))
            starts = sorted(self.diurnal_time(day_start) for _ in range(n))
            for t0 in starts:
                self.session(t0, soak=False)
            if d in soak_days:
                for _ in range(
                    1 if sc.soak_sessions <= sc.days else -(-sc.soak_sessions // sc.days)
                ):
                    if soak_left:
                        soak_left -= 1
                        self.session(day_start + timedelta(hours=rng.uniform(8, 14)), soak=True)
        for _ in range(sc.permission_denials):
            day_start = sc.start + timedelta(days=rng.randrange(sc.days))
            self._denied(
                self.diurnal_time(day_start), rng.choice(self.users), rng.choice(self.rooms)
            )
        self.events.sort(key=lambda e: e.ts)
        lost, dup = self._break_commands()
        retried = self._retry_batches()
        self.events.sort(key=lambda e: e.ts)
        garbage = self._garbage()
        stats = {
            "sessions": self.sessions,
            "events": sum(1 for e in self.events if not e.retry),
            "lines": len(self.events) + len(garbage),
            "lost_commands": lost,
            "duplicate_commands": dup,
            "retried_events": retried,
            "garbage": len(garbage),
        }
        return DemoWeek(sc, self.events, garbage, stats)

    def _break_commands(self) -> tuple[int, int]:
        """Drop some acks (lost commands) and ack some commands twice (duplicates),
        choosing only commands sent well before the end so the grace period is over."""
        cutoff = self.sc.end - timedelta(minutes=10)
        acks = [i for i, e in enumerate(self.events) if e.name == "queue_cmd_ack" and e.ts < cutoff]
        wanted = min(len(acks), self.sc.lost_commands + self.sc.duplicate_commands)
        chosen = self.rng.sample(acks, wanted)
        lost_idx = set(chosen[: self.sc.lost_commands])
        dup_idx = chosen[self.sc.lost_commands :]
        for i in dup_idx:
            e = self.events[i]
            again = e.ts + timedelta(milliseconds=self.rng.randint(150, 2500))
            self.events.append(replace(e, ts=again))
        self.events = [e for i, e in enumerate(self.events) if i not in lost_idx]
        return len(lost_idx), len(dup_idx)

    def _retry_batches(self) -> int:
        """A client retried a batch: the store holds the same event_id twice."""
        clients = [i for i, e in enumerate(self.events) if e.origin == "client"]
        chosen = sorted(self.rng.sample(clients, min(len(clients), self.sc.garbage.duplicates)))
        for i in chosen:
            e = self.events[i]
            self.events.append(replace(e, ts=e.ts + timedelta(seconds=2.5), retry=True))
        return len(chosen)

    def _garbage(self) -> list[GarbageLine]:
        g, sc, rng = self.sc.garbage, self.sc, self.rng
        out: list[GarbageLine] = []

        def when() -> datetime:
            return self.diurnal_time(sc.start + timedelta(days=rng.randrange(sc.days)))

        for i in range(g.unparsable):
            ts = when()
            if i % 3 == 0:
                text = f"{iso_ms(ts)} ERROR app.main Traceback (most recent call last):"
                out.append(GarbageLine(ts, "server", "unparsable", text))
            elif i % 3 == 1:
                text = '{"event": "queue_cmd_sent", "ts": "' + iso_ms(ts) + '", "cmd_id": }'
                out.append(GarbageLine(ts, "client", "unparsable", text))
            else:
                text = f'{iso_ms(ts)} INFO app.telemetry {{"event": "video_proxy_response",,}}'
                out.append(GarbageLine(ts, "server", "unparsable", text))
        for _ in range(g.missing_name):
            ts = when()
            text = (
                '{"ts": "' + iso_ms(ts) + '", "source": "client-relay", "v": 1, '
                '"event_id": "' + str(uuid.UUID(int=rng.getrandbits(128), version=4)) + '", '
                '"session_id": "s-unnamed", "duration_ms": 12}'
            )
            out.append(GarbageLine(ts, "client", "missing_name", text))
        for _ in range(g.missing_ts):
            ts = when()
            text = (
                '{"event": "session_start", "source": "client-relay", "v": 1, '
                '"event_id": "' + str(uuid.UUID(int=rng.getrandbits(128), version=4)) + '", '
                '"session_id": "s-no-timestamp"}'
            )
            out.append(GarbageLine(ts, "client", "missing_ts", text))
        for i in range(g.unknown_event):
            ts = when()
            name = ("debug_ping", "hydra_shader_cache_hit", "legacy_player_event")[i % 3]
            text = (
                '{"ts": "' + iso_ms(ts) + '", "event": "' + name + '", "source": "client-relay", '
                '"v": 1, "event_id": "' + str(uuid.UUID(int=rng.getrandbits(128), version=4)) + '"}'
            )
            out.append(GarbageLine(ts, "client", "unknown_event", text))
        for _ in range(g.truncated):
            # The last line of the last day: the writer crashed mid-line.
            ts = sc.end - timedelta(milliseconds=rng.randint(1, 999))
            whole = (
                '{"ts": "' + iso_ms(ts) + '", "event": "hydra_preset_eval_success", '
                '"source": "client-relay", "v": 1, "session_id": "s-truncated", '
                '"duration_ms": 812.5}'
            )
            out.append(GarbageLine(ts, "client", "truncated", whole[: len(whole) // 2]))
        out.sort(key=lambda line: line.ts)
        return out


def generate_week(scenario: Scenario) -> DemoWeek:
    """The synthetic week for `scenario` (same scenario, same output)."""
    return _Week(scenario).run()
