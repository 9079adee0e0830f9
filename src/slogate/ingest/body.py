"""Reading and parsing request bodies without trusting the client.

The size cap counts the bytes actually received, whatever Content-Length says
and whether the body is chunked, and stops reading at the cap: memory stays
bounded by the cap. Parsing refuses what JSON parsers disagree on (duplicate
keys, NaN/Infinity, invalid UTF-8) so that the event stored is the event sent.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from slogate.ingest.errors import ApiError

_JSON_TYPES = frozenset({"application/json"})
_BEACON_TYPES = frozenset({"text/plain"})


class _DuplicateKeyError(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)


def check_content_type(request: Request, *, allow_text: bool) -> None:
    """application/json, or text/plain (what sendBeacon sends) when allowed;
    a charset other than UTF-8 is refused rather than guessed."""
    check_media_type(request.headers.get("content-type"), allow_text=allow_text)


def check_media_type(raw: str | None, *, allow_text: bool) -> None:
    """`check_content_type` on the header's value (the lean ASGI route has no
    `Request`)."""
    if raw is None:
        raise ApiError(415, "unsupported_media_type", "Content-Type is required")
    media, _, params = raw.partition(";")
    media = media.strip().lower()
    allowed = _JSON_TYPES | _BEACON_TYPES if allow_text else _JSON_TYPES
    if media not in allowed:
        expected = " or ".join(sorted(allowed))
        raise ApiError(415, "unsupported_media_type", f"expected {expected}")
    if not params:
        return
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                raise ApiError(415, "unsupported_media_type", "charset must be utf-8")


async def read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    _check_declared(declared, cap)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > cap:
                raise ApiError(413, "body_too_large", f"body over {cap} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise ApiError(400, "client_disconnected", "the body ended early") from exc
    return b"".join(chunks)


def _check_declared(declared: str | None, cap: int) -> None:
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "bad_content_length", "Content-Length is not a number")
        if int(declared) > cap:
            raise ApiError(413, "body_too_large", f"body over {cap} bytes")


async def receive_capped(declared: str | None, receive: Receive, cap: int) -> bytes:
    """`read_capped` on the ASGI `receive` callable, as `Request.stream()` reads it:
    `http.request` messages until one says no more body, `http.disconnect` is a body
    that ended early. The common case, one message with the whole body, joins
    nothing."""
    _check_declared(declared, cap)
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if chunk:
                total += len(chunk)
                if total > cap:
                    raise ApiError(413, "body_too_large", f"body over {cap} bytes")
                if not more and not chunks:
                    return bytes(chunk)
                chunks.append(chunk)
            if not more:
                return b"".join(chunks)
        elif kind == "http.disconnect":
            raise ApiError(400, "client_disconnected", "the body ended early")


_MISS = object()


def _parse_canonical(body: bytes) -> Any:
    """orjson's parse of `body` when `body` is exactly what orjson would write for it,
    else `_MISS`.

    Compact JSON, as `JSON.stringify` and the SDK send it, is the common case, and
    orjson parses it several times faster than the strict decoder below. The
    round trip is what makes the answer identical: a duplicate key would be lost
    (shorter output), NaN, lone surrogates, invalid UTF-8 and out-of-range numbers
    make orjson fail, and any other spelling (whitespace, escapes, exponents)
    differs from orjson's output. Every miss goes through the strict decoder, so
    errors and their messages stay the same."""
    try:
        document = orjson.loads(body)
        if orjson.dumps(document) == body:
            return document
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, TypeError, RecursionError):
        pass
    return _MISS


def parse_json(body: bytes) -> Any:
    if not body:
        raise ApiError(400, "malformed_json", "the body is empty")
    document = _parse_canonical(body)
    if document is not _MISS:
        return document
    return parse_json_strict(body)


def parse_json_strict(body: bytes) -> Any:
    """The reference parser: duplicate keys, NaN and invalid UTF-8 refused with
    their position; `parse_json` answers exactly as this does."""
    if not body:
        raise ApiError(400, "malformed_json", "the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}") from exc
    try:
        return _DECODER.decode(text)
    except _DuplicateKeyError as exc:
        raise ApiError(400, "duplicate_key", f"duplicate key {str(exc)[:64]!r}") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json", f"{exc.msg} at position {exc.pos}") from exc
    except RecursionError as exc:
        raise ApiError(400, "malformed_json", "nesting too deep") from exc
    except ValueError as exc:  # NaN/Infinity, integers over the digit limit
        raise ApiError(400, "malformed_json", str(exc)[:200]) from exc
