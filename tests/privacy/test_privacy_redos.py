"""Pathological inputs cost linear work: every rule runs on RE2 (no backtracking), and
the Python around it (callbacks, rounds, percent-decoding) grows linearly too.

Work is counted as Python profiler events (calls and returns, C calls included)
while scrubbing, never as wall time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
import re2

from slogate.privacy import scrub_event, scrub_text
from slogate.privacy.scrub import _COMPILED, _SET

PATHOLOGICAL: dict[str, Callable[[int], str]] = {
    "email local run": lambda n: "a" * n + "@",
    "many at signs": lambda n: "a@" * n,
    "email domain run": lambda n: "a@" + "b." * n,
    "digit groups": lambda n: "1 " * n,
    "dashed digits": lambda n: "1-" * n,
    "plus digits": lambda n: "+1 " * n,
    "dotted digits": lambda n: "1." * n,
    "colons": lambda n: ":" * n,
    "hex colons": lambda n: "a:" * n,
    "double colons": lambda n: "a::" * n,
    "pem without end": lambda n: "-----BEGIN PRIVATE KEY-----" + "A" * n,
    "pem headers": lambda n: "-----BEGIN PRIVATE KEY-----" * (n // 20 + 1),
    "percent signs": lambda n: "%25" * n,
    "lone percents": lambda n: "%" * n,
    "jwt-ish": lambda n: "eyJ" + "a" * n + "." + "a" * n,
    "bearer words": lambda n: "bearer " * (n // 4 + 1),
    "iban starts": lambda n: "DE89 " * (n // 3 + 1),
    "iban separators": lambda n: "DE89" + " 1" * n,
    "url without at": lambda n: "x://" + "a" * n,
    "assignments": lambda n: "password=" * (n // 5 + 1),
    "repeated emails": lambda n: "jane@example.com " * (n // 10 + 1),
    "repeated cards": lambda n: "4111 1111 1111 1111 " * (n // 20 + 1),
}


def _work(fn: Callable[[], object]) -> int:
    count = 0

    def profiler(frame, event, arg) -> None:  # noqa: ANN001
        nonlocal count
        count += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_every_rule_is_compiled_by_re2() -> None:
    assert _COMPILED
    for _rule, pattern in _COMPILED:
        assert isinstance(pattern, re2._Regexp)
    assert isinstance(_SET, re2.Set)


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_work_grows_linearly(name: str) -> None:
    make = PATHOLOGICAL[name]
    small, large = make(2_000), make(8_000)
    ratio = len(large) / len(small)
    w_small = _work(lambda: scrub_text(small))
    w_large = _work(lambda: scrub_text(large))
    # Linear: four times the input costs at most ~4x (plus a constant), never 16x.
    assert w_large <= w_small * ratio * 1.5 + 500, (w_small, w_large)
    out = scrub_text(large)
    assert scrub_text(out) == out


def test_clean_strings_take_constant_python_work() -> None:
    clean_small = "frame ready after 412 ms on chrome " * 10
    clean_large = clean_small * 100
    assert scrub_text(clean_large) == clean_large
    # One RE2 scan whatever the length: the Python work does not grow at all.
    assert _work(lambda: scrub_text(clean_large)) == _work(lambda: scrub_text(clean_small))


def test_wide_event_work_is_linear_in_fields() -> None:
    small = {f"field_{i}": f"value {i} for user jane{i}@example.com" for i in range(200)}
    large = {f"field_{i}": f"value {i} for user jane{i}@example.com" for i in range(800)}
    w_small = _work(lambda: scrub_event(small))
    w_large = _work(lambda: scrub_event(large))
    assert w_large <= w_small * 4 * 1.5 + 500


def test_long_text_beyond_the_set_prefilter_is_still_scrubbed() -> None:
    from slogate.privacy.scrub import _SET_MAX_CHARS

    filler = "lorem ipsum 12 dolor; " * (_SET_MAX_CHARS // 10)
    text = filler + " jane.doe@example.com " + filler + " 4111 1111 1111 1111"
    assert len(text) > 2 * _SET_MAX_CHARS
    out = scrub_text(text)
    assert "jane.doe" not in out and "4111" not in out
    assert out.count("[email]") == 1 and out.count("[card]") == 1
    event = {f"k{i}": filler[:5000] for i in range(40)} | {"x": "jane.doe@example.com"}
    assert scrub_event(event)["x"] == "[email]"
