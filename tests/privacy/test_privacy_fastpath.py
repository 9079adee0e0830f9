"""The scrubber's fast paths (cached `scrub_text`, known-clean strings in
`scrub_event`) give byte-identical results to the reference path, whatever was
seen before: the caches only ever hold answers the reference path gave."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slogate.privacy import scrub as scrub_module
from slogate.privacy import scrub_event, scrub_text
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
    scrub_module._KNOWN_CLEAN.clear()
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
    scrub_module._KNOWN_CLEAN.clear()
    clean = {"event": "queue_cmd_sent", "note": "hello", "browser": "chrome"}
    assert scrub_event(clean) == clean
    assert "hello" in scrub_module._KNOWN_CLEAN
    dirty = {"event": "queue_cmd_sent", "note": "hello", "contact": "jane.doe@example.com"}
    assert scrub_event(dirty) == reference_event(dirty)
    assert scrub_event(dirty)["contact"] == "[email]"


def test_known_clean_set_stays_bounded() -> None:
    scrub_module._KNOWN_CLEAN.clear()
    for i in range(scrub_module._KNOWN_CLEAN_MAX + 100):
        scrub_event({"k": f"value-{i}"})
    assert len(scrub_module._KNOWN_CLEAN) <= scrub_module._KNOWN_CLEAN_MAX


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
