"""Guards on their own (client address, origins, config checks), and the
environment kill switch read at request time by an app on a real uvicorn."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st

from slogate.config.ingest import IngestSettings
from slogate.config.load import load_config, load_config_text
from slogate.errors import ConfigError
from slogate.ingest.app import create_app
from slogate.ingest.guards import OriginPolicy, client_ip, parse_networks
from slogate.store.segments import SegmentStore
from tests.integration.ingest.ingest_server import EXAMPLE


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        ("198.51.100.7", "203.0.113.1", [], "198.51.100.7"),
        ("198.51.100.7", "203.0.113.1", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.0.0.2", "203.0.113.1", ["10.0.0.0/8"], "203.0.113.1"),
        ("10.0.0.2", "1.1.1.1, 203.0.113.1, 10.0.0.9", ["10.0.0.0/8"], "203.0.113.1"),
        ("10.0.0.2", "10.0.0.5, 10.0.0.9", ["10.0.0.0/8"], "10.0.0.5"),
        ("10.0.0.2", "garbage, 203.0.113.1", ["10.0.0.0/8"], "203.0.113.1"),
        ("10.0.0.2", "203.0.113.1, garbage", ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", None, ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::1", ["::1"], "2001:db8::1"),
        ("::1", "[2001:db8::2]", ["::1/128"], "2001:db8::2"),
        (None, "203.0.113.1", ["10.0.0.0/8"], "unknown"),
    ],
)
def test_client_ip(peer: str | None, xff: str | None, trusted: list[str], expected: str) -> None:
    assert client_ip(peer, xff, parse_networks(trusted)) == expected


def test_origin_policy() -> None:
    policy = OriginPolicy.from_settings(IngestSettings(allowed_origins=["https://app.example"]))
    assert policy.allows(None, "api.example")
    assert policy.allows("https://app.example", "api.example")
    assert policy.allows("HTTPS://APP.EXAMPLE", "api.example")
    assert not policy.allows("https://app.example.evil", "api.example")
    assert not policy.allows("null", "api.example")
    assert not policy.allows("https://other.example", "api.example")
    assert policy.allows("https://api.example", "api.example")  # same origin
    assert policy.allows("https://api.example", "api.example:443")
    assert not policy.allows("ftp://api.example", "api.example")
    anyone = OriginPolicy.from_settings(IngestSettings(allowed_origins=["*"]))
    assert anyone.allows("https://x.example", "h") and not anyone.allows("null", "h")


def _config(ingest: str) -> str:
    text = EXAMPLE.read_text()
    return text.replace("ingest:\n  client_relay: true", "ingest:\n  client_relay: true\n" + ingest)


@pytest.mark.parametrize(
    ("ingest", "message"),
    [
        ("  require_token: true\n", "require_token needs token_secret"),
        ("  token_secret: short\n", "shorter than 16"),
        ("  trusted_proxies: [not-an-ip]\n", "not an IP address"),
        ("  allowed_origins: [example.com]\n", "scheme://host"),
        ("  events_per_minute: 10\n", "events_per_minute is below max_batch_events"),
        ("  unknown_events: drop\n", "reject"),
        ("  max_body_bytes: 10\n", "greater than or equal"),
    ],
)
def test_bad_ingest_config_is_a_config_error_with_a_line(ingest: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(_config(ingest), file="slogate.yaml")
    assert message in str(info.value)
    assert info.value.line is not None and info.value.field and "ingest" in info.value.field


def test_token_secret_comes_from_the_environment() -> None:
    text = _config("  token_secret: ${INGEST_SECRET}\n  require_token: true\n")
    loaded = load_config_text(text, env={"INGEST_SECRET": "s" * 40})
    assert loaded.config.ingest.token_secret is not None
    assert loaded.config.ingest.token_secret.get_secret_value() == "s" * 40
    assert "s" * 40 not in repr(loaded.config.ingest)


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    config = load_config(EXAMPLE).config
    env: dict[str, str] = {}

    def now() -> datetime:
        return datetime.now(UTC)

    store = SegmentStore(tmp_path / "data", instance="inproc", clock=now)
    app = create_app(
        config.ingest.model_copy(update={"retry_after_seconds": 2}),
        catalog=config.catalog(),
        store=store,
        clock=now,
        env=env,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}", env
    finally:
        server.should_exit = True
        thread.join(10)


def test_environment_kill_switch_is_read_at_request_time(
    live_app: tuple[str, dict[str, str]],
) -> None:
    url, env = live_app
    body = {"events": [{"event": "session_start"}]}
    with httpx.Client(base_url=url) as c:
        assert c.post("/api/telemetry/ingest", json=body).status_code == 200
        env["SLOGATE_INGEST_KILL_SWITCH"] = "true"
        r = c.post("/api/telemetry/ingest", json=body)
        assert r.status_code == 503 and r.json()["error"] == "kill_switch"
        assert r.headers["retry-after"] == "2"
        env["SLOGATE_INGEST_KILL_SWITCH"] = "0"
        assert c.post("/api/telemetry/ingest", json=body).status_code == 200


# -- the in-process moving-window storage against limits' own ------------------------


class _FakeTime:
    """Stands in for the `time` module of limits' memory storage: one clock for both."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


hits_strategy = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=1, max_value=12),  # cost (above the limit: refused at once)
        st.sampled_from([0.0, 0.5, 1.0, 7.0, 20.0, 59.0, 60.0, 61.0]),  # time step
    ),
    max_size=60,
)


