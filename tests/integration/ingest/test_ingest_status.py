"""Every status code of the ingest service, by real HTTP requests to a real
`slogate serve` subprocess writing to a real store."""

from __future__ import annotations

import json
import resource
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.ingest.ingest_server import (
    ADMIN_TOKEN,
    TOKEN_SECRET,
    Server,
    make_token,
    running,
    start_server,
    wait_for,
)

ALLOWED = "http://allowed.example"
BASE = {
    "allowed_origins": [ALLOWED],
    "token_secret": TOKEN_SECRET,
    "admin_token": ADMIN_TOKEN,
    "requests_per_minute": 100000,
    "events_per_minute": 10000000,
    "retry_after_seconds": 1,
}
INGEST = "/api/telemetry/ingest"


def ev(name: str = "session_start", **fields: object) -> dict[str, object]:
    return {"event": name, "event_id": str(uuid.uuid4()), "session_id": "s-1", **fields}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("ingest-status"), BASE)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["detail"], str)
    if code is not None:
        assert body["error"] == code, body
    return body


# --- 200 ------------------------------------------------------------------------------


def test_200_accepts_good_entries_and_rejects_bad_ones_alone(
    server: Server, client: httpx.Client
) -> None:
    marker = uuid.uuid4().hex
    good = ev(
        "hydra_preset_eval_success",
        duration_ms=12.5,
        marker=marker,
        user_id="forged",
        room_id="forged",
        source="server",
        v=7,
        ts="2026-01-01T00:00:00Z",
    )
    batch = [
        good,
        {"event": "not_in_catalog"},
        42,
        ev("hydra_preset_eval_success", duration_ms="x"),
    ]
    r = client.post(INGEST, json={"events": batch})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1
    assert [x["index"] for x in body["rejected"]] == [1, 2, 3]
    assert [x["reason"].split(":")[0] for x in body["rejected"]] == [
        "unknown_event",
        "not_an_object",
        "wrong_type",
    ]
    stored = [json.loads(x) for x in server.event_lines() if marker in x]
    assert len(stored) == 1
    line = stored[0]
    assert line["event_id"] == good["event_id"]
    assert line["source"] == "client-relay" and line["v"] == 1
    assert "user_id" not in line and "room_id" not in line  # anonymous
    assert line["client_ts"] == "2026-01-01T00:00:00Z"
    assert line["ts"].endswith("Z") and line["ts"] != "2026-01-01T00:00:00Z"
    dead = [json.loads(x) for x in server.dead_letter_lines()]
    assert {d["reason"].split(":")[0] for d in dead} >= {"unknown_event", "not_an_object"}
    assert all(d["source"] == "ingest" and d["received_at"] for d in dead)


def test_200_beacon_text_plain_and_token_in_body(server: Server, client: httpx.Client) -> None:
    marker = uuid.uuid4().hex
    body = {"events": [ev(marker=marker)], "token": make_token("u-beacon", "r-beacon")}
    r = client.post(
        INGEST, content=json.dumps(body), headers={"content-type": "text/plain;charset=UTF-8"}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 1, "rejected": []}
    (line,) = [json.loads(x) for x in server.event_lines() if marker in x]
    assert line["user_id"] == "u-beacon" and line["room_id"] == "r-beacon"


def test_200_identity_from_bearer_token_overrides_body(
    server: Server, client: httpx.Client
) -> None:
    marker = uuid.uuid4().hex
    r = client.post(
        INGEST,
        json={"events": [ev(marker=marker, user_id="mallory")]},
        headers={"authorization": f"Bearer {make_token('alice', 'room-7')}"},
    )
    assert r.status_code == 200, r.text
    (line,) = [json.loads(x) for x in server.event_lines() if marker in x]
    assert (line["user_id"], line["room_id"]) == ("alice", "room-7")


def test_200_session_id_cut_to_128(server: Server, client: httpx.Client) -> None:
    marker = uuid.uuid4().hex
    r = client.post(INGEST, json={"events": [ev(marker=marker, session_id="s" * 1000)]})
    assert r.status_code == 200
    (line,) = [json.loads(x) for x in server.event_lines() if marker in x]
    assert line["session_id"] == "s" * 128


