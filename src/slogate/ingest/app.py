"""`create_app`: the ingest ASGI app, with everything it talks to injected
(settings, catalog, store, clock, rate-limit storage, environment, registry)."""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from types import MappingProxyType
from typing import Any, Protocol

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from slogate.config.ingest import IngestSettings
from slogate.core.catalog import Catalog
from slogate.ingest.body import (
    check_content_type,
    check_media_type,
    parse_json,
    read_capped,
    receive_capped,
)
from slogate.ingest.errors import ApiError, error_response, json_response
from slogate.ingest.guards import (
    KillSwitch,
    OriginPolicy,
    RateLimits,
    admin_allowed,
    authenticate,
    bearer_token,
    client_ip,
    parse_networks,
    rate_key,
)
from slogate.ingest.limited import RecentlyLimited
from slogate.ingest.metrics import IngestMetrics
from slogate.ingest.openapi import openapi_document
from slogate.ingest.pipeline import Pipeline

log = logging.getLogger("slogate.ingest")

Clock = Callable[[], datetime]
Scrubber = Callable[[dict[str, Any]], dict[str, Any]]
TextScrubber = Callable[[str], str]


class EventStore(Protocol):
    """What ingest needs of the store (slogate.store.segments.SegmentStore)."""

    on_fsync: Callable[[float], None] | None

    async def open(self) -> Any: ...
    async def append(self, events: Sequence[Mapping[str, Any]]) -> None: ...
    async def append_dead_letters(self, records: Sequence[Mapping[str, Any]]) -> None: ...
    def is_writable(self) -> bool: ...
    def segment_count(self) -> int: ...
    async def close(self) -> None: ...


#: Collector thresholds while the app runs. Request garbage is acyclic (reference
#: counting frees it), but the default thresholds still run a collection every few
#: requests and now and then a full one over a large heap (rate-limit windows,
#: scrub caches) that stops the single event loop: in bench/ingest.py the p99 at
#: 80 % load went from over 100 ms to under 10 ms with these.
GC_THRESHOLDS = (100_000, 50, 100)


LeanHandler = Callable[
    [dict[bytes, bytes], Scope, Receive], Awaitable[tuple[int, bytes, Mapping[str, str] | None]]
]

_INTERNAL_ERROR = orjson.dumps({"error": "internal_error", "detail": "unexpected server error"})


