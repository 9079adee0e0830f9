"""The scrubber's fast paths (cached `scrub_text`, the batch scrubber `scrub_texts`
and `scrub_event` built on it) give byte-identical results to the reference path,
whatever was seen before: the caches only ever hold answers the reference path
gave, and a string is only passed as clean when the reference path would pass it."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slogate.privacy import scrub as scrub_module
from slogate.privacy import scrub_event, scrub_text, scrub_texts
from tests.privacy.pii_corpus import PII_SAMPLES, SENSITIVE_KEYS, events_with_pii

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from([s.text for s in PII_SAMPLES]),
    st.sampled_from(["chrome", "enqueue", "TypeError", "%41", "jane%40example.com"]),
)
keys = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
    st.sampled_from(["browser", "note", "message", *SENSITIVE_KEYS]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
events = st.dictionaries(keys, values, max_size=8)


def reference_event(event: dict[str, Any]) -> dict[str, Any]:
    return scrub_module._scrub_mapping(event, 0)


def _bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def test_corpus_events_equal_reference_cold_and_warm() -> None:
    corpus = events_with_pii()
    scrub_module._VERDICTS.clear()
    scrub_module._scrub_text_cached.cache_clear()
    cold = [_bytes(scrub_event(e)) for e in corpus]
    warm = [_bytes(scrub_event(e)) for e in corpus]  # now answered from the caches
    expected = [_bytes(reference_event(e)) for e in corpus]
    assert cold == expected
    assert warm == expected


def test_corpus_texts_equal_reference() -> None:
    for sample in PII_SAMPLES:
        for text in (sample.text, f"x {sample.text} y", sample.text * 2):
            first = scrub_text(text)
            assert first == scrub_module._scrub_text(text)
            assert scrub_text(text) == first  # cached answer


def test_clean_strings_seen_first_do_not_hide_pii_later() -> None:
    scrub_module._VERDICTS.clear()
    clean = {"event": "queue_cmd_sent", "note": "hello", "browser": "chrome"}
    assert scrub_event(clean) == clean
    assert scrub_module._VERDICTS["hello"] == "hello"
    dirty = {"event": "queue_cmd_sent", "note": "hello", "contact": "jane.doe@example.com"}
    assert scrub_event(dirty) == reference_event(dirty)
    assert scrub_event(dirty)["contact"] == "[email]"


def test_verdict_cache_stays_bounded() -> None:
    scrub_module._VERDICTS.clear()
    for i in range(scrub_module._VERDICTS_MAX + 100):
        scrub_event({"k": f"value-{i}"})
    assert 0 < len(scrub_module._VERDICTS) <= scrub_module._VERDICTS_MAX
    scrub_texts([f"other-{i}" for i in range(3 * scrub_module._VERDICTS_MAX)])
    assert len(scrub_module._VERDICTS) <= 3 * scrub_module._VERDICTS_MAX


def test_text_around_a_uuid_is_judged_like_the_reference() -> None:
    # The reference keeps a UUID whole and scrubs the text on each side alone, where
    # `^` rules can match: the phone after the id must not survive the fast path.
    text = "8f3e1c2a-1b2c-4d3e-8f9a-0123456789ab+14155550132"
    expected = scrub_module._scrub_text(text)
    assert expected.endswith("[phone]")
    for _ in range(2):
        assert scrub_texts([text, "hello"]) == [expected, "hello"]
        assert scrub_event({"note": text}) == {"note": expected}


def test_batch_finds_each_dirty_string_among_many_clean_ones() -> None:
    scrub_module._VERDICTS.clear()
    pii = [s.text for s in PII_SAMPLES]
    batch = [f"clean value {i}" for i in range(40)]
    for k, text in enumerate(pii):
        batch.insert((7 * k) % len(batch), text)
    assert scrub_texts(batch) == [scrub_module._scrub_text(t) for t in batch]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=4))
def test_generated_events_equal_reference(batch: list[dict[str, Any]]) -> None:
    # Twice: the second round runs with whatever the first put in the caches.
    for _ in range(2):
        for event in batch:
            assert _bytes(scrub_event(event)) == _bytes(reference_event(event))


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=300))
def test_generated_texts_equal_reference(text: str) -> None:
    assert scrub_text(text) == scrub_module._scrub_text(text)
    assert scrub_text(text) == scrub_module._scrub_text(text)


texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.sampled_from("0123456789 +-.@:/%()abcxyzABC\x00"), max_size=30),
    st.sampled_from([s.text for s in PII_SAMPLES]),
    st.sampled_from(["chrome", "c-1f2e", "%41", "jane%40example.com", "a+", "\\u0040"]),
    st.uuids().map(str),
    st.builds(lambda u, t: u + t, st.uuids().map(str), st.sampled_from(["+14155550132", " x"])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, max_size=40))
def test_generated_batches_equal_reference(batch: list[str]) -> None:
    expected = [scrub_module._scrub_text(t) for t in batch]
    assert scrub_texts(batch) == expected
    assert scrub_texts(batch) == expected  # answered from the verdict cache
