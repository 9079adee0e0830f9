"""Compiled normalisation of common events: one generated function per event shape.

The reference path (`normalize_client_event`, then `split_protected`, then
`scrub_event`) walks every field through generic checks, three times over. Most
events of a service repeat a handful of shapes: the same event name with the
same keys in the same order, scalar values only. For such a shape, seen a few
times, one Python function is generated from the catalog that checks exactly
what the reference path would check (types, string lengths, ASCII, integer
range, client time) and builds the stored record directly, in the reference
path's key order: the protected fields (server fields, the name, UUID ids, ISO
times) first, then the rest with every string value queued for the batch
scrubber (`slogate.privacy.scrub_texts`).

Anything the generated code was not built for returns None and that entry goes
through the reference path: a value of another type, a nested object or array,
a non-ASCII or over-long string, an integer out of range, a bad client time.
Shapes whose keys are sensitive, would be changed by the scrubber, or are
invalid are never compiled. The parity tests
(`tests/integration/ingest/test_ingest_fastpath.py`) hold the two paths equal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from operator import call
from typing import Any

from slogate.core.catalog import Catalog, FieldType, Origin
from slogate.core.event import FORBIDDEN_KEYS, MAX_SAFE_INT, SERVER_SET_FIELDS, Limits
from slogate.ingest import shapes as _shapes
from slogate.privacy import is_sensitive_key, scrub_int, scrub_text, scrub_texts

#: (raw event, received ts, user id, room id, strings to scrub, their slots) -> record
ShapeFn = Callable[
    [dict[str, Any], str, Any, Any, list[str], list[tuple[dict[str, Any], str]]],
    "dict[str, Any] | None",
]

_SMALL_INT = 10**12  # below 13 digits no int can be a card number: no scrub needed
_CANONICAL = ("event_id", "session_id", "sent_at")
_PASSIVE = SERVER_SET_FIELDS | {"event", "client_ts"}  # checked, never copied as they are
_REST_KEYS = ("event_id", "session_id", "sent_at", "user_id", "room_id", "client_ts")
_CLIENT_TIME_MAX = 64

#: (raw event, received ts, strings to scrub, their slots) -> record, for a batch whose
#: ids and times were checked as a whole (see `FastNormaliser._trusted_batch`); and the
#: same with the identity to add: (raw event, received ts, user id, room id, ...).
TrustedFn = Callable[
    [dict[str, Any], str, list[str], list[tuple[dict[str, Any], str]]],
    "dict[str, Any] | None",
]
TrustedIdFn = ShapeFn

#: Keys a trusted shape may hold besides its declared or free fields: the ones the
#: batch check covers. Any other server-set key keeps the shape on the per-event path.
_TRUSTED_KEYS = frozenset({"event", "event_id", "session_id", "sent_at", "ts"})
#: Stand-ins for a key an entry lacks: they pass the batch check and are never read.
_UUID0 = "00000000-0000-0000-0000-000000000000"
_ISO0 = "2026-01-01T00:00:00.000Z"
_TIME_CACHE_MAX = 4096
_HEX = b"0123456789abcdefABCDEF"


class FastNormaliser:
    """Generated per-shape normalisers for one catalog and one set of limits.

    A shape is (event name, keys in order). It is compiled after `compile_after`
    sightings, so one-off shapes (or a client making up keys) cost no code
    generation; at most `max_shapes` are compiled, and sightings are counted in a
    bounded table, so memory stays flat whatever clients send."""

    def __init__(
        self,
        catalog: Catalog,
        limits: Limits,
        *,
        compile_after: int = 4,
        max_shapes: int = 512,
    ) -> None:
        self.catalog = catalog
        self.limits = limits
        self.compile_after = compile_after
        self.max_shapes = max_shapes
        self.shapes: dict[tuple[str, tuple[str, ...]], ShapeFn | None] = {}
        self.trusted: dict[tuple[str, tuple[str, ...]], TrustedFn] = {}
        self.trusted_id: dict[tuple[str, tuple[str, ...]], TrustedIdFn] = {}
        self.trusted_batches = 0  # batches that took the trusted path (tests assert it)
        self._seen: dict[tuple[str, tuple[str, ...]], int] = {}
        self._good_times: dict[str, bool] = {}
        self._names = frozenset(
            name
            for name, spec in catalog.events.items()
            if spec.origin is not Origin.SERVER and _plain_name(name, limits)
        )
        # The fixed keys of the scrubbed part must come out of the scrubber as they are.
        self.enabled = limits.max_depth >= 1 and all(_clean_key(k) for k in _REST_KEYS)

    def batch(
        self, entries: Sequence[Any], received: str, user_id: Any, room_id: Any
    ) -> list[dict[str, Any] | None]:
        """The stored record of each entry, scrubbed, or None where the reference path
        must judge the entry (anything the compiled shapes do not cover)."""
        strings: list[str] = []  # string values of the records, scrubbed together
        slots: list[tuple[dict[str, Any], str]] = []  # where each of them goes
        out: list[dict[str, Any] | None] | None = None
        if self.trusted:
            out = self._trusted_batch(entries, received, user_id, room_id, strings, slots)
        if out is None:
            out = self._each(entries, received, user_id, room_id, strings, slots)
        if strings:
            for (record, key), before, after in zip(
                slots, strings, scrub_texts(strings), strict=True
            ):
                if after is not before:
                    record[key] = after
        return out

    def _trusted_batch(
        self,
        entries: Sequence[Any],
        received: str,
        user_id: Any,
        room_id: Any,
        strings: list[str],
        slots: list[tuple[dict[str, Any], str]],
    ) -> list[dict[str, Any] | None] | None:
        """The records of a batch whose every entry has a trusted shape and whose ids and
        times are all of the protected kind, else None (nothing queued then).

        What each compiled shape checks per entry, for `event_id`, `session_id`, `ts`
        and `sent_at`, is checked here once for the whole batch with a few
        calls that loop in C: every event id is a UUID, every distinct session id is
        one, every distinct `ts` and `sent_at` is an ASCII ISO time of at most 64
        characters. Then
        each entry's trusted function only checks its other fields and builds the
        record that its compiled shape builds for such ids and times (one dict display
        without an identity to add). Anything else (a shape not compiled yet, an entry
        that is not an object, one odd id or time) and the batch goes entry by entry,
        as before."""
        anonymous = user_id is None and room_id is None
        table: dict[tuple[str, tuple[str, ...]], Any] = (
            self.trusted if anonymous else self.trusted_id
        )
        get = dict.get
        try:
            names = map(get, entries, repeat("event"))
            fns = list(map(table.get, zip(names, map(tuple, entries), strict=True)))
            if not fns or None in fns:
                return None
            ids = list(map(get, entries, repeat("event_id"), repeat(_UUID0)))
            if not _all_uuids(ids):
                return None
            for sid in set(map(get, entries, repeat("session_id"), repeat(_UUID0))):
                if type(sid) is not str or not _shapes.is_uuid(sid):
                    return None
            good = self._good_times
            for key in ("ts", "sent_at"):
                times = set(map(get, entries, repeat(key), repeat(_ISO0)))
                if not all(map(good.get, times)) and not self._learn_times(times):
                    return None
        except TypeError:  # an entry that is not an object, an unhashable id or time
            return None
        self.trusted_batches += 1
        if anonymous:
            return list(map(call, fns, entries, repeat(received), repeat(strings), repeat(slots)))
        identity = (repeat(received), repeat(user_id), repeat(room_id))
        return list(map(call, fns, entries, *identity, repeat(strings), repeat(slots)))

    def _learn_times(self, times: set[Any]) -> bool:
        """Judge and remember times the batch check has not seen: True when all are
        ASCII ISO times of at most 64 characters (kept as they are, never scrubbed)."""
        good = self._good_times
        for value in times:
            verdict = good.get(value)
            if verdict is None:
                if type(value) is not str:
                    return False
                verdict = (
                    0 < len(value) <= _CLIENT_TIME_MAX
                    and value.isascii()
                    and _shapes.is_iso_time(value)
                )
                if len(good) >= _TIME_CACHE_MAX:
                    good.clear()  # bounded: start over rather than grow
                good[value] = verdict
            if not verdict:
                return False
        return True

    def _each(
        self,
        entries: Sequence[Any],
        received: str,
        user_id: Any,
        room_id: Any,
        strings: list[str],
        slots: list[tuple[dict[str, Any], str]],
    ) -> list[dict[str, Any] | None]:
        """Entry by entry: each entry's shape, learned or compiled on the way."""
        shapes = self.shapes
        out: list[dict[str, Any] | None] = []
        for raw in entries:
            record = None
            if type(raw) is dict:
                name = raw.get("event")
                if type(name) is str:
                    shape = (name, tuple(raw))
                    fn = shapes.get(shape)
                    if fn is None:
                        fn = self._learn(shape)
                    if fn is not None:
                        mark = len(strings)
                        record = fn(raw, received, user_id, room_id, strings, slots)
                        if record is None:
                            del strings[mark:], slots[mark:]
            out.append(record)
        return out

    def _learn(self, shape: tuple[str, tuple[str, ...]]) -> ShapeFn | None:
        if not self.enabled or shape[0] not in self._names or shape in self.shapes:
            return None  # not compilable (a None entry says so)
        seen = self._seen.get(shape, 0) + 1
        if seen < self.compile_after:
            if len(self._seen) >= 4 * self.max_shapes:
                self._seen.clear()  # bounded: forget sightings rather than grow
            self._seen[shape] = seen
            return None
        self._seen.pop(shape, None)
        if len(self.shapes) >= self.max_shapes:
            return None
        compiled = compile_shapes(shape[0], shape[1], self.catalog, self.limits)
        fn, trusted = compiled if compiled is not None else (None, None)
        self.shapes[shape] = fn
        if trusted is not None:
            self.trusted[shape], self.trusted_id[shape] = trusted
        return fn