def _header(headers: Mapping[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("latin-1")


def raw_headers(body: bytes, headers: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
    """The header list `starlette.responses.Response` sends for a JSON body with
    these headers (the lean routes answer byte for byte as the reference does)."""
    if not headers:
        return [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    keys = [k for k, _ in raw]
    if b"content-length" not in keys:
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
    if b"content-type" not in keys:
        raw.append((b"content-type", b"application/json"))
    return raw


class IngestApp(Starlette):
    """Starlette, with the hot POST routes (`hot`, by exact path) answered in front of
    its router: one dictionary look-up instead of the middleware stack, the route
    scan and a `Request`. Anything else, and any request under a `root_path`, goes
    through Starlette as before."""

    hot: Mapping[str, ASGIApp] = MappingProxyType({})  # set by `create_app`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            handler = self.hot.get(scope["path"])
            if handler is not None:
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _default_scrubbers() -> tuple[Scrubber, TextScrubber]:
    from slogate.privacy import scrub_event, scrub_text

    return scrub_event, scrub_text


def create_app(
    settings: IngestSettings,
    *,
    catalog: Catalog,
    store: EventStore,
    clock: Clock,
    limiter_storage: Any | None = None,
    redis: Any | None = None,
    env: Mapping[str, str] | None = None,
    registry: CollectorRegistry | None = None,
    scrub_event: Scrubber | None = None,
    scrub_text: TextScrubber | None = None,
    floor_endpoint: bool = False,
    hot_path: bool = True,
) -> Starlette:
    """Build the app. With `settings.redis_url` set and no storage/redis given,
    they are created from the URL when the app starts (not here: no IO in a
    factory). `floor_endpoint` adds POST /bench/floor (parse and answer only)
    for benchmarks. `hot_path=False` serves every route through Starlette (the
    reference the lean routes are tested against)."""
    registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
    metrics = IngestMetrics(registry)
    limited_clients = RecentlyLimited()
    if scrub_event is None or scrub_text is None:
        default_event, default_text = _default_scrubbers()
        scrub_event = scrub_event or default_event
        scrub_text = scrub_text or default_text
    origins = OriginPolicy.from_settings(settings)
    trusted = parse_networks(settings.trusted_proxies)
    state: dict[str, Any] = {"redis": redis, "limiter_storage": limiter_storage}
    env = os.environ if env is None else env

    def make_guards() -> tuple[RateLimits, KillSwitch]:
        limits = RateLimits(
            settings, state["limiter_storage"], on_fallback=metrics.limiter_fallbacks.inc
        )
        return limits, KillSwitch(settings, env, state["redis"])

    guards: dict[str, Any] = {}
    guards["limits"], guards["kill"] = make_guards()
    pipeline = Pipeline(settings, catalog, store, metrics, scrub_event, scrub_text)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned: list[Any] = []
        if settings.redis_url and state["redis"] is None:
            import redis.asyncio as aioredis

            state["redis"] = aioredis.Redis.from_url(
                settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            owned.append(state["redis"])
        if settings.redis_url and state["limiter_storage"] is None:
            from limits.aio.storage import RedisStorage

            state["limiter_storage"] = RedisStorage(
                "async+" + settings.redis_url,
                implementation="redispy",
                key_prefix=f"{settings.redis_prefix}:limits",
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
        guards["limits"], guards["kill"] = make_guards()
        store.on_fsync = metrics.fsync.observe
        metrics.watch_segments(store.segment_count)
        report = await store.open()
        log.info("event store open: %s", report)
        previous_gc = gc.get_threshold()
        gc.freeze()  # what exists at start lives on: keep it out of every collection
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            gc.set_threshold(*previous_gc)
            gc.unfreeze()
            await store.close()
            for client in owned:
                await client.aclose()

    def cors(request: Request) -> dict[str, str]:
        return origins.cors_headers(request.headers.get("origin"), request.headers.get("host"))

    def instrumented(
        route: str, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        latency = metrics.latency.labels(route)
        counters: dict[int, Any] = {}  # the requests counter's child per status code

        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = await handler(request)
            except ApiError as exc:
                response = error_response(exc, cors(request))
            except Exception:
                log.exception("unexpected error on %s", route)
                response = json_response(
                    {"error": "internal_error", "detail": "unexpected server error"}, 500
                )
            latency.observe(time.perf_counter() - started)
            counter = counters.get(response.status_code)
            if counter is None:
                counter = metrics.requests.labels(route, str(response.status_code))
                counters[response.status_code] = counter
            counter.inc()
            return response

        return endpoint

    async def guard_entry(request: Request) -> None:
        await guard_entry_raw(request.headers.get("origin"), request.headers.get("host"))

    kill_gauge = metrics.kill_switch

    async def guard_entry_raw(origin: str | None, host: str | None) -> None:
        if origin is not None and not origins.allows(origin, host):
            raise ApiError(403, "origin_not_allowed", "this origin may not send events")
        reason = await guards["kill"].reason()
        kill_gauge.set(1 if reason else 0)
        if reason:
            raise ApiError(
                503,
                "kill_switch",
                f"ingest is switched off ({reason})",
                headers={"Retry-After": str(settings.retry_after_seconds)},
            )

    #: client_ip answers by (peer, X-Forwarded-For): parsing addresses cost about
    #: 20 µs a request. Bounded: emptied when full.
    addresses: dict[tuple[str | None, str | None], str] = {}

    def address_of(peer: str | None, forwarded_for: str | None) -> str:
        found = addresses.get((peer, forwarded_for))
        if found is None:
            found = client_ip(peer, forwarded_for, trusted)
            if len(addresses) >= 16384:
                addresses.clear()
            addresses[(peer, forwarded_for)] = found
        return found

    async def identify_and_limit(request: Request, body_token: Any, cost: int) -> Any:
        return await identify_and_limit_raw(
            request.headers.get("authorization"),
            request.client.host if request.client else None,
            request.headers.get("x-forwarded-for"),
            body_token,
            cost,
        )

    async def identify_and_limit_raw(
        authorization: str | None,
        peer: str | None,
        forwarded_for: str | None,
        body_token: Any,
        cost: int,
    ) -> Any:
        token = bearer_token(authorization)
        auth = authenticate(token if token is not None else body_token, settings)
        key = rate_key(auth, address_of(peer, forwarded_for))
        refused = await guards["limits"].check(key, cost)
        if refused is not None:
            limit, wait = refused
            metrics.rate_limited.labels(limit).inc()
            limited_clients.record(key, limit, clock())
            raise ApiError(
                429,
                "rate_limited",
                f"too many {limit} per minute",
                headers={"Retry-After": str(wait)},
            )
        return auth

    def batch_of(document: Any) -> tuple[dict[str, Any], list[Any]]:
        """The request document and its events, or the 400 that says what is wrong."""
        if not isinstance(document, dict):
            raise ApiError(400, "not_an_object", 'the body must be {"events": [...]}')
        events = document.get("events")
        if not isinstance(events, list):
            raise ApiError(400, "events_not_array", "events must be an array")
        if len(events) > settings.max_batch_events:
            raise ApiError(
                400, "too_many_events", f"at most {settings.max_batch_events} events per request"
            )
        return document, events

    async def ingest(request: Request) -> Response:
        await guard_entry(request)
        check_content_type(request, allow_text=True)
        body = await read_capped(request, settings.max_body_bytes)
        metrics.received_bytes.inc(len(body))
        document, events = batch_of(parse_json(body))
        auth = await identify_and_limit(request, document.get("token"), len(events))
        prepared = pipeline.prepare(events, auth, clock(), source="ingest")
        del body, document, events  # see lean_ingest: free the parsed request first
        accepted, rejected = await pipeline.commit(prepared)
        return json_response({"accepted": accepted, "rejected": rejected}, 200, cors(request))

    async def otlp_logs(request: Request) -> Response:
        await guard_entry(request)
        check_content_type(request, allow_text=False)
        body = await read_capped(request, settings.otlp_max_body_bytes)
        metrics.received_bytes.inc(len(body))
        document = parse_json(body)
        raw_events, pre_rejected = pipeline.otlp_events(document)
        total = len(raw_events)
        if total > settings.otlp_max_records:
            raise ApiError(
                400, "too_many_events", f"at most {settings.otlp_max_records} log records"
            )
        auth = await identify_and_limit(request, None, total)
        prepared = pipeline.prepare(
            raw_events, auth, clock(), source="otlp", pre_rejected=pre_rejected
        )
        del body, document, raw_events  # see lean_ingest: free the parsed request first
        accepted, rejected = await pipeline.commit(prepared)
        answer: dict[str, Any] = {}
        if rejected:
            reasons = sorted({r["reason"] for r in rejected})
            answer["partialSuccess"] = {
                "rejectedLogRecords": len(rejected),
                "errorMessage": "; ".join(reasons)[:500],
            }
        return json_response(answer, 200, cors(request))

    async def preflight(request: Request) -> Response:
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if origin is None or method is None:
            raise ApiError(400, "bad_preflight", "Origin and Access-Control-Request-Method needed")
        if not origins.allows(origin, request.headers.get("host")):
            raise ApiError(403, "origin_not_allowed", "this origin may not send events")
        if method.upper() != "POST":
            raise ApiError(405, "method_not_allowed", "only POST is allowed")
        headers = cors(request)
        headers.update(
            {
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "authorization, content-type",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            }
        )
        return Response(status_code=204, headers=headers)

    async def kill_switch(request: Request) -> Response:
        admin_allowed(request.headers.get("authorization"), settings)
        if request.method == "POST":
            check_content_type(request, allow_text=False)
            document = parse_json(await read_capped(request, 1024))
            enabled = document.get("enabled") if isinstance(document, dict) else None
            if not isinstance(enabled, bool):
                raise ApiError(400, "bad_request", 'the body must be {"enabled": true|false}')
            await guards["kill"].set(enabled)
            log.warning(
                "kill switch turned %s through the admin endpoint", "on" if enabled else "off"
            )
        reason = await guards["kill"].reason()
        metrics.kill_switch.set(1 if reason else 0)
        return json_response({"enabled": reason is not None, "reason": reason})

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not store.is_writable():
            raise ApiError(
                503,
                "storage_unavailable",
                "the event store is not writable",
                headers={"Retry-After": str(settings.retry_after_seconds)},
            )
        return json_response({"status": "ready"})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    document = openapi_document(settings)

    async def openapi(request: Request) -> Response:
        return json_response(document)

    sdk_cache: dict[str, bytes] = {}

    async def sdk(request: Request) -> Response:
        if "js" not in sdk_cache:
            sdk_cache["js"] = (resources.files("slogate") / "sdk" / "slogate.js").read_bytes()
        return Response(
            sdk_cache["js"],
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    async def floor(request: Request) -> Response:
        check_content_type(request, allow_text=True)
        document = parse_json(await read_capped(request, settings.max_body_bytes))
        events = document.get("events") if isinstance(document, dict) else None
        count = len(events) if isinstance(events, list) else 0
        return json_response({"accepted": count, "rejected": []})

    # --- the lean routes -----------------------------------------------------------
    # POST /api/telemetry/ingest (and the benchmark floor, so that both are measured on
    # the same stack) without Starlette's router, middleware, Request and Response:
    # the same guards in the same order on the raw ASGI scope, the same answers
    # (tests/integration/ingest/test_ingest_lean.py runs both on the same requests).

    def lean(route: str, handler: LeanHandler) -> ASGIApp:
        latency = metrics.latency.labels(route)
        counters: dict[int, Any] = {}  # the requests counter's child per status code

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            started = time.perf_counter()
            raw = scope["headers"]
            # The first of repeated headers wins, as with `Request.headers.get`.
            headers: dict[bytes, bytes] = dict(reversed(raw if type(raw) is list else list(raw)))
            extra: Mapping[str, str] | None
            try:
                status, payload, extra = await handler(headers, scope, receive)
            except ApiError as exc:
                status = exc.status
                payload = orjson.dumps({"error": exc.code, "detail": exc.detail})
                extra = origins.cors_headers(_header(headers, b"origin"), _header(headers, b"host"))
                extra.update(exc.headers)
            except Exception:
                log.exception("unexpected error on %s", route)
                status, payload, extra = 500, _INTERNAL_ERROR, None
            latency.observe(time.perf_counter() - started)
            counter = counters.get(status)
            if counter is None:
                counter = counters[status] = metrics.requests.labels(route, str(status))
            counter.inc()
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": raw_headers(payload, extra),
                }
            )
            await send({"type": "http.response.body", "body": payload})

        return app

    received_bytes = metrics.received_bytes
    max_body = settings.max_body_bytes

    async def lean_ingest(
        headers: dict[bytes, bytes], scope: Scope, receive: Receive
    ) -> tuple[int, bytes, Mapping[str, str] | None]:
        origin, host = _header(headers, b"origin"), _header(headers, b"host")
        await guard_entry_raw(origin, host)
        check_media_type(_header(headers, b"content-type"), allow_text=True)
        body = await receive_capped(_header(headers, b"content-length"), receive, max_body)
        received_bytes.inc(len(body))
        document, events = batch_of(parse_json(body))
        client = scope.get("client")
        auth = await identify_and_limit_raw(
            _header(headers, b"authorization"),
            client[0] if client else None,
            _header(headers, b"x-forwarded-for"),
            document.get("token"),
            len(events),
        )
        prepared = pipeline.prepare(events, auth, clock(), source="ingest")
        # Nothing of the parsed request is needed while the group commit runs: let it go
        # now. With 32 requests waiting on the store, their documents and records held
        # several MB live and every new parse wrote to cold memory (orjson.loads took
        # about 3x as long as with an instant store); freed here, the next request's
        # objects reuse the same warm memory.
        del body, document, events
        accepted, rejected = await pipeline.commit(prepared)
        payload = orjson.dumps({"accepted": accepted, "rejected": rejected})
        return 200, payload, origins.cors_headers(origin, host) if origin is not None else None

    async def lean_floor(
        headers: dict[bytes, bytes], scope: Scope, receive: Receive
    ) -> tuple[int, bytes, Mapping[str, str] | None]:
        check_media_type(_header(headers, b"content-type"), allow_text=True)
        body = await receive_capped(_header(headers, b"content-length"), receive, max_body)
        document = parse_json(body)
        events = document.get("events") if isinstance(document, dict) else None
        count = len(events) if isinstance(events, list) else 0
        return 200, orjson.dumps({"accepted": count, "rejected": []}), None

    hot: dict[str, ASGIApp] = {}
    if hot_path:
        hot["/api/telemetry/ingest"] = lean("ingest", lean_ingest)
        if floor_endpoint:
            hot["/bench/floor"] = lean("floor", lean_floor)

    routes = [
        Route("/api/telemetry/ingest", instrumented("ingest", ingest), methods=["POST"]),
        Route("/api/telemetry/ingest", instrumented("preflight", preflight), methods=["OPTIONS"]),
        Route("/v1/logs", instrumented("otlp", otlp_logs), methods=["POST"]),
        Route("/v1/logs", instrumented("preflight", preflight), methods=["OPTIONS"]),
        Route(
            "/api/admin/kill-switch", instrumented("admin", kill_switch), methods=["GET", "POST"]
        ),
        Route("/healthz", instrumented("healthz", healthz), methods=["GET"]),
        Route("/readyz", instrumented("readyz", readyz), methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/sdk/slogate.js", instrumented("sdk", sdk), methods=["GET"]),
    ]
    if floor_endpoint:
        routes.append(Route("/bench/floor", instrumented("floor", floor), methods=["POST"]))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
        detail = exc.detail if isinstance(exc, HTTPException) else "unexpected server error"
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        return json_response({"error": code, "detail": str(detail)}, status, headers)

    app = IngestApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: http_error},
    )
    app.hot = hot
    app.state.metrics = metrics
    app.state.rate_limited = limited_clients
    app.state.guards = guards
    return app


__all__ = ["EventStore", "IngestApp", "create_app"]
