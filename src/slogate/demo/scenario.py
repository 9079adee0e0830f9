"""What the synthetic week looks like, as data: traffic, error rates, latencies,
garbage, and the knobs that window tests turn (outages, quiet periods).

Every number here is a default a test or a user may change; the generator reads
nothing else, so a scenario plus a seed fully determines the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

#: Generator flows (a user journey step with its success and failure events).
#: Outages and quiet periods name flows, SLO ids (mapped below) or event names.
FLOWS: tuple[str, ...] = (
    "session",  # session_start / session_error (crash-free sessions)
    "hydra_preset",  # hydra_preset_eval_* (preset load success, first frame p95)
    "memory",  # memory_health_sample
    "login",  # auth_login_success / auth_session_check_failure, guest joins
    "permission",  # auth_permission_denied
    "socket",  # socket_connect / disconnect / reconnect (reconnect p95)
    "queue",  # queue_cmd_sent / ack / error
    "video_init",  # video_init_* (video init success, Firefox, first frame p95)
    "proxy",  # video_proxy_response (413 rate)
)

#: Which flow feeds which SLO of the example configuration.
SLO_FLOWS: dict[str, str] = {
    "hydra_preset_load_success": "hydra_preset",
    "hydra_first_frame_p95": "hydra_preset",
    "hydra_crash_free_sessions": "session",
    "hydra_memory_growth": "memory",
    "queue_command_apply_success": "queue",
    "queue_duplicate_lost_commands": "queue",
    "queue_reconnect_p95": "socket",
    "auth_login_success": "login",
    "auth_permission_incidents": "permission",
    "streaming_video_init_success": "video_init",
    "streaming_video_init_firefox": "video_init",
    "streaming_first_frame_p95": "video_init",
    "streaming_proxy_413_rate": "proxy",
    "socket_connection_lifecycle": "socket",
}

#: Events each flow emits (used to resolve quiet periods named by flow).
FLOW_EVENTS: dict[str, tuple[str, ...]] = {
    "session": ("session_start", "session_error"),
    "hydra_preset": (
        "hydra_preset_eval_start",
        "hydra_preset_eval_success",
        "hydra_preset_eval_error",
    ),
    "memory": ("memory_health_sample",),
    "login": (
        "auth_login_success",
        "auth_session_check_failure",
        "auth_guest_join_success",
        "auth_guest_join_failure",
    ),
    "permission": ("auth_permission_denied",),
    "socket": ("socket_connect", "socket_disconnect", "socket_reconnect"),
    "queue": ("queue_cmd_sent", "queue_cmd_ack", "queue_cmd_error"),
    "video_init": (
        "video_init_start",
        "video_init_bound",
        "video_init_frame_ready",
        "video_init_error",
    ),
    "proxy": ("video_proxy_response",),
}


def resolve_flows(targets: tuple[str, ...]) -> frozenset[str]:
    """Flows named directly or through an SLO id; an unknown name is a caller bug."""
    out: set[str] = set()
    for name in targets:
        if name in FLOW_EVENTS:
            out.add(name)
        elif name in SLO_FLOWS:
            out.add(SLO_FLOWS[name])
        else:
            raise ValueError(f"unknown flow or SLO id {name!r}; flows: {', '.join(FLOWS)}")
    return frozenset(out)


def resolve_events(targets: tuple[str, ...]) -> frozenset[str]:
    """Event names named directly, or every event of a flow / an SLO's flow."""
    out: set[str] = set()
    known = {e for events in FLOW_EVENTS.values() for e in events}
    for name in targets:
        if name in known:
            out.add(name)
        else:
            for flow in resolve_flows((name,)):
                out.update(FLOW_EVENTS[flow])
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Outage:
    """During [start, start + duration) the failure probability of the named flows
    is `error_rate` instead of the baseline, and their latencies are multiplied
    by `latency_factor`. `targets` are flow names or SLO ids."""

    start: datetime
    duration: timedelta
    error_rate: float
    targets: tuple[str, ...]
    latency_factor: float = 1.0

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    def covers(self, ts: datetime) -> bool:
        return self.start <= ts < self.end


