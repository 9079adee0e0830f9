"""Ingest fast paths answer exactly as the reference paths: `parse_json` (orjson
when the body is orjson's own spelling) against `parse_json_strict`, on bench
batches, the bad-input shapes and hypothesis-generated documents and bytes."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slogate.core import event as event_module
from slogate.core.catalog import Catalog, EventSpec, FieldType, Origin
from slogate.core.event import AuthContext, Event, Limits, Rejection
from slogate.ingest import pipeline as pipeline_module
from slogate.ingest.body import parse_json, parse_json_strict
from slogate.ingest.errors import ApiError


def outcome(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        # repr tells 1 from 1.0 from True and -0.0 from 0.0.
        return "ok", repr(parse(body))
    except ApiError as exc:
        return "error", (exc.status, exc.code, exc.detail)


def same(body: bytes) -> None:
    assert outcome(parse_json, body) == outcome(parse_json_strict, body)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)

SHAPES: list[bytes] = [
    b'{"events":[{"event":"a","x":1}]}',
    b'{"events":[{"event":"a","x":1,"x":2}]}',  # duplicate key
    b'{"events":[{"event":"a","x":NaN}]}',
    b'{"events":[{"event":"a","x":Infinity}]}',
    b'{"events":[{"event":"a","x":1e400}]}',
    b'{"events":[{"event":"a","x":-0}]}',
    b'{"events":[{"event":"a","x":-0.0}]}',
    b'{"events":[{"event":"a","x":1E5}]}',
    b'{"events":[{"event":"a","x":123456789012345678901234567890}]}',
    b'{"events":[{"event":"a","x":"\\ud800"}]}',  # lone surrogate escape
    b'{"events":[{"event":"a","x":"\\u00e9\\/"}]}',
    b'{"events":[{"event":"\xff\xfe"}]}',  # invalid UTF-8
    b'{"events":[{"event":"caf\xc3\xa9"}]}',
    b' {"events":[]} ',
    b'{"events":[',
    b'\xef\xbb\xbf{"events":[]}',  # BOM
    b"[" * 5000 + b"]" * 5000,
    b"null",
    b'"text"',
    b'{"__proto__":{"x":1}}',
    b"",
]


@pytest.mark.parametrize("body", SHAPES)
def test_bad_and_odd_shapes_answer_like_the_strict_parser(body: bytes) -> None:
    same(body)


def test_bench_batches_take_the_fast_path_and_match() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "bench" / "ingest.py"
    spec = importlib.util.spec_from_file_location("bench_ingest", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for body in bench.make_bodies(8):
        same(body)
        assert orjson.dumps(orjson.loads(body)) == body  # the fast path is really taken


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_generated_documents_in_every_spelling(value: Any) -> None:
    same(orjson.dumps(value) if _orjson_can(value) else json.dumps(value).encode())
    same(json.dumps(value).encode())
    same(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    same(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace"))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_generated_bytes(body: bytes) -> None:
    same(body)
    same(b'{"events":[' + body + b"]}")


def _orjson_can(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return False
    return True


# -- normalisation and the protected-field split against the reference versions ----------


def reference_normalize(
    raw: Any, *, catalog: Catalog, auth: AuthContext, received_ts: str, limits: Limits
) -> Event | Rejection:
    """`normalize_client_event` as it was before the exact-type fast path."""
    if not isinstance(raw, dict):
        return Rejection("not_an_object", type(raw).__name__)
    name = raw.get("event")
    if name is None:
        return Rejection("missing_event_name")
    if not isinstance(name, str) or not name or len(name) > 128:
        return Rejection("invalid_event_name", "event must be a string of 1 to 128 characters")
    if not name.isprintable():
        return Rejection("invalid_event_name", "event contains control characters")
    problem = event_module.check_shape(raw, limits)
    if problem is not None:
        return problem
    flags: list[str] = []
    spec = catalog.get(name)
    if spec is None:
        if limits.unknown_events == "reject":
            return Rejection("unknown_event", name)
        flags.append("unknown_event")
    elif spec.origin is Origin.SERVER:
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
    for key, value in raw.items():
        if key == "event" or key in event_module.SERVER_SET_FIELDS or key == "client_ts":
            continue
        allowed = event_module._CLIENT_CANONICAL.get(key)
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
        expected = spec.fields.get(key) if spec is not None else None
        if expected is not None and not event_module.type_matches(value, expected):
            if limits.wrong_types == "reject":
                return Rejection("wrong_type", key)
            flags.append(f"wrong_type:{key}")
        extra[key] = value
    if auth.user_id is not None:
        out["user_id"] = auth.user_id
    if auth.room_id is not None:
        out["room_id"] = auth.room_id
    if client_time is not None:
        if event_module._valid_client_time(client_time):
            out["client_ts"] = client_time
        elif limits.wrong_types == "reject":
            return Rejection("wrong_type", "ts")
        else:
            flags.append("wrong_type:ts")
    out.update(extra)
    if flags:
        out["schema_flags"] = flags
    return Event(out, tuple(flags))


def reference_split(
    fields: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`split_protected` as it was before its shape-verdict cache."""
    kept: dict[str, Any] = {}
    for key in ("ts", "source", "v"):
        if key in fields:
            kept[key] = fields[key]
    name = fields.get("event")
    if name in catalog:
        kept["event"] = name
    for key in ("event_id", "session_id"):
        value = fields.get(key)
        if type(value) is str and len(value) == 36 and pipeline_module._UUID.fullmatch(value):
            kept[key] = value
    for key in ("client_ts", "sent_at"):
        value = fields.get(key)
        if value is None:
            continue
        kind = type(value)
        if (
            kind is int
            or kind is float
            or (kind is str and pipeline_module._ISO_TIME.fullmatch(value))
        ):
            kept[key] = value
    return kept, {k: v for k, v in fields.items() if k not in kept}


