"""A corpus of 200+ hostile or broken requests against a real server: every
answer is the right refusal (a 4xx with a JSON error, or a 200 in which every
bad entry is rejected alone), the server stays up and its memory stays flat."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.ingest.ingest_server import Server, start_server

INGEST = "/api/telemetry/ingest"
JSON = "application/json"
SETTINGS = {"requests_per_minute": 100000, "events_per_minute": 100000000}


@dataclass
class Case:
    name: str
    body: bytes | Iterator[bytes] | None
    status: int
    code: str | None = None
    content_type: str | None = JSON
    path: str = INGEST

    def request(self) -> tuple[dict[str, str], object]:
        headers = {"content-type": self.content_type} if self.content_type else {}
        return headers, self.body


def _batch(*events: object) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def _chunks(total: int, size: int = 16384) -> Iterator[bytes]:
    yield b'{"events": [], "pad": "'
    sent = 0
    while sent < total:
        yield b"c" * size
        sent += size
    yield b'"}'


def corpus() -> list[Case]:
    rng = random.Random(20260219)
    cases: list[Case] = []
    good = _batch({"event": "session_start", "session_id": "s-1", "n": 1, "t": "text"})
    # Non-JSON bodies.
    for i, text in enumerate(
        [
            b"hello",
            b"<xml/>",
            b"a=1&b=2",
            b"\x00\x01\x02",
            b"events",
            b"true",
            b"null",
            b"1",
            b'"events"',
            b"{'events': []}",
            b"{events: []}",
            b"{,}",
            b"[,]",
            b"}{",
            b"\n\n",
            b"undefined",
            b"--\r\nContent-Disposition: form-data",
            b"\x89PNG\r\n",
            b"\xef\xbb\xbf{}",
            b"{}extra",
        ]
    ):
        code = "not_an_object" if text in (b"true", b"null", b"1", b'"events"') else None
        cases.append(Case(f"non_json_{i}", text, 400, code))
    # Truncated JSON: every 7th prefix of a valid batch.
    for cut in range(1, len(good) - 1, max(1, len(good) // 30)):
        cases.append(Case(f"truncated_{cut}", good[:cut], 400))
    # Invalid UTF-8.
    for i, bad in enumerate(
        [
            b"\xff",
            b"\xfe\xff",
            b"\xc3\x28",
            b"\xa0\xa1",
            b"\xe2\x28\xa1",
            b"\xe2\x82\x28",
            b"\xf0\x28\x8c\xbc",
            b"\xf0\x90\x28\xbc",
            b"\xf8\xa1\xa1\xa1\xa1",
            b"\xed\xa0\x80",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\x80",
            b"\xbf",
            b"\xfc\x80\x80\x80\x80\xaf",
        ]
    ):
        body = b'{"events": [{"event": "session_start", "s": "' + bad + b'"}]}'
        cases.append(Case(f"invalid_utf8_{i}", body, 400, "invalid_utf8"))
    # NaN and infinities, wherever they appear.
    for i, lit in enumerate([b"NaN", b"Infinity", b"-Infinity"]):
        for j, tpl in enumerate(
            [
                b'{"events": [{"event": "session_start", "n": %s}]}',
                b'{"events": %s}',
                b'{"events": [%s]}',
                b'{"x": %s, "events": []}',
            ]
        ):
            cases.append(Case(f"nan_{i}_{j}", tpl % lit, 400, "malformed_json"))
    # Depth 10 000 (whole document) and depth over the per-event limit.
    cases.append(Case("depth_10000_arrays", b"[" * 10000 + b"]" * 10000, 400, "malformed_json"))
    cases.append(
        Case("depth_10000_objects", b'{"a":' * 10000 + b"1" + b"}" * 10000, 400, "malformed_json")
    )
    nested: object = 1
    for _ in range(10000 // 4):
        nested = [nested]
    for depth in (5, 8, 20, 60):
        value: object = "x"
        for _ in range(depth):
            value = {"k": value}
        cases.append(
            Case(
                f"event_depth_{depth}",
                _batch({"event": "session_start", "v": value}),
                200,
                "too_deep",
            )
        )
    # 100 000 keys: over the body cap long before it is parsed.
    many = b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(100000)) + b"}"
    cases.append(Case("keys_100000_document", many, 413, "body_too_large"))
    for n in (65, 200, 1000):
        ev = {"event": "session_start", **{f"k{i}": i for i in range(n)}}
        cases.append(Case(f"event_keys_{n}", _batch(ev), 200, "too_many_fields"))
    # Long strings: 10 MB (declared and chunked), and over the per-string limit.
    cases.append(
        Case(
            "string_10mb",
            b'{"events": [{"event": "session_start", "s": "' + b"s" * 10_000_000 + b'"}]}',
            413,
        )
    )
    cases.append(Case("string_10mb_chunked", _chunks(10_000_000), 413, "body_too_large"))
    for n in (5000, 20000, 60000):
        cases.append(
            Case(
                f"string_{n}",
                _batch({"event": "session_start", "s": "x" * n}),
                200,
                "string_too_long",
            )
        )
    # Duplicate keys.
    for i, body in enumerate(
        [
            b'{"events": [], "events": []}',
            b'{"events": [{"event": "a", "event": "session_start"}]}',
            b'{"events": [{"event": "session_start", "user_id": "a", "user_id": "b"}]}',
            b'{"events": [{"event": "session_start", "x": {"y": 1, "y": 2}}]}',
            b'{"token": "a", "token": "b", "events": []}',
        ]
    ):
        cases.append(Case(f"duplicate_keys_{i}", body, 400, "duplicate_key"))
    # Prototype pollution.
    for i, ev in enumerate(
        [
            {"event": "session_start", "__proto__": {"isAdmin": True}},
            {"event": "session_start", "a": {"__proto__": 1}},
            {"event": "session_start", "constructor": {"prototype": {"x": 1}}},
            {"event": "session_start", "prototype": 1},
            {"event": "session_start", "a": [{"__proto__": None}]},
        ]
    ):
        cases.append(Case(f"proto_{i}", _batch(ev), 200, "forbidden_key"))
    # Wrong types everywhere.
    for i, events in enumerate([1, "x", None, True, {"event": "session_start"}, 1.5, {}]):
        cases.append(
            Case(
                f"events_type_{i}", json.dumps({"events": events}).encode(), 400, "events_not_array"
            )
        )
    for i, entry in enumerate([1, "session_start", None, True, [], [1, 2], 2.5]):
        cases.append(Case(f"entry_type_{i}", _batch(entry), 200, "not_an_object"))
    for i, name in enumerate([1, None, [], {}, True, "", "x" * 200, "a\nb", 3.5]):
        code = "missing_event_name" if name is None else "invalid_event_name"
        cases.append(Case(f"name_type_{i}", _batch({"event": name}), 200, code))
    typed_fields = [
        ("hydra_preset_eval_success", "duration_ms"),
        ("memory_health_sample", "switch_count"),
        ("memory_health_sample", "used_js_heap_mb"),
        ("video_init_frame_ready", "browser"),
        ("session_error", "message"),
        ("queue_cmd_sent", "cmd_id"),
    ]
    bad_values = ["12", True, None, [1], {"a": 1}, 1.5, "x"]
    for event, field in typed_fields:
        for value in bad_values:
            expected_type = {
                "duration_ms": "number",
                "used_js_heap_mb": "number",
                "switch_count": "integer",
            }.get(field, "string")
            ok = (
                (expected_type == "number" and isinstance(value, float))
                or (expected_type == "string" and isinstance(value, str))
                or (
                    expected_type == "integer"
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                )
            )
            if ok:
                continue
            cases.append(
                Case(
                    f"wrong_type_{event}_{field}_{value!r}",
                    _batch({"event": event, field: value}),
                    200,
                    "wrong_type",
                )
            )
    for field, value in [
        ("session_id", 1),
        ("session_id", []),
        ("event_id", 5),
        ("event_id", {}),
        ("ts", {}),
        ("ts", []),
        ("ts", True),
        ("sent_at", [1]),
        ("client_ts", []),
    ]:
        cases.append(
            Case(
                f"canonical_{field}_{value!r}",
                _batch({"event": "session_start", field: value}),
                200,
                "wrong_type",
            )
        )
    for i, token in enumerate([1, [], {}, True, "x" * 5000]):
        cases.append(
            Case(
                f"token_type_{i}",
                json.dumps({"events": [], "token": token}).encode(),
                401,
                "invalid_token",
            )
        )
    # Unknown and server-only events.
    for name in [
        "unknown_event_x",
        "queue_cmd_ack",
        "queue_cmd_error",
        "auth_guest_join_success",
        "DROP TABLE",
    ]:
        code = (
            "server_only_event"
            if name.startswith(("queue_cmd_a", "queue_cmd_e", "auth_guest"))
            else "unknown_event"
        )
        cases.append(Case(f"event_name_{name}", _batch({"event": name}), 200, code))
    # Numbers out of range.
    for i, lit in enumerate([b"1e400", b"-1e400", b"9007199254740993", b"-99999999999999999999"]):
        body = b'{"events": [{"event": "session_start", "n": ' + lit + b"}]}"
        cases.append(Case(f"number_range_{i}", body, 200, "number_out_of_range"))
    cases.append(
        Case(
            "number_5000_digits",
            b'{"events": [{"event": "session_start", "n": ' + b"9" * 5000 + b"}]}",
            400,
            "malformed_json",
        )
    )
    # Lone surrogates (valid JSON escapes, not valid Unicode text).
    for i, esc in enumerate([b"\\ud800", b"\\udfff", b"a\\ud83d", b"\\udc00b"]):
        body = b'{"events": [{"event": "session_start", "s": "' + esc + b'"}]}'
        cases.append(Case(f"surrogate_{i}", body, 200, "invalid_unicode"))
    # Chunked bodies past the cap, of several sizes.
    for size in (65 * 1024, 80 * 1024, 256 * 1024, 1024 * 1024, 5 * 1024 * 1024):
        cases.append(
            Case(
                f"chunked_{size}",
                _chunks(size, rng.choice([1000, 4096, 65536])),
                413,
                "body_too_large",
            )
        )
    # Too many events.
    for n in (51, 100, 500):
        cases.append(
            Case(f"too_many_{n}", _batch(*[{"event": "session_start"}] * n), 400, "too_many_events")
        )
    # Content types.
    for i, ctype in enumerate(
        [
            None,
            "application/xml",
            "text/html",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/json; charset=utf-16",
            "text/plain; charset=iso-8859-1",
            "image/png",
            "*/*",
            "application/jsonx",
        ]
    ):
        cases.append(
            Case(f"content_type_{i}", good, 415, "unsupported_media_type", content_type=ctype)
        )
    # OTLP endpoint with broken input.
    for i, body in enumerate(
        [
            b"{",
            b"[]",
            b'{"resourceLogs": 1}',
            b'{"resourceLogs": [1]}',
            b'{"resourceLogs": [{"scopeLogs": "x"}]}',
            b'{"resourceLogs": [{"scopeLogs": [{"logRecords": {}}]}]}',
        ]
    ):
        cases.append(Case(f"otlp_{i}", body, 400, path="/v1/logs"))
    cases.append(
        Case(
            "otlp_protobuf",
            b"\x0a\x00",
            415,
            "unsupported_media_type",
            content_type="application/x-protobuf",
            path="/v1/logs",
        )
    )
    # Random garbage bytes.
    for i in range(20):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        cases.append(Case(f"garbage_{i}", blob, 400))
    return cases


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("ingest-bad"), SETTINGS)
    yield srv
    srv.stop()


def test_corpus_is_big_enough() -> None:
    assert len(corpus()) >= 200


def test_bad_input_corpus(server: Server, tmp_path: Path) -> None:
    cases = corpus()
    with server.client() as c:
        # Warm up, then take the memory baseline.
        for _ in range(20):
            c.post(INGEST, json={"events": [{"event": "session_start"}]})
        before = server.rss_kb()
        failures: list[str] = []
        for case in cases:
            headers, body = case.request()
            try:
                r = c.post(case.path, content=body, headers=headers)  # type: ignore[arg-type]
            except httpx.TransportError as exc:
                failures.append(f"{case.name}: transport error {exc!r}")
                continue
            if r.status_code != case.status:
                failures.append(f"{case.name}: {r.status_code} {r.text[:200]}")
                continue
            body_json = r.json()
            if case.status == 200 and case.path == INGEST:
                entries = (
                    json.loads(body) if isinstance(body, bytes) and body.startswith(b"{") else None
                )
                total = len(entries["events"]) if entries else None
                if body_json["accepted"] != 0 or len(body_json["rejected"]) != total:
                    failures.append(f"{case.name}: not every bad entry rejected: {body_json}")
                elif case.code and not all(
                    x["reason"].startswith(case.code) for x in body_json["rejected"]
                ):
                    failures.append(f"{case.name}: reasons {body_json['rejected']}")
            elif case.status != 200:
                if set(body_json) != {"error", "detail"}:
                    failures.append(f"{case.name}: error body {body_json}")
                elif case.code and body_json["error"] != case.code:
                    failures.append(f"{case.name}: code {body_json['error']} != {case.code}")
        # Run the whole corpus a second time: memory must not keep growing.
        for case in cases:
            headers, body = case.request()
            if isinstance(body, bytes):
                c.post(case.path, content=body, headers=headers)
        after = server.rss_kb()
    assert not failures, "\n".join(failures)
    assert server.alive()
    assert after - before < 64 * 1024, f"RSS grew from {before} kB to {after} kB"
    with server.client() as c:
        ok = c.post(INGEST, json={"events": [{"event": "session_start"}]})
        assert ok.status_code == 200 and ok.json()["accepted"] == 1
        # No request reached a 5xx.
        assert 'status="5' not in c.get("/metrics").text
    # Every dead letter is a whole JSON line.
    for line in server.dead_letter_lines():
        json.loads(line)
