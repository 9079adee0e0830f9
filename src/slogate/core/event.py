"""Normalisation of one event a client sent to the ingest relay.

The trust boundary lives here: identity (`user_id`, `room_id`), `source` and the
schema version `v` come from the server's context, never from the body; the
server's clock gives `ts` and the client's own time is kept as `client_ts`.
Bad entries become `Rejection` values with a short reason code, so that a batch
is judged entry by entry and every refusal can be counted and dead-lettered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slogate.core.catalog import Catalog, FieldType, Origin

Policy = Literal["reject", "flag"]

#: Fields the client may never set: the relay sets them from its own context.
SERVER_SET_FIELDS: frozenset[str] = frozenset(
    {"user_id", "room_id", "source", "v", "ts", "schema_flags"}
)

#: Keys that would poison a JavaScript consumer (prototype pollution).
FORBIDDEN_KEYS: frozenset[str] = frozenset({"__proto__", "constructor", "prototype"})

#: Integers beyond what every reader (JavaScript, Parquet BIGINT) holds exactly.
MAX_SAFE_INT = 2**53 - 1

_CLIENT_TIME_MAX = 64


@dataclass(frozen=True, slots=True)
class AuthContext:
    """Who sent the request, as the server established it (token claims)."""

    user_id: str | None = None
    room_id: str | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Shape limits of one event and the schema policy; defaults mirror the config."""

    max_depth: int = 4
    max_fields: int = 64
    max_string_length: int = 4096
    max_key_length: int = 128
    session_id_max_length: int = 128
    unknown_events: Policy = "reject"
    wrong_types: Policy = "reject"
    schema_version: int = 1
    source: str = "client-relay"