CATALOG = Catalog(
    events={
        "typed": EventSpec(
            "typed",
            "f",
            Origin.CLIENT,
            fields={
                "s": FieldType.STRING,
                "i": FieldType.INTEGER,
                "n": FieldType.NUMBER,
                "b": FieldType.BOOLEAN,
                "o": FieldType.OBJECT,
                "a": FieldType.ARRAY,
            },
        ),
        "plain": EventSpec("plain", "f", Origin.CLIENT),
        "server_side": EventSpec("server_side", "f", Origin.SERVER),
    }
)
field_names = st.sampled_from(
    [
        "s",
        "i",
        "n",
        "b",
        "o",
        "a",
        "x",
        "ts",
        "client_ts",
        "sent_at",
        "event_id",
        "session_id",
        "user_id",
        "v",
        "source",
        "schema_flags",
    ]
)
uuids = st.uuids().map(str)
times = st.sampled_from(["2026-01-01T00:00:00.000Z", "2026-01-01 00:00:00", "yesterday", ""])
field_values = st.one_of(
    json_scalars,
    uuids,
    times,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
raw_events = st.builds(
    lambda name, body: {"event": name, **body} if name is not None else body,
    st.sampled_from(["typed", "plain", "server_side", "unknown", None]),
    st.dictionaries(field_names, field_values, max_size=8),
)
policies = st.builds(
    Limits,
    unknown_events=st.sampled_from(["reject", "flag"]),
    wrong_types=st.sampled_from(["reject", "flag"]),
)


def _event_outcome(result: Event | Rejection) -> Any:
    if isinstance(result, Event):
        return ("event", repr(list(result.fields.items())), result.flags)
    return ("rejection", result.reason, result.detail)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_events, min_size=1, max_size=6), policies)
def test_normalise_and_split_equal_reference(raws: list[Any], limits: Limits) -> None:
    auth = AuthContext(user_id="u", room_id=None)
    for _ in range(2):  # the second round answers from the verdict caches
        for raw in raws:
            got = event_module.normalize_client_event(
                raw,
                catalog=CATALOG,
                auth=auth,
                received_ts="2026-01-01T00:00:00.000Z",
                limits=limits,
            )
            want = reference_normalize(
                raw,
                catalog=CATALOG,
                auth=auth,
                received_ts="2026-01-01T00:00:00.000Z",
                limits=limits,
            )
            assert _event_outcome(got) == _event_outcome(want)
            if isinstance(got, Event):
                kept, rest = pipeline_module.split_protected(got.fields, CATALOG)
                ref_kept, ref_rest = reference_split(got.fields, CATALOG)
                assert repr(list(kept.items())) == repr(list(ref_kept.items()))
                assert repr(list(rest.items())) == repr(list(ref_rest.items()))


# -- the compiled shapes (FastNormaliser) against the reference path ----------------------

