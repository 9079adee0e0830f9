"""Two `slogate serve` processes sharing one real Redis: rate limits and the kill
switch hold across instances."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.ingest.ingest_server import (
    ADMIN_TOKEN,
    Server,
    make_token,
    redis_up,
    start_server,
)

pytestmark = pytest.mark.redis
INGEST = "/api/telemetry/ingest"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server, str]]:
    require(redis_up(), "Redis at 127.0.0.1:6379")
    prefix = f"slogate-test-{uuid.uuid4().hex[:10]}"
    settings = {
        "redis_url": "redis://127.0.0.1:6379/0",
        "redis_prefix": prefix,
        "requests_per_minute": 10,
        "events_per_minute": 100000,
        "admin_token": ADMIN_TOKEN,
        "token_secret": "test-secret-0123456789abcdef-0123456789",
        "retry_after_seconds": 1,
    }
    a = start_server(tmp_path / "a", settings, instance="a", data=tmp_path / "data")
    try:
        b = start_server(tmp_path / "b", settings, instance="b", data=tmp_path / "data")
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b, prefix
    finally:
        a.stop()
        b.stop()
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


def test_rate_limit_holds_across_instances(pair: tuple[Server, Server, str]) -> None:
    a, b, _ = pair
    token = {
        "authorization": "Bearer "
        + make_token("shared-user", "r", secret="test-secret-0123456789abcdef-0123456789")
    }
    with a.client() as ca, b.client() as cb:
        codes = []
        for i in range(16):
            client = ca if i % 2 == 0 else cb
            codes.append(client.post(INGEST, json={"events": []}, headers=token).status_code)
        assert codes.count(200) == 10, codes
        assert codes.count(429) == 6, codes
        assert codes[:10] == [200] * 10
        # Another client (anonymous on this IP) is not charged for that user.
        assert ca.post(INGEST, json={"events": []}).status_code == 200
        assert cb.post(INGEST, json={"events": []}).status_code == 200


def test_kill_switch_set_on_one_is_seen_by_the_other_within_a_second(
    pair: tuple[Server, Server, str],
) -> None:
    a, b, _ = pair
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with a.client() as ca, b.client() as cb:
        assert cb.post(INGEST, json={"events": []}).status_code == 200
        r = ca.post("/api/admin/kill-switch", json={"enabled": True}, headers=admin)
        set_at = time.monotonic()
        assert r.status_code == 200 and r.json()["enabled"] is True
        seen_after = None
        while time.monotonic() - set_at < 1.0:
            if cb.post(INGEST, json={"events": []}).status_code == 503:
                seen_after = time.monotonic() - set_at
                break
            time.sleep(0.02)
        assert seen_after is not None, "instance b still accepts 1 s after the switch"
        refused = cb.post(INGEST, json={"events": []})
        assert refused.status_code == 503 and refused.json()["error"] == "kill_switch"
        assert refused.headers["retry-after"] == "1"
        assert cb.get("/api/admin/kill-switch", headers=admin).json() == {
            "enabled": True,
            "reason": "shared",
        }
        # Off again through b: a follows.
        assert (
            cb.post("/api/admin/kill-switch", json={"enabled": False}, headers=admin).status_code
            == 200
        )
        off_at = time.monotonic()
        while time.monotonic() - off_at < 1.0:
            # 200, or 429 once the shared anonymous budget is spent: anything but 503.
            if ca.post(INGEST, json={"events": []}).status_code != 503:
                break
            time.sleep(0.02)
        else:
            raise AssertionError("instance a still refuses 1 s after the switch went off")