def _all_uuids(ids: list[Any]) -> bool:
    """Every item is a UUID string (`_shapes.is_unique_uuid`), judged in a few calls
    that loop in C: all 36 characters long (so item k is exactly the k-th 36-character
    slice of the joined text), dashes at 8, 13, 18 and 23 of every slice, and nothing
    but those dashes and ASCII hex digits in it. Raises TypeError for a non-string."""
    n = len(ids)
    if set(map(len, ids)) != {36}:
        return False
    text = "".join(ids)
    dashes = "-" * n
    return (
        text.isascii()
        and text[8::36] == dashes
        and text[13::36] == dashes
        and text[18::36] == dashes
        and text[23::36] == dashes
        and text.encode().translate(None, _HEX) == b"-" * (4 * n)
    )


def _plain_name(name: str, limits: Limits) -> bool:
    """A name the reference path accepts as it is (and a plain ASCII string)."""
    return (
        0 < len(name) <= min(128, limits.max_string_length)
        and name.isascii()
        and name.isprintable()
    )


def _clean_key(key: str) -> bool:
    """The scrubber leaves this key and its value's treatment alone."""
    return not is_sensitive_key(key) and scrub_text(key) == key


def _valid_key(key: str, limits: Limits) -> bool:
    return 0 < len(key) <= limits.max_key_length and key.isascii() and key not in FORBIDDEN_KEYS