@dataclass(frozen=True, slots=True)
class QuietPeriod:
    """No traffic at all for the named events (or flows / SLO ids) in [start, end)."""

    start: datetime
    duration: timedelta
    targets: tuple[str, ...]

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Garbage:
    """How many bad lines of each kind the week contains (declared, so tests and
    the snapshot's rejected counts can be checked against it)."""

    unparsable: int = 4  # a stack trace line, broken JSON, a non-JSON log line
    truncated: int = 1  # the last line of a file cut mid-JSON (a crash while writing)
    missing_name: int = 2  # JSON without event / name / type
    missing_ts: int = 2  # JSON without ts / timestamp / time
    unknown_event: int = 3  # an event the catalog does not define
    duplicates: int = 5  # client events written twice (a retried batch; same event_id)

    @property
    def rejected(self) -> int:
        return (
            self.unparsable + self.truncated + self.missing_name + self.missing_ts
            + self.unknown_event
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rates:
    """Baseline failure probabilities and latency shapes (lognormal: median, p95).

    Chosen so that a normal week is near but mostly within the example's targets:
    a few errors in every pillar, p95s a little under their targets."""

    preset_error: float = 0.002
    session_crash: float = 0.0006
    login_failure: float = 0.0005
    guest_fraction: float = 0.3
    queue_error: float = 0.00003
    video_error_chrome: float = 0.004
    video_error_firefox: float = 0.012
    proxy_413: float = 0.0004
    firefox_share: float = 0.35
    reconnects_per_session: float = 0.6
    hydra_duration_ms: tuple[float, float] = (700.0, 1650.0)
    video_ready_ms: tuple[float, float] = (1200.0, 2500.0)
    reconnect_ms: tuple[float, float] = (400.0, 1500.0)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A synthetic stretch of days. `start` is midnight UTC of the first day."""

    start: datetime
    days: int = 7
    seed: int = 7
    sessions_per_day: int = 300
    users: int = 180
    rooms: int = 40
    rates: Rates = field(default_factory=Rates)
    soak_sessions: int = 4
    lost_commands: int = 2
    duplicate_commands: int = 3
    permission_denials: int = 3
    garbage: Garbage = field(default_factory=Garbage)
    outages: tuple[Outage, ...] = ()
    quiet: tuple[QuietPeriod, ...] = ()

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("scenario start must be timezone-aware (UTC)")
        if self.days < 1:
            raise ValueError("days must be >= 1")
        for outage in self.outages:
            resolve_flows(outage.targets)
            if not 0.0 <= outage.error_rate <= 1.0:
                raise ValueError("outage error_rate must be in [0, 1]")
        for quiet in self.quiet:
            resolve_events(quiet.targets)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def day(self, index: int) -> date:
        return (self.start + timedelta(days=index)).date()


def midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `2h`, `1d` (one unit; what a command line needs)."""
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in _DURATION_UNITS:
        raise ValueError(f"not a duration (e.g. 30m, 2h): {text!r}")
    try:
        amount = float(text[:-1])
    except ValueError as exc:
        raise ValueError(f"not a duration (e.g. 30m, 2h): {text!r}") from exc
    if amount <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return timedelta(seconds=amount * _DURATION_UNITS[text[-1]])


def parse_outage(text: str) -> Outage:
    """`START/DURATION/ERROR_RATE/TARGET[,TARGET...][/LATENCY_FACTOR]`, e.g.
    `2026-02-05T14:00/2h/0.2/streaming_video_init_success/1.5` (START in UTC)."""
    parts = text.split("/")
    if len(parts) not in (4, 5):
        raise ValueError(
            f"outage must be START/DURATION/ERROR_RATE/TARGETS[/LATENCY_FACTOR]: {text!r}"
        )
    try:
        start = datetime.fromisoformat(parts[0].replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"outage start is not an ISO date-time: {parts[0]!r}") from exc
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    try:
        rate = float(parts[2])
        factor = float(parts[4]) if len(parts) == 5 else 1.0
    except ValueError as exc:
        raise ValueError(f"outage error rate / latency factor must be numbers: {text!r}") from exc
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"outage error rate must be in [0, 1]: {parts[2]!r}")
    targets = tuple(t.strip() for t in parts[3].split(",") if t.strip())
    if not targets:
        raise ValueError(f"outage names no flow or SLO: {text!r}")
    resolve_flows(targets)
    return Outage(start, parse_duration(parts[1]), rate, targets, factor)