def test_200_empty_batch(client: httpx.Client) -> None:
    r = client.post(INGEST, json={"events": []})
    assert r.status_code == 200 and r.json() == {"accepted": 0, "rejected": []}


# --- 400 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        (b'{"events": [', "malformed_json"),
        (b"", "malformed_json"),
        (b'{"events": [{"event": "session_start", "n": NaN}]}', "malformed_json"),
        (b'{"events": [], "events": [1]}', "duplicate_key"),
        (b'{"events": [{"event": "a", "event": "b"}]}', "duplicate_key"),
        (b'{"events": "\xff\xfe"}', "invalid_utf8"),
        (b"[1, 2]", "not_an_object"),
        (b'{"events": {"event": "x"}}', "events_not_array"),
        (b'{"batch": []}', "events_not_array"),
        (json.dumps({"events": [{"event": "session_start"}] * 51}).encode(), "too_many_events"),
        (b"[" * 5000 + b"]" * 5000, "malformed_json"),
    ],
)
def test_400_whole_request_errors(client: httpx.Client, body: bytes, code: str) -> None:
    r = client.post(INGEST, content=body, headers={"content-type": "application/json"})
    assert_error(r, 400, code)


# --- 401 -----------------------------------------------------------------------------


def test_401_bad_and_expired_tokens(client: httpx.Client) -> None:
    for token, code in [
        ("not-a-jwt", "invalid_token"),
        (make_token(secret="another-secret-0123456789-0123456789abc"), "invalid_token"),
        (make_token(exp_in=-3600), "token_expired"),
    ]:
        r = client.post(
            INGEST, json={"events": [ev()]}, headers={"authorization": f"Bearer {token}"}
        )
        assert_error(r, 401, code)
        assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.post(INGEST, json={"events": [ev()], "token": "garbage"})
    assert_error(r, 401, "invalid_token")


def test_401_when_a_token_is_required(tmp_path: Path) -> None:
    with running(tmp_path, {**BASE, "require_token": True}) as srv, srv.client() as c:
        assert_error(c.post(INGEST, json={"events": [ev()]}), 401, "token_required")
        ok = c.post(
            INGEST, json={"events": [ev()]}, headers={"authorization": f"Bearer {make_token()}"}
        )
        assert ok.status_code == 200 and ok.json()["accepted"] == 1


# --- 403 and CORS ----------------------------------------------------------------------


