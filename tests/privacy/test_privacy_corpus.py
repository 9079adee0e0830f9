"""Every PII kind of the corpus is replaced, wherever it sits in an event."""

from __future__ import annotations

import orjson
import pytest

from slogate.privacy import FILTERED, PLACEHOLDERS, is_sensitive_key, scrub_event, scrub_text
from tests.privacy.pii_corpus import (
    KEY_SECRET_VALUE,
    PII_SAMPLES,
    SENSITIVE_KEYS,
    events_with_pii,
    find_leaks,
)


@pytest.mark.parametrize("sample", PII_SAMPLES, ids=lambda s: f"{s.kind}:{s.text[:24]}")
def test_sample_is_replaced_by_its_placeholder(sample) -> None:
    text = f"before {sample.text} after"
    out = scrub_text(text)
    assert [n for n in sample.needles if n in out] == []
    assert sample.placeholder in out
    assert out.startswith("before ")
    if "END" in sample.text or "PRIVATE KEY" not in sample.text:
        # A truncated key has no end marker: the rest of the text goes with it.
        assert out.endswith(" after")


@pytest.mark.parametrize("sample", PII_SAMPLES, ids=lambda s: f"{s.kind}:{s.text[:24]}")
def test_sample_alone_and_glued_to_punctuation(sample) -> None:
    for text in (sample.text, f"({sample.text})", f"'{sample.text}',", f"x: {sample.text}\n"):
        out = scrub_text(text)
        assert [n for n in sample.needles if n in out] == [], (text, out)


def test_events_with_pii_leave_nothing_in_keys_values_arrays_or_names() -> None:
    events = events_with_pii()
    assert len(events) == len(PII_SAMPLES) + 2
    dumped = orjson.dumps([scrub_event(e) for e in events]).decode()
    assert find_leaks(dumped) == []
    assert KEY_SECRET_VALUE in orjson.dumps(events).decode()  # the corpus does carry it


def test_sensitive_keys_are_filtered_case_insensitively_on_fragments() -> None:
    event = {k: KEY_SECRET_VALUE for k in SENSITIVE_KEYS}
    out = scrub_event(event)
    assert out == {k: FILTERED for k in SENSITIVE_KEYS}
    nested = scrub_event({"a": {"B": [{"Password": {"x": 1}}]}})
    assert nested == {"a": {"B": [{"Password": FILTERED}]}}


def test_booleans_and_nulls_under_sensitive_keys_are_kept() -> None:
    assert scrub_event({"password_reset": True, "token": None}) == {
        "password_reset": True,
        "token": None,
    }


@pytest.mark.parametrize(
    "key", ["session_id", "event_id", "user_id", "room_id", "duration_ms", "mapping", "author"]
)
def test_ordinary_keys_are_not_sensitive(key: str) -> None:
    assert not is_sensitive_key(key)


def test_canonical_fields_survive_unchanged() -> None:
    event = {
        "ts": "2026-11-26T22:44:40.123Z",
        "client_ts": 1732660000123,
        "event": "queue_cmd_ack",
        "source": "client-relay",
        "v": 2,
        "event_id": "550e8400-e29b-41d4-a716-446655440000",
        "session_id": "0f0e4a52-9a8d-4c7a-8d2b-3c1d2e3f4a5b",
        "cmd_id": "cmd-000123-20261126",
        "duration_ms": 1234.5,
        "browser": "Chrome 131.0.6778.85",
        "status": 200,
        "version": "1.4.12",
        "message": "frame ready after 412 ms (attempt 3 of 5) on 2026-11-26 at 22:44:40",
    }
    assert scrub_event(event) == event


def test_card_numbers_as_json_numbers_are_replaced_only_when_luhn_valid() -> None:
    out = scrub_event({"n": 4111111111111111, "m": 4111111111111112, "ts": 1732660000000})
    assert out == {"n": PLACEHOLDERS["card"], "m": 4111111111111112, "ts": 1732660000000}


def test_keys_that_collide_after_scrubbing_keep_both_values() -> None:
    out = scrub_event({"ann@example.com": 1, "bob@example.com": 2})
    assert sorted(out.values()) == [1, 2]
    assert all(k.startswith("[email]") for k in out)


def test_more_specific_rule_wins() -> None:
    # URL credentials before e-mail; Luhn card before phone and other digit runs.
    assert scrub_text("https://bob:pw@host.example/") == "https://[url-credentials]@host.example/"
    assert scrub_text("4111-1111-1111-1111") == "[card]"
    # A Luhn-invalid 16-digit run is not a card (and not a phone).
    assert scrub_text("order 4111111111111112") == "order 4111111111111112"


def test_percent_decoding_only_when_it_reveals_something() -> None:
    assert scrub_text("/search?q=a%20b&page=2") == "/search?q=a%20b&page=2"
    assert scrub_text("/u?mail=jane%40example.com&p=1") == "/u?mail=[email]&p=1"


def test_depth_is_bounded_without_leaking() -> None:
    deep: dict = {"leaf": "jane@example.com"}
    for _ in range(200):
        deep = {"d": deep}
    dumped = orjson.dumps(scrub_event(deep)).decode()
    assert "jane@example.com" not in dumped
    assert FILTERED in dumped


@pytest.mark.parametrize(
    "text",
    [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "https://app.example/rooms/r-42/play?preset=hydra-7&t=1732660000",
        "GET /api/telemetry/ingest 200 12.5ms",
        "WebGL context lost after 3 retries (code 0x0500)",
        "std::vector<int> overflow at 0x7ffd5e8c",
        "build 2026.11.26-rc1 sha 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f",
    ],
)
def test_ordinary_telemetry_text_is_untouched(text: str) -> None:
    assert scrub_text(text) == text


def test_addresses_in_urls_and_paths_are_still_addresses() -> None:
    assert scrub_text("http://10.0.0.1/x") == "http://[ipv4]/x"
    assert scrub_text("/hosts/10.20.30.40") == "/hosts/[ipv4]"
    assert scrub_text("Chrome/131.0.0.1") == "Chrome/[ipv4]"


def test_json_unicode_escapes_are_decoded_before_matching() -> None:
    assert scrub_text(r"mail jane\u0040example.com now") == "mail [email] now"
    # A surrogate pair decodes to one character; a lone one to U+FFFD (JSON-safe).
    assert scrub_text(r"\ud83d\ude00 jane\u0040example.com") == "\U0001f600 [email]"
    assert scrub_text(r"\ud83d jane\u0040example.com") == "\ufffd [email]"
    # Escapes without anything behind them are left as they are.
    assert scrub_text(r"caf\u00e9 \ud83d") == r"caf\u00e9 \ud83d"
    orjson.dumps(scrub_text(r"\udc00\ud800 a\u0040b.co"))  # always encodable
