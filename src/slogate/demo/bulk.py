"""Fast bulk generation of the example's event mix, for benchmarks.

The week generator (`week.py`) favours realism and readable code; this one
favours speed (millions of events in seconds): integer microsecond timestamps,
precomputed time-of-day strings, attributes pre-rendered as JSON text, no
datetime or dict per event. The mix follows the same session shape (login,
socket, preset switches with memory samples, videos with proxy segments, queue
commands with acks, rare crashes, lost and duplicate commands, soak sessions,
permission denials), so every SLO of the example gets data.

A row is `(ts_us, event, source, event_id, session_id, user_id, room_id, attrs)`
with `attrs` the JSON object text of the non-canonical fields (the canonical
Parquet layout), and `event_id` / `session_id` / ... possibly None.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slogate.demo.week import HOURLY_WEIGHTS

Row = tuple[int, str, str, str | None, str | None, str | None, str | None, str]

CLIENT = "client-relay"
SERVER = "server"
_US = 1_000_000
_DAY_US = 86_400 * _US
_Z95 = 1.6448536269514722
# UUID version 4 / RFC 4122 variant bits, applied to 128 random bits.
_UUID_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)
_CMD_TYPES = ("enqueue", "skip", "reorder", "remove", "play")
_BROWSERS = ("Chrome 131.0.6778.85", "Chrome 132.0.6834.57", "Firefox 133.0", "Firefox 134.0.1")


@dataclass(frozen=True, slots=True)
class BulkSpec:
    """`events_per_day` events on each of `days` days from `start` (midnight UTC)."""

    start: datetime
    events_per_day: int
    days: int = 1
    seed: int = 1

    @property
    def total(self) -> int:
        return self.events_per_day * self.days

    def day_start(self, index: int) -> datetime:
        return self.start + timedelta(days=index)


def _sigma(median: float, p95: float) -> tuple[float, float]:
    return math.log(median), math.log(p95 / median) / _Z95


def _inverse_diurnal() -> list[int]:
    """Second of day for each of 10_000 equal traffic quantiles (busier hours get
    more of them), so time advances fast at night and slowly in the afternoon."""
    total = sum(HOURLY_WEIGHTS)
    out: list[int] = []
    cum = 0.0
    steps = 10_000
    hour = 0
    acc = HOURLY_WEIGHTS[0] / total
    for i in range(steps):
        q = (i + 0.5) / steps
        while q > acc and hour < 23:
            cum = acc
            hour += 1
            acc += HOURLY_WEIGHTS[hour] / total
        frac = (q - cum) / (HOURLY_WEIGHTS[hour] / total)
        out.append(int(hour * 3600 + min(max(frac, 0.0), 1.0) * 3599))
    return out


class _DayGen:
    """Emits one day's rows; all state needed per event is local for speed."""

    def __init__(self, spec: BulkSpec, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.quantiles = _inverse_diurnal()
        self.users = [f"u-{i:05d}" for i in range(1, 5001)]
        self.rooms = [f"r-{i:04d}" for i in range(1, 801)]
        self.hydra = _sigma(700.0, 1650.0)
        self.video = _sigma(1200.0, 2500.0)
        self.socket = _sigma(400.0, 1500.0)

    def rows(self, day_index: int) -> list[Row]:
        rng = self.rng
        rand = rng.random
        randint = rng.randint
        bits = rng.getrandbits
        logn = rng.lognormvariate
        hmu, hsig = self.hydra
        vmu, vsig = self.video
        smu, ssig = self.socket
        day0 = int(self.spec.day_start(day_index).timestamp()) * _US
        day_end = day0 + _DAY_US - 1
        n = self.spec.events_per_day
        out: list[Row] = []
        append = out.append

        def uid4() -> str:
            h = f"{bits(128) & _UUID_KEEP | _UUID_SET:032x}"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

        while len(out) < n:
            q = self.quantiles[min(len(out) * 10_000 // n, 9_999)]
            t0 = day0 + (q + rand()) * _US
            t0 = int(t0)
            soak = rand() < 0.002
            span = int((rng.uniform(7200, 9000) if soak else rng.uniform(180, 2400)) * _US)
            sid = f"s-{bits(64):016x}"
            uid = self.users[randint(0, 4999)]
            rid = self.rooms[randint(0, 799)]

            def at() -> int:
                return min(t0 + 3 * _US + int(rand() * span), day_end)  # noqa: B023

            append((t0, "session_start", CLIENT, uid4(), sid, uid, rid, "{}"))
            t = min(t0 + randint(200, 1500) * 1000, day_end)
            if rand() < 0.3:
                if rand() < 0.0005:
                    append(
                        (t, "auth_guest_join_failure", SERVER, None, sid, uid, rid,
                         '{"reason":"invalid_invite"}')
                    )  # fmt: skip
                append((t, "auth_guest_join_success", SERVER, None, sid, uid, rid, "{}"))
            else:
                if rand() < 0.0005:
                    append(
                        (t, "auth_session_check_failure", CLIENT, uid4(), sid, uid, rid,
                         '{"reason":"expired"}')
                    )  # fmt: skip
                append((t, "auth_login_success", CLIENT, uid4(), sid, uid, rid, "{}"))
            d = round(logn(smu, ssig), 1)
            append(
                (min(t + 500_000, day_end), "socket_connect", CLIENT, uid4(), sid, uid, rid,
                 f'{{"reconnect_duration_ms":{d}}}')
            )  # fmt: skip
            if rand() < 0.45:
                t = at()
                append(
                    (t, "socket_disconnect", CLIENT, uid4(), sid, uid, rid,
                     '{"reason":"transport close"}')
                )  # fmt: skip
                d = round(logn(smu, ssig), 1)
                attrs = f'{{"reconnect_duration_ms":{d}}}'
                append((t, "socket_reconnect", CLIENT, uid4(), sid, uid, rid, attrs))
                append(
                    (min(t + int(d * 1000), day_end), "socket_connect", CLIENT, uid4(), sid,
                     uid, rid, attrs)
                )  # fmt: skip
            # Preset switches with memory samples every 10 switches.
            switches = randint(105, 135) if soak else randint(2, 30)
            base = rng.uniform(60, 110)
            plateau = rng.uniform(50, 135) if soak else rng.uniform(5, 30)
            step = span // (switches + 1)
            for k in range(switches + 1):
                t = min(t0 + 2 * _US + k * step, day_end)
                if k:
                    append((t, "hydra_preset_eval_start", CLIENT, uid4(), sid, uid, rid, "{}"))
                    d = round(logn(hmu, hsig), 1)
                    t = min(t + int(d * 1000), day_end)
                    if rand() < 0.002:
                        append(
                            (t, "hydra_preset_eval_error", CLIENT, uid4(), sid, uid, rid,
                             '{"error":"shader compile"}')
                        )  # fmt: skip
                    else:
                        append(
                            (t, "hydra_preset_eval_success", CLIENT, uid4(), sid, uid, rid,
                             f'{{"duration_ms":{d}}}')
                        )  # fmt: skip
                if k % 10 == 0:
                    used = round(base + plateau * (1 - math.exp(-k / 40)) + rand() * 8 - 4, 1)
                    append(
                        (t, "memory_health_sample", CLIENT, uid4(), sid, uid, rid,
                         f'{{"used_js_heap_mb":{used},"total_js_heap_mb":{round(used * 1.35, 1)},'
                         f'"heap_limit_mb":2048.0,"switch_count":{k}}}')
                    )  # fmt: skip
            # Videos, each fetching a few segments through the proxy.
            for _ in range(randint(1, 3)):
                browser = _BROWSERS[randint(0, 3)] if rand() < 0.7 else _BROWSERS[2]
                bjs = f'{{"browser":"{browser}"}}'
                t = at()
                append((t, "video_init_start", CLIENT, uid4(), sid, uid, rid, bjs))
                append(
                    (
                        min(t + 200_000, day_end),
                        "video_init_bound",
                        CLIENT,
                        uid4(),
                        sid,
                        uid,
                        rid,
                        bjs,
                    )
                )
                d = round(logn(vmu, vsig), 1)
                t = min(t + int(d * 1000), day_end)
                if rand() < (0.012 if browser[0] == "F" else 0.004):
                    append(
                        (t, "video_init_error", CLIENT, uid4(), sid, uid, rid,
                         f'{{"browser":"{browser}","error":"MEDIA_ERR_DECODE"}}')
                    )  # fmt: skip
                    continue
                append(
                    (t, "video_init_frame_ready", CLIENT, uid4(), sid, uid, rid,
                     f'{{"time_to_ready_ms":{d},"browser":"{browser}"}}')
                )  # fmt: skip
                for _ in range(randint(4, 12)):
                    t = min(t + randint(500, 4000) * 1000, day_end)
                    r = rand()
                    status = "413" if r < 0.0004 else ("206" if r < 0.3 else "200")
                    append(
                        (t, "video_proxy_response", SERVER, None, sid, uid, rid,
                         f'{{"status":{status}}}')
                    )  # fmt: skip
            # Queue commands and their acks.
            for _ in range(randint(0, 30)):
                t = at()
                cmd = f'{{"cmd_type":"{_CMD_TYPES[randint(0, 4)]}","cmd_id":"c-{bits(48):012x}"}}'
                append((t, "queue_cmd_sent", CLIENT, uid4(), sid, uid, rid, cmd))
                r = rand()
                if r < 0.00001:
                    continue  # lost: no ack, no error
                t = min(t + randint(15, 400) * 1000, day_end)
                if r < 0.00004:
                    append(
                        (t, "queue_cmd_error", SERVER, None, sid, uid, rid,
                         cmd[:-1] + ',"error":"room state conflict"}')
                    )  # fmt: skip
                    continue
                append((t, "queue_cmd_ack", SERVER, None, sid, uid, rid, cmd))
                if r > 0.99999:
                    append((min(t + 900_000, day_end), "queue_cmd_ack", SERVER, None, sid, uid,
                            rid, cmd))  # fmt: skip
            if rand() < 0.0006:
                append(
                    (at(), "session_error", CLIENT, uid4(), sid, uid, rid,
                     '{"error_type":"TypeError","message":"unhandled error in render loop"}')
                )  # fmt: skip
            if rand() < 0.0015:
                append(
                    (at(), "auth_permission_denied", SERVER, None, None, uid, None,
                     f'{{"path":"/api/rooms/{rid}/admin"}}')
                )  # fmt: skip
            append(
                (min(t0 + span, day_end), "socket_disconnect", SERVER, None, sid, uid, rid,
                 '{"reason":"client_left"}')
            )  # fmt: skip
        del out[n:]
        return out


def bulk_days(spec: BulkSpec) -> Iterator[tuple[int, list[Row]]]:
    """Rows per day (index, rows); deterministic for a spec."""
    gen = _DayGen(spec, random.Random(spec.seed))
    for index in range(spec.days):
        yield index, gen.rows(index)


_TIME_OF_DAY: list[str] = [
    f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86_400)
]


def iso_from_us(ts_us: int, day_prefix: str, day0_us: int) -> str:
    """Fast ISO 8601 (ms, Z) for a timestamp known to fall in the day at day0_us."""
    off = ts_us - day0_us
    return f"{day_prefix}T{_TIME_OF_DAY[off // _US]}.{off % _US // 1000:03d}Z"


def jsonl_lines(rows: list[Row], day: datetime) -> Iterator[str]:
    """Canonical JSON lines for one day's rows (newline included)."""
    prefix = day.date().isoformat()
    day0 = int(day.replace(tzinfo=UTC).timestamp()) * _US
    tod = _TIME_OF_DAY
    for ts, event, source, event_id, sid, uid, rid, attrs in rows:
        off = ts - day0
        head = (
            f'{{"ts":"{prefix}T{tod[off // _US]}.{off % _US // 1000:03d}Z",'
            f'"event":"{event}","source":"{source}","v":1'
        )
        if event_id is not None:
            head += f',"event_id":"{event_id}"'
        if sid is not None:
            head += f',"session_id":"{sid}"'
        if uid is not None:
            head += f',"user_id":"{uid}"'
        if rid is not None:
            head += f',"room_id":"{rid}"'
        yield head + ("}\n" if attrs == "{}" else "," + attrs[1:] + "\n")