@contextmanager
def _limits_time(clock: Any) -> Iterator[None]:
    """Drive `limits`' in-memory storage from the test's clock, then restore it."""
    import limits.aio.storage.memory as limits_memory

    original = limits_memory.time
    limits_memory.time = clock  # type: ignore[assignment]
    try:
        yield
    finally:
        limits_memory.time = original


@settings(max_examples=200, deadline=None)
@given(hits_strategy)
def test_window_storage_answers_like_limits_memory_storage(hits: list[Any]) -> None:
    from limits import RateLimitItemPerMinute
    from limits.aio.storage import MemoryStorage
    from limits.aio.strategies import MovingWindowRateLimiter

    from slogate.ingest.guards import WindowMemoryStorage

    clock = _FakeTime()
    item = RateLimitItemPerMinute(10)

    async def run() -> list[Any]:
        reference = MovingWindowRateLimiter(MemoryStorage())
        ours = MovingWindowRateLimiter(WindowMemoryStorage(clock=clock.time))
        answers = []
        for key, cost, step in hits:
            clock.now += step
            ok_ref = await reference.hit(item, "p", key, cost=cost)
            ok_ours = await ours.hit(item, "p", key, cost=cost)
            stats_ref = await reference.get_window_stats(item, "p", key)
            stats_ours = await ours.get_window_stats(item, "p", key)
            answers.append(((ok_ref, stats_ref.remaining), (ok_ours, stats_ours.remaining)))
            if not ok_ref and stats_ref.remaining < item.amount:
                # Retry-After comes from the reset time of the full window. (With no hit
                # strictly inside the window, limits dates it from whichever expired
                # entry its sweep has not removed yet: see WindowMemoryStorage.)
                assert stats_ours.reset_time == stats_ref.reset_time
        return answers

    with _limits_time(clock):
        answers = asyncio.run(run())
    for want, got in answers:
        assert got == want


def test_window_storage_lets_idle_clients_go() -> None:
    from slogate.ingest.guards import WindowMemoryStorage

    clock = _FakeTime()
    storage = WindowMemoryStorage(clock=clock.time)

    async def run() -> None:
        for i in range(1000):
            assert await storage.acquire_entry(f"client-{i}", 10, 60, 1)
        assert storage.key_count() == 1000
        clock.now += 61  # every window is now empty
        for _ in range(300):
            assert await storage.acquire_entry("busy", 10**6, 60, 1)
        # Each hit drops up to SWEEP_PER_HIT idle keys: 300 hits cleared them all.
        assert storage.key_count() == 1

    asyncio.run(run())


def test_window_storage_hot_key_matches_limits_over_many_windows() -> None:
    """One busy key for several minutes: expiry, compaction of the arrays and the
    limit all answer as limits' own storage does."""
    from limits import RateLimitItemPerMinute
    from limits.aio.storage import MemoryStorage
    from limits.aio.strategies import MovingWindowRateLimiter

    from slogate.ingest.guards import WindowMemoryStorage

    clock = _FakeTime()
    item = RateLimitItemPerMinute(200)

    async def run() -> list[Any]:
        reference = MovingWindowRateLimiter(MemoryStorage())
        ours = MovingWindowRateLimiter(WindowMemoryStorage(clock=clock.time))
        answers = []
        for i in range(3000):
            clock.now += 0.1 + (i % 7) * 0.03
            cost = 1 + i % 5
            ok_ref = await reference.hit(item, "p", "hot", cost=cost)
            ok_ours = await ours.hit(item, "p", "hot", cost=cost)
            if i % 50 == 0:
                ref = await reference.get_window_stats(item, "p", "hot")
                got = await ours.get_window_stats(item, "p", "hot")
                answers.append(((ok_ref, ref.remaining), (ok_ours, got.remaining)))
            else:
                answers.append((ok_ref, ok_ours))
        return answers

    with _limits_time(clock):
        answers = asyncio.run(run())
    assert all(a == b for a, b in answers)
    assert any(a is False for a, _ in answers if isinstance(a, bool))  # the limit bit


@settings(max_examples=200, deadline=None)
@given(hits_strategy)
def test_one_call_for_both_limits_answers_as_the_two_calls(hits: list[Any]) -> None:
    """`RateLimits.check` (the in-process shortcut the ingest route takes) refuses,
    counts and dates refusals exactly as `check_request` followed by `charge_events`."""
    from slogate.ingest.guards import RateLimits

    clock = _FakeTime()
    settings_ = IngestSettings(requests_per_minute=4, events_per_minute=10)

    def limits() -> RateLimits:
        made = RateLimits(settings_, None, wall=clock.time)
        made._local_storage._clock = clock.time
        return made

    async def run() -> tuple[list[Any], list[Any]]:
        one, two = limits(), limits()
        ours, reference = [], []
        for key, cost, step in hits:
            clock.now += step
            ours.append(await one.check(key, cost - 1))
            wait = await two.check_request(key)
            if wait is not None:
                reference.append(("requests", wait))
                continue
            wait = await two.charge_events(key, cost - 1)
            reference.append(None if wait is None else ("events", wait))
        return ours, reference

    ours, reference = asyncio.run(run())
    assert ours == reference


def test_one_call_for_both_limits_refuses_by_requests_and_by_events() -> None:
    from slogate.ingest.guards import RateLimits

    limits = RateLimits(IngestSettings(requests_per_minute=3, events_per_minute=10), None)

    async def run() -> list[Any]:
        return [await limits.check("k", cost) for cost in (6, 5, 0, 1)]

    first, events, second, requests = asyncio.run(run())
    assert first is None and second is None
    assert events is not None and events[0] == "events" and 1 <= events[1] <= 60
    assert requests is not None and requests[0] == "requests"
