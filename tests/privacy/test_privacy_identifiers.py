"""Identifiers survive scrubbing: deduplication by event_id depends on it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from slogate.privacy import scrub_event, scrub_text


@given(st.uuids())
def test_uuids_are_kept_whole(value) -> None:
    text = str(value)
    assert scrub_text(text) == text
    assert scrub_text(f"retry of {text} failed") == f"retry of {text} failed"
    assert scrub_event({"event": "x", "event_id": text})["event_id"] == text


def test_known_uuids_that_once_looked_like_ibans_or_cards() -> None:
    for text in (
        "be21f124-f36b-4e01-9374-e202158f7759",
        "ce3dea4c-7a28-4ce0-be33-85c771365b71",
        "621e4077-2477-4517-9579-9d08816d31a5",
        "b9ff71b0-a0e9-44db-be65-838ef4e75daf",
    ):
        assert scrub_text(text) == text


def test_text_around_a_uuid_is_still_scrubbed() -> None:
    text = "jane@example.com 9f1c2a4e-1b2c-4d5e-8f90-123456789abc 4111 1111 1111 1111"
    assert scrub_text(text) == "[email] 9f1c2a4e-1b2c-4d5e-8f90-123456789abc [card]"


def test_grouped_ibans_need_groups_of_four() -> None:
    assert scrub_text("DE89 3704 0044 0532 0130 00") == "[iban]"
    assert scrub_text("DE89370400440532013000") == "[iban]"
    # A valid checksum inside a longer token is not an IBAN.
    assert "[iban]" not in scrub_text("account DE89370400440532013000x")


def test_lone_surrogates_do_not_break_scrubbing() -> None:
    clean = scrub_text("\ud800 jane@example.com \udfff")
    assert "[email]" in clean
    clean.encode("utf-8")  # no lone surrogate is left to break a writer