PII_VALUES = [
    "jane.doe@example.com",
    "call +1 415 555 0132",
    "card 4111 1111 1111 1111",
    "8f3e1c2a-1b2c-4d3e-8f9a-0123456789ab+14155550132",
    "jane%40example.com",
    "x" * 5000,  # over the default string cap
    "caf\u00e9",
]
fast_values = st.one_of(
    json_scalars,
    uuids,
    times,
    st.sampled_from(PII_VALUES),
    st.integers(min_value=4111111111111100, max_value=4111111111111119),  # card-like
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
fast_keys = st.one_of(
    field_names,
    st.sampled_from(["note", "password", "jane@example.com", "__proto__", "", "client_ts"]),
)
fast_events = st.builds(
    lambda name, body: {"event": name, **body} if name is not None else body,
    st.sampled_from(["typed", "plain", "server_side", "unknown", None]),
    st.dictionaries(fast_keys, fast_values, max_size=8),
)
auths = st.sampled_from(
    [AuthContext(), AuthContext(user_id="u-1"), AuthContext(user_id="jane@x.com", room_id="r")]
)


def reference_record(raw: Any, auth: AuthContext, limits: Limits) -> dict[str, Any] | None:
    """What the reference path stores for `raw` (None: it is rejected)."""
    from slogate.privacy import scrub_event

    outcome = event_module.normalize_client_event(
        raw, catalog=CATALOG, auth=auth, received_ts="2026-01-01T00:00:00.000Z", limits=limits
    )
    if not isinstance(outcome, Event):
        return None
    kept, rest = pipeline_module.split_protected(outcome.fields, CATALOG)
    kept.update(scrub_event(rest))
    return kept


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fast_events, min_size=1, max_size=8), auths, policies)
def test_compiled_shapes_store_what_the_reference_path_stores(
    raws: list[Any], auth: AuthContext, limits: Limits
) -> None:
    from slogate.ingest.fastpath import FastNormaliser

    fast = FastNormaliser(CATALOG, limits, compile_after=1)
    for _ in range(2):  # compiled on the first sighting; the second round reuses them
        records = fast.batch(raws, "2026-01-01T00:00:00.000Z", auth.user_id, auth.room_id)
        for raw, record in zip(raws, records, strict=True):
            if record is None:
                continue  # left to the reference path
            want = reference_record(raw, auth, limits)
            assert want is not None, "the fast path accepted what the reference rejects"
            assert repr(list(record.items())) == repr(list(want.items()))
            assert orjson.dumps(record) == orjson.dumps(want)


def test_bench_batches_take_the_compiled_shapes() -> None:
    import importlib.util
    from pathlib import Path

    from slogate.config.load import load_config
    from slogate.ingest.fastpath import FastNormaliser

    root = Path(__file__).resolve().parents[3]
    spec = importlib.util.spec_from_file_location("bench_ingest", root / "bench" / "ingest.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    config = load_config(bench.EXAMPLE).config
    catalog, limits = config.catalog(), pipeline_module.limits_of(config.ingest)
    fast = FastNormaliser(catalog, limits)
    docs = [orjson.loads(b) for b in bench.make_bodies(16)]
    for _ in range(fast.compile_after):
        for doc in docs:
            fast.batch(doc["events"], "2026-01-01T00:00:00.000Z", None, None)
    from slogate.privacy import scrub_event

    for doc in docs:
        records = fast.batch(doc["events"], "2026-01-01T00:00:00.000Z", None, None)
        assert all(r is not None for r in records)
        for raw, record in zip(doc["events"], records, strict=True):
            outcome = event_module.normalize_client_event(
                raw,
                catalog=catalog,
                auth=AuthContext(),
                received_ts="2026-01-01T00:00:00.000Z",
                limits=limits,
            )
            assert isinstance(outcome, Event)
            kept, rest = pipeline_module.split_protected(outcome.fields, catalog)
            kept.update(scrub_event(rest))
            assert orjson.dumps(record) == orjson.dumps(kept)


def test_shapes_and_sightings_stay_bounded() -> None:
    from slogate.ingest.fastpath import FastNormaliser

    fast = FastNormaliser(CATALOG, Limits(), compile_after=2, max_shapes=8)
    answers = []
    for i in range(200):  # a client making up keys
        raw = {"event": "plain", f"k{i}": 1}
        answers.append([fast.batch([raw], "2026-01-01T00:00:00.000Z", None, None)[0] for _ in "xy"])
    # The first 8 shapes are compiled at their second sighting; later ones never are.
    assert all(first is None and second is not None for first, second in answers[:8])
    assert all(first is None and second is None for first, second in answers[8:])
    assert len(fast.shapes) == 8
    assert len(fast._seen) <= 4 * 8