def compile_shape(
    name: str, keys: Sequence[str], catalog: Catalog, limits: Limits
) -> ShapeFn | None:
    """The per-entry normaliser of one shape (see `compile_shapes`), or None."""
    compiled = compile_shapes(name, keys, catalog, limits)
    return compiled[0] if compiled is not None else None


def compile_shapes(
    name: str, keys: Sequence[str], catalog: Catalog, limits: Limits
) -> tuple[ShapeFn, tuple[TrustedFn, TrustedIdFn] | None] | None:
    """Generate the normaliser of one shape, or None when the shape has anything
    the generated code does not cover (the reference path handles those); with it,
    the shape's trusted normaliser when the shape can have one.

    The function checks each value as `check_shape` and `normalize_client_event`
    would (returning None wherever they would not pass it through unchanged),
    decides which ids and times are protected as `split_protected` does, and
    builds the record in the reference order; when every id and time is protected
    and there is no identity to add (the common case) that is one dict display.

    The trusted normalisers (without and with an identity to add) are for batches
    whose ids and times `FastNormaliser._trusted_batch` has checked as a whole: they
    check the shape's other fields as the normaliser does and build the record it
    builds when every id and time is protected. Shapes
    with any other server-set key have none, and none are made when the limits could
    cut or refuse a UUID or an ISO time (`max_string_length` under 64,
    `session_id_max_length` under 36).

    Keys come from clients: they enter the generated source only as `repr()`
    literals (variables are named `v0`, `v1`...), so no key can inject code."""
    spec = catalog.get(name)
    if (
        spec is None
        or spec.origin is Origin.SERVER
        or not _plain_name(name, limits)
        or len(keys) > limits.max_fields
        or len(set(keys)) != len(keys)
        or limits.max_depth < 1
    ):
        return None
    code = _Code(limits)
    var = {key: f"v{i}" for i, key in enumerate(keys)}
    extras: list[tuple[str, str]] = []  # (key, kind) in raw order
    for key in keys:
        if not _valid_key(key, limits):
            return None
        if key in _PASSIVE or key in _CANONICAL:
            continue
        expected = spec.fields.get(key)
        if expected is not None and expected not in _KINDS:
            return None  # objects and arrays: the reference walk
        if not _clean_key(key):
            return None
        extras.append((key, _KINDS[expected] if expected is not None else "any"))
    kinds = dict(extras)

    code.line("def shape(raw, received, user_id, room_id, strs, slots):")
    code.indent()
    if keys:
        code.line(f"({', '.join(var[k] for k in keys)},) = raw.values()")
    # 1. Values, as check_shape and the catalog's types judge them.
    for key in keys:
        v = var[key]
        if key == "event":
            continue  # the name: checked when the shape was chosen
        if key in ("event_id", "session_id"):
            code.check(v, "str")
        elif key == "sent_at":
            code.check(v, "number_or_str")
        elif key in _PASSIVE:
            code.check(v, "any")
        else:
            code.check(v, kinds[key])
    # 2. The client time: `raw.get("ts", raw.get("client_ts"))`.
    ct = var.get("ts", var.get("client_ts"))
    if ct is not None:
        code.line(f"ct = {ct}")
        code.line("if ct is not None:")
        code.line("    t = type(ct)")
        code.line(f"    if t is str and not 0 < len(ct) <= {_CLIENT_TIME_MAX}: return None")
        code.line("    if t is not str and t is not int and t is not float: return None")
    # 3. Which ids and times are protected (kept as they are, in split_protected).
    kept: list[tuple[str, str]] = []  # (key, expression) in split_protected's order
    flags: list[str] = []
    if "event_id" in var:
        v = var["event_id"]
        code.line(f"k_event_id = len({v}) == 36 and uuid_fullmatch({v}) is not None")
        kept.append(("event_id", v))
        flags.append("k_event_id")
    if "session_id" in var:
        code.line(f"sid = {var['session_id']}[:{limits.session_id_max_length}]")
        code.line("k_session_id = uuid_cache.get(sid)")
        code.line("if k_session_id is None: k_session_id = is_uuid(sid)")
        kept.append(("session_id", "sid"))
        flags.append("k_session_id")
    if ct is not None:
        code.line("if ct is None: k_ct = True")
        code.line("elif type(ct) is not str: k_ct = True")
        code.line("else:")
        code.line("    k_ct = time_cache.get(ct)")
        code.line("    if k_ct is None: k_ct = is_iso_time(ct)")
        flags.append("k_ct")
    if "sent_at" in var:
        v = var["sent_at"]
        code.line(f"if type({v}) is not str: k_sent_at = True")
        code.line("else:")
        code.line(f"    k_sent_at = time_cache.get({v})")
        code.line(f"    if k_sent_at is None: k_sent_at = is_iso_time({v})")
        kept.append(("sent_at", v))
        flags.append("k_sent_at")
    head = [
        ("ts", "received"),
        ("source", repr(limits.source)),
        ("v", repr(limits.schema_version)),
        ("event", repr(name)),
    ]
    # 4a. Common case: everything protected, no identity: one dict display.
    common = " and ".join(flags) if flags else "True"
    code.line(f"if {common} and user_id is None and room_id is None:")
    code.indent()
    kept_all = head + [k for k in kept if k[0] != "sent_at"]
    if ct is not None:
        kept_all.append(("client_ts", "ct"))  # dropped below when it is None
    kept_all += [k for k in kept if k[0] == "sent_at"]
    items = kept_all + [(key, code.scrubbed_scalar(var[key], kind)) for key, kind in extras]
    code.line("rec = {" + ", ".join(f"{k!r}: {e}" for k, e in items) + "}")
    if ct is not None:
        code.line("if ct is None: del rec['client_ts']")
    strings = [key for key, kind in extras if kind == "str"]
    if strings:  # declared strings: queued in one go
        code.line(f"strs += ({''.join(var[k] + ', ' for k in strings)})")
        code.line(f"slots += ({''.join(f'(rec, {k!r}), ' for k in strings)})")
    for key, kind in extras:
        if kind != "str":
            code.queue_string(key, var[key], kind)
    code.dedent()
    # 4b. Anything else: the kept part, then the scrubbed part in the normalised order.
    code.line("else:")
    code.indent()
    code.line("rec = {" + ", ".join(f"{k!r}: {e}" for k, e in head) + "}")
    for key, expr in kept:
        if key == "sent_at" and ct is not None:
            code.line("if ct is not None and k_ct: rec['client_ts'] = ct")
        code.line(f"if k_{key}: rec[{key!r}] = {expr}")
    if ct is not None and "sent_at" not in var:
        code.line("if ct is not None and k_ct: rec['client_ts'] = ct")
    for key in keys:
        if key in ("event_id", "session_id", "sent_at"):
            expr = "sid" if key == "session_id" else var[key]
            code.line(f"if not k_{key}:")
            code.indent()
            code.put(key, expr, "str")  # kept unless a string of another shape
            code.dedent()
    for key in ("user_id", "room_id"):
        code.line(f"if {key} is not None:")
        code.indent()
        code.put(key, key, "str")
        code.dedent()
    if ct is not None:
        code.line("if ct is not None and not k_ct:")
        code.indent()
        code.put("client_ts", "ct", "str")  # a client time that is not kept is a string
        code.dedent()
    for key, kind in extras:
        code.put(key, var[key], kind)
    code.dedent()
    code.line("return rec")
    # The trusted normaliser: the other fields' checks, then the common case's record.
    # (Its ids and times are known to be protected, so `sid` is the session id itself.)
    trusted = (
        limits.max_string_length >= _CLIENT_TIME_MAX
        and limits.session_id_max_length >= 36
        and all(key in _TRUSTED_KEYS or key in kinds for key in keys)
    )
    if trusted:
        code.dedent()
        code.line("def trusted(raw, received, strs, slots):")
        code.indent()
        code.line(f"({', '.join(var[k] for k in keys)},) = raw.values()")
        for key, kind in extras:
            code.check(var[key], kind)
        plain = {"sid": var.get("session_id"), "ct": ct}
        direct = [(k, plain.get(e) or e) for k, e in kept_all]
        trusted_items = direct + [
            (key, code.scrubbed_scalar(var[key], kind)) for key, kind in extras
        ]
        code.line("rec = {" + ", ".join(f"{k!r}: {e}" for k, e in trusted_items) + "}")
        if strings:
            code.line(f"strs += ({''.join(var[k] + ', ' for k in strings)})")
            code.line(f"slots += ({''.join(f'(rec, {k!r}), ' for k in strings)})")
        for key, kind in extras:
            if kind != "str":
                code.queue_string(key, var[key], kind)
        code.line("return rec")
        code.dedent()
        # With an identity: the kept part, the identity, then the other fields (4b).
        code.line("def trusted_id(raw, received, user_id, room_id, strs, slots):")
        code.indent()
        code.line(f"({', '.join(var[k] for k in keys)},) = raw.values()")
        for key, kind in extras:
            code.check(var[key], kind)
        code.line("rec = {" + ", ".join(f"{k!r}: {e}" for k, e in direct) + "}")
        for key in ("user_id", "room_id"):
            code.line(f"if {key} is not None:")
            code.indent()
            code.put(key, key, "str")
            code.dedent()
        for key, kind in extras:
            code.put(key, var[key], kind)
        code.line("return rec")
        code.dedent()
    namespace: dict[str, Any] = {
        "uuid_fullmatch": _shapes._UUID.fullmatch,
        "uuid_cache": _shapes._uuid_shaped,
        "is_uuid": _shapes.is_uuid,
        "time_cache": _shapes._time_shaped,
        "is_iso_time": _shapes.is_iso_time,
        "scrub_int": scrub_int,
    }
    exec(compile(code.text(), f"<slogate shape {name}>", "exec"), namespace)  # noqa: S102
    fn: ShapeFn = namespace["shape"]
    if not trusted:
        return fn, None
    return fn, (namespace["trusted"], namespace["trusted_id"])


