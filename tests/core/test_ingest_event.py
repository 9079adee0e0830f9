"""Normalisation of one client event: the trust boundary and the shape limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slogate.core.catalog import Catalog, EventSpec, FieldType, Origin
from slogate.core.event import (
    AuthContext,
    Event,
    Limits,
    Rejection,
    check_shape,
    normalize_client_event,
    parse_auth_claims,
)

CATALOG = Catalog(
    events={
        "session_start": EventSpec("session_start", "hydra", Origin.CLIENT),
        "hydra_preset_eval_success": EventSpec(
            "hydra_preset_eval_success",
            "hydra",
            Origin.CLIENT,
            fields={"duration_ms": FieldType.NUMBER},
        ),
        "memory_health_sample": EventSpec(
            "memory_health_sample",
            "hydra",
            Origin.CLIENT,
            fields={"switch_count": FieldType.INTEGER, "ok": FieldType.BOOLEAN},
        ),
        "queue_cmd_ack": EventSpec("queue_cmd_ack", "queue", Origin.SERVER),
        "socket_disconnect": EventSpec("socket_disconnect", "socket", Origin.BOTH),
    }
)
TS = "2026-02-19T10:00:00.123Z"
AUTH = AuthContext(user_id="u-1", room_id="r-1")


def norm(raw: object, limits: Limits | None = None, auth: AuthContext = AUTH):
    return normalize_client_event(
        raw, catalog=CATALOG, auth=auth, received_ts=TS, limits=limits or Limits()
    )


def test_identity_source_version_and_time_come_from_the_server() -> None:
    out = norm(
        {
            "event": "session_start",
            "user_id": "attacker",
            "room_id": "other-room",
            "source": "server",
            "v": 99,
            "ts": "2020-01-01T00:00:00Z",
            "session_id": "s-1",
            "event_id": "6f1c2f0e-8a4b-4f57-9a1e-2b7c1f0a1234",
        }
    )
    assert isinstance(out, Event)
    assert out.fields["user_id"] == "u-1"
    assert out.fields["room_id"] == "r-1"
    assert out.fields["source"] == "client-relay"
    assert out.fields["v"] == 1
    assert out.fields["ts"] == TS
    assert out.fields["client_ts"] == "2020-01-01T00:00:00Z"
    assert list(out.fields)[:4] == ["ts", "event", "source", "v"]


def test_anonymous_events_carry_no_identity_even_when_the_client_sends_one() -> None:
    out = norm({"event": "session_start", "user_id": "u-9", "room_id": "r-9"}, auth=AuthContext())
    assert isinstance(out, Event)
    assert "user_id" not in out.fields and "room_id" not in out.fields


def test_session_id_is_cut_to_the_limit() -> None:
    out = norm({"event": "session_start", "session_id": "x" * 500})
    assert isinstance(out, Event)
    assert out.fields["session_id"] == "x" * 128
    short = norm({"event": "session_start", "session_id": "abc"}, Limits(session_id_max_length=2))
    assert isinstance(short, Event) and short.fields["session_id"] == "ab"


def test_client_time_from_client_ts_when_no_ts() -> None:
    out = norm({"event": "session_start", "client_ts": 1700000000000})
    assert isinstance(out, Event) and out.fields["client_ts"] == 1700000000000


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([1, 2], "not_an_object"),
        ("session_start", "not_an_object"),
        ({}, "missing_event_name"),
        ({"event": 3}, "invalid_event_name"),
        ({"event": ""}, "invalid_event_name"),
        ({"event": "x" * 129}, "invalid_event_name"),
        ({"event": "bad\nname"}, "invalid_event_name"),
        ({"event": "no_such_event"}, "unknown_event"),
        ({"event": "queue_cmd_ack"}, "server_only_event"),
        ({"event": "hydra_preset_eval_success", "duration_ms": "12"}, "wrong_type"),
        ({"event": "hydra_preset_eval_success", "duration_ms": True}, "wrong_type"),
        ({"event": "memory_health_sample", "switch_count": 1.5}, "wrong_type"),
        ({"event": "memory_health_sample", "ok": 1}, "wrong_type"),
        ({"event": "session_start", "session_id": 12}, "wrong_type"),
        ({"event": "session_start", "event_id": ["a"]}, "wrong_type"),
        ({"event": "session_start", "ts": {"a": 1}}, "wrong_type"),
        ({"event": "session_start", "ts": True}, "wrong_type"),
        ({"event": "session_start", "__proto__": {"admin": True}}, "forbidden_key"),
        ({"event": "session_start", "a": {"constructor": 1}}, "forbidden_key"),
        ({"event": "session_start", "a": {"b": {"c": {"d": {"e": 1}}}}}, "too_deep"),
        ({"event": "session_start", "a": [[[[1]]]]}, "too_deep"),
        ({"event": "session_start", "s": "x" * 5000}, "string_too_long"),
        ({"event": "session_start", "k" * 200: 1}, "key_too_long"),
        ({"event": "session_start", "": 1}, "invalid_key"),
        ({"event": "session_start", "n": 2**60}, "number_out_of_range"),
        ({"event": "session_start", "n": float("nan")}, "number_out_of_range"),
        ({"event": "session_start", "n": float("inf")}, "number_out_of_range"),
        ({"event": "session_start", "s": "\ud800"}, "invalid_unicode"),
        ({"event": "session_start", "\udfff": 1}, "invalid_unicode"),
        ({"event": "session_start", "o": object()}, "unsupported_value"),
    ],
)
def test_rejections_carry_a_reason_code(raw: object, reason: str) -> None:
    out = norm(raw)
    assert isinstance(out, Rejection), out
    assert out.reason == reason


def test_too_many_fields_counts_nested_keys_and_items() -> None:
    fields = {f"f{i}": i for i in range(63)}
    ok = norm({"event": "session_start", **{k: v for k, v in list(fields.items())[:62]}})
    assert isinstance(ok, Event)
    out = norm({"event": "session_start", "a": list(range(70))})
    assert isinstance(out, Rejection) and out.reason == "too_many_fields"


def test_flag_policy_keeps_unknown_and_mistyped_events_with_flags() -> None:
    limits = Limits(unknown_events="flag", wrong_types="flag")
    out = norm({"event": "brand_new", "x": 1}, limits)
    assert isinstance(out, Event)
    assert out.fields["schema_flags"] == ["unknown_event"]
    typed = norm(
        {"event": "hydra_preset_eval_success", "duration_ms": "slow", "session_id": 5}, limits
    )
    assert isinstance(typed, Event)
    assert set(typed.flags) == {"wrong_type:session_id", "wrong_type:duration_ms"}
    assert "session_id" not in typed.fields  # a canonical column never gets a bad type
    assert typed.fields["duration_ms"] == "slow"


def test_client_cannot_forge_schema_flags() -> None:
    out = norm({"event": "session_start", "schema_flags": []})
    assert isinstance(out, Event) and "schema_flags" not in out.fields


def test_both_origin_events_are_accepted_from_clients() -> None:
    assert isinstance(norm({"event": "socket_disconnect"}), Event)


def test_shape_limits_are_configurable() -> None:
    deep = {"event": "session_start", "a": {"b": {"c": {"d": {"e": 1}}}}}
    assert isinstance(norm(deep), Rejection)
    assert isinstance(norm(deep, Limits(max_depth=5)), Event)
    assert check_shape({"a": "x" * 20}, Limits(max_string_length=16)) == Rejection(
        "string_too_long", "a over 16 characters"
    )


def test_auth_claims_become_strings() -> None:
    auth = parse_auth_claims({"sub": 42, "room": "r"}, "sub", "room")
    assert auth == AuthContext(user_id="42", room_id="r")
    assert parse_auth_claims({}, "sub", "room") == AuthContext()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(
    st.dictionaries(st.text(max_size=10), json_values, max_size=8),
    st.sampled_from(["session_start", "hydra_preset_eval_success", "queue_cmd_ack", "zzz", 7]),
)
def test_any_input_gives_a_value_and_accepted_events_are_trusted(raw: dict, name: object) -> None:
    raw = {**raw, "event": name}
    out = norm(raw)
    assert isinstance(out, Event | Rejection)
    if isinstance(out, Event):
        assert out.fields["user_id"] == "u-1" and out.fields["source"] == "client-relay"
        assert out.fields["ts"] == TS and out.fields["v"] == 1
        assert check_shape(out.fields, Limits(max_depth=5, max_fields=200)) is None