def test_403_origin_not_allowed_and_cors_for_allowed(client: httpx.Client, server: Server) -> None:
    r = client.post(INGEST, json={"events": [ev()]}, headers={"origin": "http://evil.example"})
    assert_error(r, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in r.headers
    assert_error(client.post(INGEST, json={"events": []}, headers={"origin": "null"}), 403)
    ok = client.post(INGEST, json={"events": [ev()]}, headers={"origin": ALLOWED})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "Retry-After" in ok.headers["access-control-expose-headers"]
    same = client.post(INGEST, json={"events": []}, headers={"origin": server.url})
    assert same.status_code == 200


def test_cors_preflight(client: httpx.Client) -> None:
    pre = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    ok = client.options(INGEST, headers={"origin": ALLOWED, **pre})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "content-type" in ok.headers["access-control-allow-headers"]
    assert "authorization" in ok.headers["access-control-allow-headers"]
    assert "Origin" in ok.headers["vary"]
    assert_error(client.options(INGEST, headers={"origin": "http://evil.example", **pre}), 403)
    assert_error(client.options(INGEST, headers={"origin": ALLOWED}), 400, "bad_preflight")
    bad_method = {"origin": ALLOWED, "access-control-request-method": "DELETE"}
    assert_error(client.options(INGEST, headers=bad_method), 405)


# --- 413 -----------------------------------------------------------------------------


def test_413_declared_length_over_cap(client: httpx.Client) -> None:
    body = b'{"events": [], "pad": "' + b"x" * 70000 + b'"}'
    assert_error(
        client.post(INGEST, content=body, headers={"content-type": "application/json"}), 413
    )


def test_413_chunked_body_counted_on_bytes_read(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"events": [], "pad": "'
        for _ in range(200):
            yield b"y" * 1024
        yield b'"}'

    r = client.post(INGEST, content=chunks(), headers={"content-type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert_error(r, 413, "body_too_large")


def _raw_request(port: int, head: bytes, body: bytes, read_timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            data += chunk
        return data


def test_413_lying_content_length_is_not_trusted(server: Server) -> None:
    # Declares 20 bytes, sends 100 KB: only what is read counts, and what is read is
    # judged as it is (a truncated document), never as a small valid body.
    body = b'{"events": [], "x":"' + b"z" * 100_000 + b'"}'
    head = (
        f"POST {INGEST} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 20\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = _raw_request(server.port, head, body)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:300]
    assert b'"malformed_json"' in rest
    # A chunked body whose chunk sizes add up past the cap, sent raw.
    chunk = b"a" * 8192
    head = (
        f"POST {INGEST} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(12)) + b"0\r\n\r\n"
    answer = _raw_request(server.port, head, chunked)
    assert answer.split(b"\r\n", 1)[0].split()[1] == b"413", answer[:300]
    assert server.alive()


# --- 415 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/xml",
        "multipart/form-data; boundary=x",
        "text/html",
        "application/json; charset=latin-1",
        "application/x-protobuf",
    ],
)
def test_415_other_content_types(client: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post(INGEST, content=b'{"events": []}', headers=headers)
    assert_error(r, 415, "unsupported_media_type")


# --- 429 -----------------------------------------------------------------------------


def test_429_requests_per_minute_with_retry_after(tmp_path: Path) -> None:
    settings = {**BASE, "requests_per_minute": 3, "events_per_minute": 100000}
    with running(tmp_path, settings) as srv, srv.client() as c:
        codes = [c.post(INGEST, json={"events": [ev()]}).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = c.post(INGEST, json={"events": [ev()]})
        assert_error(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # Another user on the same IP has its own budget.
        other = c.post(
            INGEST,
            json={"events": [ev()]},
            headers={"authorization": f"Bearer {make_token('bob')}"},
        )
        assert other.status_code == 200
        metrics = c.get("/metrics").text
        assert 'slogate_ingest_rate_limited_total{limit="requests"} 1.0' in metrics


def test_429_events_quota_charged_by_batch_size(tmp_path: Path) -> None:
    settings = {
        **BASE,
        "requests_per_minute": 1000,
        "events_per_minute": 60,
        "max_batch_events": 50,
    }
    with running(tmp_path, settings) as srv, srv.client() as c:
        assert c.post(INGEST, json={"events": [ev()] * 50}).status_code == 200
        r = c.post(INGEST, json={"events": [ev()] * 20})
        assert_error(r, 429, "rate_limited")
        assert "events" in r.json()["detail"]
        assert int(r.headers["retry-after"]) >= 1
        assert c.post(INGEST, json={"events": [ev()] * 5}).status_code == 200


def test_forwarded_for_only_from_trusted_proxies(tmp_path: Path) -> None:
    settings = {**BASE, "requests_per_minute": 2}
    with running(tmp_path / "a", settings) as srv, srv.client() as c:
        # Untrusted peer: X-Forwarded-For is ignored, so spoofing it buys nothing.
        codes = [
            c.post(
                INGEST, json={"events": []}, headers={"x-forwarded-for": f"10.0.0.{i}"}
            ).status_code
            for i in range(3)
        ]
        assert codes == [200, 200, 429]
    with (
        running(tmp_path / "b", {**settings, "trusted_proxies": ["127.0.0.1/32"]}) as srv,
        srv.client() as c,
    ):
        codes = [
            c.post(
                INGEST, json={"events": []}, headers={"x-forwarded-for": f"10.0.0.{i}"}
            ).status_code
            for i in range(3)
        ]
        assert codes == [200, 200, 200]
        same = [
            c.post(
                INGEST, json={"events": []}, headers={"x-forwarded-for": "203.0.113.9, 127.0.0.1"}
            ).status_code
            for _ in range(3)
        ]
        assert same == [200, 200, 429]


# --- 503 -----------------------------------------------------------------------------


def test_503_kill_switch_from_environment(tmp_path: Path) -> None:
    with running(tmp_path, BASE, env={"SLOGATE_INGEST_KILL_SWITCH": "1"}) as srv, srv.client() as c:
        r = c.post(INGEST, json={"events": [ev()]})
        assert_error(r, 503, "kill_switch")
        assert r.headers["retry-after"] == "1"
        assert srv.event_lines() == []
        assert c.get("/healthz").status_code == 200


def test_503_kill_switch_through_admin_endpoint(client: httpx.Client, server: Server) -> None:
    url = "/api/admin/kill-switch"
    assert_error(client.post(url, json={"enabled": True}), 401, "invalid_admin_token")
    bad = {"authorization": "Bearer admin-token-0123456789abcdeX"}
    assert_error(client.post(url, json={"enabled": True}, headers=bad), 401)
    good = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    assert_error(client.post(url, json={"enabled": "yes"}, headers=good), 400)
    try:
        on = client.post(url, json={"enabled": True}, headers=good)
        assert on.status_code == 200 and on.json()["enabled"] is True
        r = client.post(INGEST, json={"events": [ev()]})
        assert_error(r, 503, "kill_switch")
        assert int(r.headers["retry-after"]) >= 1
        assert "slogate_ingest_kill_switch 1.0" in client.get("/metrics").text
    finally:
        off = client.post(url, json={"enabled": False}, headers=good)
    assert off.json()["enabled"] is False
    assert client.post(INGEST, json={"events": [ev()]}).status_code == 200


def test_admin_endpoint_disabled_without_admin_token(tmp_path: Path) -> None:
    settings = {k: v for k, v in BASE.items() if k != "admin_token"}
    with running(tmp_path, settings) as srv, srv.client() as c:
        r = c.post(
            "/api/admin/kill-switch", json={"enabled": True}, headers={"authorization": "Bearer x"}
        )
        assert_error(r, 403, "admin_disabled")


def _limit_file_size(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


def test_503_when_the_store_cannot_write_then_recovery(tmp_path: Path) -> None:
    # A real write failure: the server process may not grow any file past 4 KB
    # (EFBIG, as a full disk fails a write). Lifting the limit clears the fault.
    with running(tmp_path, BASE, preexec=_limit_file_size(4096)) as srv, srv.client() as c:
        marker = uuid.uuid4().hex
        first = c.post(INGEST, json={"events": [ev(marker=marker)]})
        assert first.status_code == 200, first.text
        big = [ev(pad="p" * 1500, marker=marker) for _ in range(5)]
        r = c.post(INGEST, json={"events": big})
        assert_error(r, 503, "storage_unavailable")
        assert int(r.headers["retry-after"]) >= 1
        assert srv.alive()
        for raw in srv.event_lines():  # nothing half-written
            json.loads(raw)
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
        wait_for(lambda: c.post(INGEST, json={"events": big}).status_code == 200, 10, "recovery")
        assert c.get("/readyz").status_code == 200
        stored = [json.loads(x) for x in srv.event_lines() if marker in x]
        assert len(stored) >= 6 and all(s["event"] == "session_start" for s in stored)
        assert 'slogate_ingest_store_failures_total{target="events"}' in c.get("/metrics").text


# --- other routes --------------------------------------------------------------------


def test_404_405_are_json(client: httpx.Client) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.get(INGEST), 405, "method_not_allowed")
    assert_error(client.delete("/healthz"), 405)


def test_health_ready_openapi_sdk_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    spec = client.get("/openapi.json").json()
    assert (
        spec["openapi"].startswith("3.") and INGEST in spec["paths"] and "/v1/logs" in spec["paths"]
    )
    sdk = client.get("/sdk/slogate.js")
    assert sdk.status_code == 200 and "javascript" in sdk.headers["content-type"]
    assert b"sendBeacon" in sdk.content
    client.post(INGEST, json={"events": [ev(), {"event": "nope"}]})
    text = client.get("/metrics").text
    for name in (
        "slogate_ingest_events_accepted_total",
        'slogate_ingest_events_rejected_total{reason="unknown_event"}',
        "slogate_ingest_received_bytes_total",
        'slogate_ingest_request_duration_seconds_bucket{le="0.05",route="ingest"}',
        "slogate_store_fsync_duration_seconds_count",
        "slogate_store_segments",
        'slogate_ingest_requests_total{route="ingest",status="200"}',
    ):
        assert name in text, name
    fsyncs = [
        x for x in text.splitlines() if x.startswith("slogate_store_fsync_duration_seconds_count")
    ]
    assert float(fsyncs[0].split()[-1]) >= 1