_KINDS = {
    FieldType.STRING: "str",
    FieldType.INTEGER: "int",
    FieldType.NUMBER: "number",
    FieldType.BOOLEAN: "bool",
}


class _Code:
    """Lines of the generated function, with the limits baked in as constants."""

    def __init__(self, limits: Limits) -> None:
        self.lines: list[str] = []
        self.depth = 0
        self.max_str = limits.max_string_length

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def indent(self) -> None:
        self.depth += 1

    def dedent(self) -> None:
        self.depth -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def check(self, v: str, kind: str) -> None:
        """Return None unless `v` is of `kind` and the reference would pass it as it is
        (strings: ASCII within the length cap; integers: within +-(2**53 - 1);
        floats: finite; `any`: one of those, a bool or null)."""
        string = f"len({v}) > {self.max_str} or not {v}.isascii()"
        integer = f"not {-MAX_SAFE_INT} <= {v} <= {MAX_SAFE_INT}"
        real = f"{v} - {v} != 0.0"  # inf or nan
        if kind == "str":
            self.line(f"if type({v}) is not str or {string}: return None")
        elif kind == "int":
            self.line(f"if type({v}) is not int or {integer}: return None")
        elif kind == "bool":
            self.line(f"if type({v}) is not bool: return None")
        else:
            self.line(f"t = type({v})")
            if kind in ("any", "number_or_str"):
                self.line("if t is str:")
                self.line(f"    if {string}: return None")
                self.line("elif t is float:")
            else:  # number
                self.line("if t is float:")
            self.line(f"    if {real}: return None")
            if kind == "any":
                self.line("elif t is int:")
                self.line(f"    if {integer}: return None")
                self.line(f"elif t is not bool and {v} is not None: return None")
            else:
                self.line(f"elif t is not int or {integer}: return None")

    def scrubbed_scalar(self, v: str, kind: str) -> str:
        """Expression of `v` as the scrubber stores it, strings aside (queued)."""
        small = f"-{_SMALL_INT} < {v} < {_SMALL_INT}"
        if kind in ("str", "bool"):
            return v
        if kind == "int":
            return f"({v} if {small} else scrub_int({v}))"
        if kind == "number":
            return f"({v} if type({v}) is float or {small} else scrub_int({v}))"
        return f"({v} if type({v}) is not int or {small} else scrub_int({v}))"

    def queue_string(self, key: str, v: str, kind: str) -> None:
        queue = f"strs.append({v}); slots.append((rec, {key!r}))"
        if kind == "str":
            self.line(queue)
        elif kind == "any":
            self.line(f"if type({v}) is str: {queue}")

    def put(self, key: str, v: str, kind: str) -> None:
        """`rec[key] = v` as the scrubber stores it, strings queued for `scrub_texts`."""
        self.line(f"rec[{key!r}] = {self.scrubbed_scalar(v, kind)}")
        self.queue_string(key, v, kind)
