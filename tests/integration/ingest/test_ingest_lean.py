"""The lean routes (`IngestApp.hot`: POST /api/telemetry/ingest and /bench/floor on the
raw ASGI scope) answer exactly as the reference routes through Starlette do.

Two apps are built from the same settings, one with `hot_path=False` (everything
through Starlette's router, `Request` and `Response`), and every request goes to
both: the ASGI messages sent back (status, header list, body), the metrics they
leave and the lines they store must be the same."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from slogate.config.load import load_config
from slogate.ingest.app import IngestApp, create_app
from slogate.store.segments import SegmentStore
from tests.integration.ingest.ingest_server import EXAMPLE

INGEST = "/api/telemetry/ingest"
FLOOR = "/bench/floor"
SECRET = "lean-parity-secret-0123456789abcdef"
NOW = datetime(2026, 11, 27, 4, 0, 0, 123456, tzinfo=UTC)

Headers = Sequence[tuple[bytes, bytes]]


def batch(n: int = 3, *, note: str | None = None) -> dict[str, Any]:
    events: list[dict[str, Any]] = [
        {
            "event_id": f"6f1c2d3e-4b5a-4c6d-8e7f-{i:012x}",
            "session_id": "0b9d2c1e-7f6a-4e5d-9c8b-7a6f5e4d3c2b",
            "ts": "2026-11-27T03:59:59.000Z",
            "sent_at": "2026-11-27T03:59:59.100Z",
            "event": "hydra_preset_eval_success",
            "duration_ms": 10.5 + i,
        }
        for i in range(n)
    ]
    if note is not None and events:
        events[0]["note"] = note
    return {"events": events}


def body_of(document: Any) -> bytes:
    return orjson.dumps(document)


class Pair:
    """A lean app and a reference app over the same settings, in one event loop."""

    def __init__(self, tmp: Path, loop: asyncio.AbstractEventLoop, **updates: Any) -> None:
        config = load_config(EXAMPLE).config
        self.loop = loop
        self.env: dict[str, str] = {}
        self.tmp = tmp
        ingest = config.ingest.model_copy(update=updates)
        self.apps: list[Any] = []
        for name, hot in (("lean", True), ("reference", False)):
            store = SegmentStore(tmp / name, instance="parity", clock=lambda: NOW, fsync=False)
            self.apps.append(
                create_app(
                    ingest,
                    catalog=config.catalog(),
                    store=store,
                    clock=lambda: NOW,
                    env=self.env,
                    floor_endpoint=True,
                    hot_path=hot,
                    **self.extra(),
                )
            )
        self.stack = contextlib.AsyncExitStack()

    def extra(self) -> dict[str, Any]:
        return {}

    def __enter__(self) -> Pair:
        for app in self.apps:
            self.loop.run_until_complete(
                self.stack.enter_async_context(app.router.lifespan_context(app))
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.run_until_complete(self.stack.aclose())

    def both(self, *args: Any, **kwargs: Any) -> list[list[dict[str, Any]]]:
        """The messages each app sends for the same request (lean first)."""
        return [self.loop.run_until_complete(call(app, *args, **kwargs)) for app in self.apps]

    def same(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        lean, reference = self.both(*args, **kwargs)
        assert lean == reference
        return lean

    def counters(self) -> list[dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
        """Every metric sample but timings (durations, fsync) and creation times."""
        out = []
        for app in self.apps:
            samples = {}
            for family in app.state.metrics.registry.collect():
                for s in family.samples:
                    timing = "duration" in s.name or s.name.startswith("slogate_store_fsync")
                    if s.name.endswith("_created") or (timing and not s.name.endswith("_count")):
                        continue
                    samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
            out.append(samples)
        return out

    def stored(self) -> list[dict[str, str]]:
        return [
            {
                str(p.relative_to(self.tmp / name)): p.read_text()
                for p in sorted((self.tmp / name).rglob("*.jsonl"))
            }
            for name in ("lean", "reference")
        ]


async def call(
    app: Any,
    path: str,
    headers: Headers,
    chunks: Sequence[bytes],
    *,
    method: str = "POST",
    client: tuple[str, int] | None = ("203.0.113.7", 50000),
    disconnect: bool = False,
    root_path: str = "",
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": c, "more_body": disconnect or i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] or [{"type": "http.request", "body": b"", "more_body": disconnect}]
    pending = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(pending, {"type": "http.disconnect"})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": list(headers),
        "server": ("testserver", 80),
        "client": client,
        "state": {},
    }
    await app(scope, receive, send)
    return sent


def json_headers(body: bytes, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def pair(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> Iterator[Pair]:
    with Pair(
        tmp_path,
        loop,
        allowed_origins=["https://app.example.com"],
        requests_per_minute=1_000_000,
        events_per_minute=100_000_000,
    ) as p:
        yield p


def test_the_app_is_starlette_with_lean_routes(pair: Pair) -> None:
    lean, reference = pair.apps
    assert isinstance(lean, IngestApp) and set(lean.hot) == {INGEST, FLOOR}
    assert reference.hot == {}


CASES: list[tuple[str, Headers, list[bytes]]] = [
    ("ok", json_headers(body_of(batch())), [body_of(batch())]),
    (
        "pii",
        json_headers(body_of(batch(note="mail jane.doe@example.com"))),
        [body_of(batch(note="mail jane.doe@example.com"))],
    ),
    ("text/plain", [(b"content-type", b"text/plain;charset=UTF-8")], [body_of(batch())]),
    ("chunked", [(b"content-type", b"application/json")], [b'{"events":', b"[]", b"}"]),
    ("no type", [], [body_of(batch())]),
    ("bad type", [(b"content-type", b"application/xml")], [b"<x/>"]),
    ("latin-1", [(b"content-type", b"application/json; charset=latin-1")], [b"{}"]),
    ("empty", json_headers(b""), []),
    ("malformed", json_headers(b"{"), [b"{"]),
    ("duplicate key", [(b"content-type", b"application/json")], [b'{"events":[],"events":[]}']),
    ("not an object", [(b"content-type", b"application/json")], [b"[1,2]"]),
    ("events not array", [(b"content-type", b"application/json")], [b'{"events":{}}']),
    ("too many", [(b"content-type", b"application/json")], [body_of(batch(51))]),
    (
        "bad entries",
        [(b"content-type", b"application/json")],
        [b'{"events":[1,{"event":"nope"},{"event":"session_error","x":[1]}]}'],
    ),
    ("bad length", [(b"content-type", b"application/json"), (b"content-length", b"12x")], [b"{}"]),
    (
        "declared too large",
        [(b"content-type", b"application/json"), (b"content-length", b"9999999")],
        [b"{}"],
    ),
    (
        "lying length",
        [(b"content-type", b"application/json"), (b"content-length", b"2")],
        [b"x" * 40_000, b"y" * 40_000],
    ),
    (
        "origin allowed",
        [(b"origin", b"https://app.example.com"), (b"content-type", b"text/plain")],
        [body_of(batch())],
    ),
    (
        "origin allowed, error",
        [(b"origin", b"https://APP.example.com"), (b"content-type", b"text/html")],
        [b"x"],
    ),
    (
        "origin denied",
        [(b"origin", b"https://evil.example"), (b"content-type", b"text/plain")],
        [body_of(batch())],
    ),
    ("origin null", [(b"origin", b"null"), (b"content-type", b"text/plain")], [b"{}"]),
    (
        "same host",
        [
            (b"host", b"testserver"),
            (b"origin", b"http://testserver"),
            (b"content-type", b"text/plain"),
        ],
        [body_of(batch(1))],
    ),
    (
        "repeated header",
        [(b"content-type", b"text/html"), (b"content-type", b"application/json")],
        [b"{}"],
    ),
    (
        "body token, no secret",
        [(b"content-type", b"text/plain")],
        [body_of({**batch(1), "token": 5})],
    ),
]


@pytest.mark.parametrize("path", [INGEST, FLOOR])
@pytest.mark.parametrize(("name", "headers", "chunks"), CASES, ids=[c[0] for c in CASES])
def test_lean_routes_answer_as_the_reference(
    pair: Pair, path: str, name: str, headers: Headers, chunks: list[bytes]
) -> None:
    sent = pair.same(path, headers, chunks)
    assert sent[0]["type"] == "http.response.start" and sent[1]["type"] == "http.response.body"
    pair.loop.run_until_complete(asyncio.sleep(0))
    lean, reference = pair.counters()
    assert lean == reference


def test_disconnect_and_other_requests(pair: Pair) -> None:
    sent = pair.same(INGEST, [(b"content-type", b"application/json")], [b'{"ev'], disconnect=True)
    assert sent[0]["status"] == 400
    for method in ("GET", "PUT"):
        pair.same(INGEST, [], [], method=method)
    pair.same(INGEST + "/", [], [b"{}"])
    pair.same(INGEST, json_headers(b"{}"), [b"{}"], root_path="/prefix")
    pair.same(INGEST, json_headers(body_of(batch())), [body_of(batch())], client=None)
    lean, reference = pair.counters()
    assert lean == reference


def test_stored_lines_and_dead_letters_are_the_same(pair: Pair) -> None:
    for i in range(6):
        body = body_of(batch(1 + i % 3, note="card 4111 1111 1111 1111" if i % 2 else None))
        pair.same(INGEST, json_headers(body), [body])
    bad = b'{"events":[{"event":"nope","email":"jane.doe@example.com"},{"event":"session_error"}]}'
    pair.same(INGEST, [(b"content-type", b"application/json")], [bad])
    pair.__exit__(None, None, None)  # close the stores: every line on disk
    pair.stack = contextlib.AsyncExitStack()
    lean, reference = pair.stored()
    assert lean == reference
    assert any("events" in k for k in lean) and any("deadletter" in k for k in lean)


def test_kill_switch_rate_limits_and_tokens(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    with Pair(
        tmp_path,
        loop,
        token_secret=SecretStr(SECRET),
        require_token=True,
        requests_per_minute=2,
        retry_after_seconds=7,
    ) as pair:
        body = body_of(batch(1))
        assert pair.same(INGEST, json_headers(body), [body])[0]["status"] == 401
        good = jwt.encode({"sub": "u-1", "room": "r-9", "exp": int(time.time()) + 600}, SECRET)
        expired = jwt.encode({"sub": "u-1", "exp": int(time.time()) - 600}, SECRET)
        for token in ("not-a-jwt", expired):
            auth = (b"authorization", f"Bearer {token}".encode())
            assert pair.same(INGEST, json_headers(body, auth), [body])[0]["status"] == 401
        in_body = body_of({**batch(1), "token": good})
        assert pair.same(INGEST, json_headers(in_body), [in_body])[0]["status"] == 200
        auth = (b"authorization", f"Bearer {good}".encode())
        statuses = [
            pair.same(INGEST, json_headers(body, auth), [body])[0]["status"] for _ in range(3)
        ]
        assert statuses == [200, 429, 429]
        pair.env["SLOGATE_INGEST_KILL_SWITCH"] = "on"
        sent = pair.same(INGEST, json_headers(body, auth), [body])
        assert sent[0]["status"] == 503 and (b"retry-after", b"7") in sent[0]["headers"]
        lean, reference = pair.counters()
        assert lean == reference


class _Failing(Pair):
    def extra(self) -> dict[str, Any]:
        def broken(fields: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("scrubber bug")

        return {"scrub_event": broken}


def test_an_unexpected_error_is_the_same_500(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    with _Failing(tmp_path, loop) as pair:
        body = body_of(batch(1))
        sent = pair.same(INGEST, json_headers(body), [body])
        assert sent[0]["status"] == 500
        assert orjson.loads(sent[1]["body"])["error"] == "internal_error"


_media = st.sampled_from(
    [
        None,
        b"application/json",
        b"text/plain",
        b"Application/JSON; charset=utf-8",
        b'text/plain; charset="UTF8"',
        b"text/plain; charset=ascii",
        b"application/x-www-form-urlencoded",
        b"application/json;;",
    ]
)
_origins = st.sampled_from(
    [None, b"https://app.example.com", b"https://evil.example", b"null", b"http://testserver"]
)
_documents = st.one_of(
    st.builds(
        lambda n, note: body_of(batch(n, note=note)),
        st.integers(0, 52),
        st.none() | st.text(max_size=30),
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=8,
    ).map(lambda value: orjson.dumps({"events": value})),
    st.binary(max_size=64),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from([INGEST, FLOOR]),
    media=_media,
    origin=_origins,
    length=st.sampled_from(["exact", "none", "short", "huge", "junk"]),
    body=_documents,
    cuts=st.lists(st.integers(0, 2000), max_size=3),
    forwarded=st.none() | st.ip_addresses(v=4).map(lambda ip: str(ip).encode()),
)
def test_lean_routes_match_on_generated_requests(
    pair: Pair,
    path: str,
    media: bytes | None,
    origin: bytes | None,
    length: str,
    body: bytes,
    cuts: list[int],
    forwarded: bytes | None,
) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"host", b"testserver")]
    if media is not None:
        headers.append((b"content-type", media))
    if origin is not None:
        headers.append((b"origin", origin))
    if forwarded is not None:
        headers.append((b"x-forwarded-for", forwarded))
    declared: dict[str, Callable[[], bytes | None]] = {
        "exact": lambda: str(len(body)).encode(),
        "none": lambda: None,
        "short": lambda: str(max(0, len(body) - 1)).encode(),
        "huge": lambda: b"70000",
        "junk": lambda: b"-1",
    }
    value = declared[length]()
    if value is not None:
        headers.append((b"content-length", value))
    points = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    pair.same(path, headers, chunks)