@dataclass(frozen=True, slots=True)
class Event:
    """A canonical event ready for scrubbing and the store; `flags` are schema notes
    kept when the policy is to accept and flag."""

    fields: dict[str, Any]
    flags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return str(self.fields["event"])


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one record was refused. `reason` is a stable code (a metrics label);
    `detail` names the field when there is one."""

    reason: str
    detail: str = ""

    def text(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


def check_shape(value: Any, limits: Limits) -> Rejection | None:
    """Depth, field count, string and key lengths, finite numbers in range, no
    prototype keys, no unpaired surrogates; None when the value fits.

    This runs on every event, so scalars are checked inline by exact type rather
    than through a recursive call each."""
    return _walk(value, 1, limits, [0], "event")


def _scalar(item: Any, limits: Limits, where: str) -> Rejection | None:
    kind = type(item)
    if kind is str:
        if len(item) > limits.max_string_length:
            return Rejection(
                "string_too_long", f"{where} over {limits.max_string_length} characters"
            )
        if not item.isascii() and not _encodable(item):
            return Rejection("invalid_unicode", f"string at {where}")
        return None
    if kind is int:
        if not -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
            return Rejection("number_out_of_range", where)
        return None
    if kind is float:
        return None if math.isfinite(item) else Rejection("number_out_of_range", where)
    if kind is bool or item is None:
        return None
    if isinstance(item, str | int | float):  # subclasses: judge like their base
        return _scalar(kind.__mro__[-2](item), limits, where)
    return Rejection("unsupported_value", kind.__name__)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_problem(key: str, max_key: int, where: str) -> Rejection | None:
    if key in FORBIDDEN_KEYS:
        return Rejection("forbidden_key", key)
    if not key:
        return Rejection("invalid_key", "empty key")
    if len(key) > max_key:
        return Rejection("key_too_long", f"more than {max_key}")
    if not key.isascii() and not _encodable(key):
        return Rejection("invalid_unicode", f"key at {where}")
    return None


def _walk(value: Any, depth: int, limits: Limits, count: list[int], where: str) -> Rejection | None:
    kind = type(value)
    if kind is dict:
        if depth > limits.max_depth:
            return Rejection("too_deep", f"more than {limits.max_depth} levels")
        count[0] += len(value)
        if count[0] > limits.max_fields:
            return Rejection("too_many_fields", f"more than {limits.max_fields}")
        max_key, max_str = limits.max_key_length, limits.max_string_length
        for key, item in value.items():
            if not 0 < len(key) <= max_key or key in FORBIDDEN_KEYS or not key.isascii():
                problem = _key_problem(key, max_key, where)
                if problem is not None:
                    return problem
            item_kind = type(item)
            if item_kind is str:  # the common case, inline
                if len(item) <= max_str and item.isascii():
                    continue
                problem = _scalar(item, limits, key)
            elif item_kind is dict or item_kind is list:
                problem = _walk(item, depth + 1, limits, count, key)
            else:
                problem = _scalar(item, limits, key)
            if problem is not None:
                return problem
        return None
    if kind is list:
        if depth > limits.max_depth:
            return Rejection("too_deep", f"more than {limits.max_depth} levels")
        count[0] += len(value)
        if count[0] > limits.max_fields:
            return Rejection("too_many_fields", f"more than {limits.max_fields}")
        for item in value:
            item_kind = type(item)
            if item_kind is dict or item_kind is list:
                problem = _walk(item, depth + 1, limits, count, where)
            else:
                problem = _scalar(item, limits, where)
            if problem is not None:
                return problem
        return None
    return _scalar(value, limits, where)


def type_matches(value: Any, expected: FieldType) -> bool:
    if expected is FieldType.STRING:
        return isinstance(value, str)
    if expected is FieldType.BOOLEAN:
        return isinstance(value, bool)
    if expected is FieldType.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is FieldType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is FieldType.OBJECT:
        return isinstance(value, dict)
    return isinstance(value, list)


#: Canonical fields a client may send, with the type each must have.
_CLIENT_CANONICAL: dict[str, tuple[type, ...]] = {
    "event_id": (str,),
    "session_id": (str,),
    "sent_at": (str, int, float),
    "client_ts": (str, int, float),
}

#: Keys of the body that never reach the output as they are.
_SKIPPED_KEYS: frozenset[str] = SERVER_SET_FIELDS | {"event", "client_ts"}

#: Exact types that satisfy each field type: parsed JSON holds only these, so one
#: set lookup settles the common case; anything else (subclasses, bools among
#: numbers) is judged by `type_matches`.
_EXACT_TYPES: dict[FieldType, frozenset[type]] = {
    FieldType.STRING: frozenset({str}),
    FieldType.BOOLEAN: frozenset({bool}),
    FieldType.INTEGER: frozenset({int}),
    FieldType.NUMBER: frozenset({int, float}),
    FieldType.OBJECT: frozenset({dict}),
    FieldType.ARRAY: frozenset({list}),
}


def normalize_client_event(
    raw: Any,
    *,
    catalog: Catalog,
    auth: AuthContext,
    received_ts: str,
    limits: Limits,
) -> Event | Rejection:
    """Turn one untrusted entry into a canonical event, or say why not.

    `received_ts` is the server time already formatted (ISO 8601 UTC, ms, `Z`):
    one clock reading per request, and formatting stays out of the pure core.
    """
    if not isinstance(raw, dict):
        return Rejection("not_an_object", type(raw).__name__)
    name = raw.get("event")
    if name is None:
        return Rejection("missing_event_name")
    if not isinstance(name, str) or not name or len(name) > 128:
        return Rejection("invalid_event_name", "event must be a string of 1 to 128 characters")
    if not name.isprintable():
        return Rejection("invalid_event_name", "event contains control characters")
    problem = check_shape(raw, limits)
    if problem is not None:
        return problem

    flags: list[str] = []
    spec = catalog.get(name)
    if spec is None:
        if limits.unknown_events == "reject":
            return Rejection("unknown_event", name)
        flags.append("unknown_event")
    elif spec.origin is Origin.SERVER:
        # A browser claiming to be the server would forge acks and joins.
        if limits.unknown_events == "reject":
            return Rejection("server_only_event", name)
        flags.append("server_only_event")

    client_time = raw.get("ts", raw.get("client_ts"))
    out: dict[str, Any] = {
        "ts": received_ts,
        "event": name,
        "source": limits.source,
        "v": limits.schema_version,
    }
    extra: dict[str, Any] = {}
    declared = spec.fields if spec is not None else None
    for key, value in raw.items():
        if key in _SKIPPED_KEYS:
            continue
        allowed = _CLIENT_CANONICAL.get(key)
        if allowed is not None:
            if isinstance(value, bool) or not isinstance(value, allowed):
                if limits.wrong_types == "reject":
                    return Rejection("wrong_type", key)
                flags.append(f"wrong_type:{key}")
                continue
            if key == "session_id":
                value = value[: limits.session_id_max_length]
            out[key] = value
            continue
        if declared:
            expected = declared.get(key)
            if (
                expected is not None
                and type(value) not in _EXACT_TYPES[expected]
                and not type_matches(value, expected)
            ):
                if limits.wrong_types == "reject":
                    return Rejection("wrong_type", key)
                flags.append(f"wrong_type:{key}")
        extra[key] = value
    if auth.user_id is not None:
        out["user_id"] = auth.user_id
    if auth.room_id is not None:
        out["room_id"] = auth.room_id
    if client_time is not None:
        if _valid_client_time(client_time):
            out["client_ts"] = client_time
        elif limits.wrong_types == "reject":
            return Rejection("wrong_type", "ts")
        else:
            flags.append("wrong_type:ts")
    out.update(extra)
    if flags:
        out["schema_flags"] = flags
    return Event(out, tuple(flags))


def _valid_client_time(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return 0 < len(value) <= _CLIENT_TIME_MAX
    return isinstance(value, int | float)


def parse_auth_claims(claims: Mapping[str, Any], user_claim: str, room_claim: str) -> AuthContext:
    """Identity from verified token claims; non-string claims are stringified."""
    user = claims.get(user_claim)
    room = claims.get(room_claim)
    return AuthContext(
        user_id=None if user is None else str(user)[:256],
        room_id=None if room is None else str(room)[:256],
    )
