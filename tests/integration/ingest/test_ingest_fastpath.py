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

    trusted_before = fast.trusted_batches
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
    # Every bench batch went through the trusted batch path (ids and times checked once),
    # with an identity to add as well.
    assert fast.trusted_batches - trusted_before == len(docs)
    auth = AuthContext(user_id="u-1", room_id="r-1")
    for doc in docs[:4]:
        with_user = fast.batch(doc["events"], "2026-01-01T00:00:00.000Z", "u-1", "r-1")
        for raw, record in zip(doc["events"], with_user, strict=True):
            outcome = event_module.normalize_client_event(
                raw,
                catalog=catalog,
                auth=auth,
                received_ts="2026-01-01T00:00:00.000Z",
                limits=limits,
            )
            assert isinstance(outcome, Event) and record is not None
            kept, rest = pipeline_module.split_protected(outcome.fields, catalog)
            kept.update(scrub_event(rest))
            assert orjson.dumps(record) == orjson.dumps(kept)
    assert fast.trusted_batches - trusted_before == len(docs) + 4


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


# -- the trusted batch path: ids and times checked once per batch ------------------------

SESSIONS = [
    "8f3e1c2a-1b2c-4d3e-8f9a-0123456789ab",
    "8F3E1C2A-1B2C-4D3E-8F9A-0123456789AB",
]
GOOD_TIMES = [
    "2026-01-01T00:00:00.000Z",
    "2026-01-01T00:00:00.123456789+01:00",
    "2026-01-01 00:00:00",
]
BAD_COMMON = st.one_of(
    json_scalars,
    st.sampled_from(
        [
            "yesterday",
            "",
            "\u0662\u0660\u0662\u0666-01-01T00:00:00Z",  # ISO-shaped, non-ASCII digits
            "8f3e1c2a-1b2c-4d3e-8f9a-0123456789ab" + "0" * 100,  # a UUID then more
            "8f3e1c2a-1b2c-4d3e-8f9a-0123456789aG",
            "2026-01-01T00:00:00.000Z" + "0" * 60,  # longer than a client time may be
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
COMMON_KEYS = ["event_id", "session_id", "ts", "client_ts", "sent_at"]


@st.composite
def sdk_batches(draw: st.DrawFn) -> list[Any]:
    """Batches as the SDK sends them (UUID ids, ISO times, one session), with now and
    then one common field spoilt, an extra server-set key, or an entry that is not
    an object: each of those must send the batch entry by entry."""
    session = draw(st.sampled_from(SESSIONS))
    batch: list[Any] = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        keys = draw(st.lists(st.sampled_from(COMMON_KEYS[:3] + COMMON_KEYS[4:]), unique=True))
        at = draw(st.integers(min_value=0, max_value=len(keys)))
        keys.insert(at, "event")
        raw: dict[str, Any] = {}
        for key in keys:
            if key == "event":
                raw[key] = draw(st.sampled_from(["typed", "plain"]))
            elif key == "event_id":
                raw[key] = str(draw(st.uuids()))
            elif key == "session_id":
                raw[key] = session
            else:
                raw[key] = draw(st.sampled_from(GOOD_TIMES))
        extras = draw(
            st.dictionaries(
                st.sampled_from(["s", "i", "n", "b", "o", "x", "note"]), fast_values, max_size=3
            )
        )
        raw.update((k, v) for k, v in extras.items() if k not in raw)
        batch.append(raw)
    spoil = draw(st.integers(min_value=0, max_value=11))
    where = draw(st.integers(min_value=0, max_value=len(batch) - 1))
    if spoil == 0:
        batch[where][draw(st.sampled_from(COMMON_KEYS))] = draw(BAD_COMMON)
    elif spoil == 1:
        batch[where][draw(st.sampled_from(["user_id", "v", "source"]))] = "x"
    elif spoil == 2:
        batch[where] = draw(st.one_of(json_scalars, st.lists(st.integers(), max_size=2)))
    elif spoil == 3:  # a client time under its other name: that shape goes entry by entry
        batch[where]["client_ts"] = draw(st.sampled_from(GOOD_TIMES))
    return batch


trusted_limits = st.builds(
    Limits,
    max_string_length=st.sampled_from([4096, 4096, 4096, 64, 63, 40]),
    session_id_max_length=st.sampled_from([128, 128, 128, 36, 35]),
    unknown_events=st.sampled_from(["reject", "flag"]),
    wrong_types=st.sampled_from(["reject", "flag"]),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sdk_batches(), trusted_limits, auths)
def test_trusted_batches_store_what_the_reference_path_stores(
    raws: list[Any], limits: Limits, auth: AuthContext
) -> None:
    from slogate.ingest.fastpath import FastNormaliser

    fast = FastNormaliser(CATALOG, limits, compile_after=1)
    fast.batch(raws, "2026-01-01T00:00:00.000Z", None, None)  # compiles the shapes
    for _ in range(2):  # the second round answers from the batch check's time verdicts
        before = fast.trusted_batches
        records = fast.batch(raws, "2026-01-01T00:00:00.000Z", auth.user_id, auth.room_id)
        for raw, record in zip(raws, records, strict=True):
            want = reference_record(raw, auth, limits)
            if record is None:
                continue  # left to the reference path
            assert want is not None, "the fast path accepted what the reference rejects"
            assert repr(list(record.items())) == repr(list(want.items()))
            assert orjson.dumps(record) == orjson.dumps(want)
        if fast.trusted_batches > before:
            # Taken only when every entry had a trusted shape and protected ids and times.
            assert limits.max_string_length >= 64 and limits.session_id_max_length >= 36
            assert all(type(raw) is dict for raw in raws)
            for raw in raws:
                assert not {"user_id", "v", "source"} & raw.keys()
                assert all(
                    type(raw[k]) is str and pipeline_module._is_iso_time(raw[k])
                    for k in ("ts", "client_ts", "sent_at")
                    if k in raw
                )


def test_trusted_batches_are_taken_and_odd_ones_are_not() -> None:
    from slogate.ingest.fastpath import FastNormaliser

    fast = FastNormaliser(CATALOG, Limits(), compile_after=1)
    good = [
        {
            "event_id": "8f3e1c2a-1b2c-4d3e-8f9a-0123456789ab",
            "session_id": SESSIONS[0],
            "ts": GOOD_TIMES[0],
            "sent_at": GOOD_TIMES[1],
            "event": "typed",
            "s": "contact jane.doe@example.com",
            "n": 1.5,
        },
        {"event": "plain", "session_id": SESSIONS[0], "x": 4111111111111111},
    ]
    fast.batch(good, "2026-01-01T00:00:00.000Z", None, None)
    first = fast.batch(good, "2026-01-01T00:00:00.000Z", None, None)
    assert fast.trusted_batches == 1
    for raw, record in zip(good, first, strict=True):
        want = reference_record(raw, AuthContext(), Limits())
        assert record is not None and want is not None
        assert repr(list(record.items())) == repr(list(want.items()))
    assert first[0] is not None and first[0]["s"] != good[0]["s"]  # scrubbed
    assert first[1] is not None and first[1]["x"] != good[1]["x"]  # card-like number
    odd_values: list[tuple[str, Any]] = [
        ("event_id", "8f3e1c2a-1b2c-4d3e-8f9a-0123456789aG"),
        ("event_id", ["x"]),
        ("session_id", "s-1"),
        ("ts", "yesterday"),
        ("ts", None),
        ("sent_at", 1700000000),
        ("ts", "\u0662\u0660\u0662\u0666-01-01T00:00:00Z"),
    ]
    for key, value in odd_values:
        batch = [dict(good[0], **{key: value}), good[1]]
        fast.batch(batch, "2026-01-01T00:00:00.000Z", None, None)  # compile if new
        records = fast.batch(batch, "2026-01-01T00:00:00.000Z", None, None)
        assert fast.trusted_batches == 1, (key, value)
        for raw, record in zip(batch, records, strict=True):
            if record is not None:
                want = reference_record(raw, AuthContext(), Limits())
                assert want is not None
                assert repr(list(record.items())) == repr(list(want.items()))
    for batch in ([good[0], 5], [good[0], {"event": ["typed"]}]):
        fast.batch(batch, "2026-01-01T00:00:00.000Z", None, None)
        assert fast.trusted_batches == 1
    # An identity to add takes the trusted path too, and is scrubbed like the rest.
    auth = AuthContext(user_id="jane@x.com", room_id="r")
    records = fast.batch(good, "2026-01-01T00:00:00.000Z", auth.user_id, auth.room_id)
    assert fast.trusted_batches == 2
    for raw, record in zip(good, records, strict=True):
        want = reference_record(raw, auth, Limits())
        assert record is not None and want is not None
        assert repr(list(record.items())) == repr(list(want.items()))
        assert record["user_id"] != "jane@x.com"


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            uuids,
            uuids.map(str.upper),
            st.sampled_from(
                [
                    "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaa",  # 35: with the next, two aligned
                    "aaaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",  # 37: UUID-shaped slices
                    "8f3e1c2a-1b2c-4d3e-8f9a-0123456789aG",
                    "8f3e1c2a-1b2c-4d3e-8f9a-0123456789a\u0661",
                    "8f3e1c2a-1b2c-4d3e-8f9a0-123456789ab",
                    "8f3e1c2a-1b2c-4d3e-8f9a-0123-56789ab",
                    "",
                ]
            ),
            st.text(alphabet="0123456789abcdefABCDEFG-\u0661", min_size=34, max_size=38),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_all_uuids_judges_as_one_check_per_id(ids: list[str]) -> None:
    from slogate.ingest.fastpath import _all_uuids
    from slogate.ingest.shapes import is_unique_uuid

    assert _all_uuids(ids) == all(is_unique_uuid(i) for i in ids)
    assert _all_uuids(ids[:1] * 3) == is_unique_uuid(ids[0])
    # Lengths 35 and 37 whose joined text has two UUID-shaped 36-character slices.
    assert not _all_uuids(
        ["a" * 8 + "-aaaa-aaaa-aaaa-" + "a" * 11, "a" * 9 + "-aaaa-aaaa-aaaa-" + "a" * 12]
    )
