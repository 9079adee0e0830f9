"""Configuration loading: every bad file names file, line and field."""

from __future__ import annotations

import textwrap

import pytest

from slogate.config import load_config, load_config_text
from slogate.errors import ConfigError

BASE_EVENTS = """
version: 1
events:
  - name: ok
    family: f
    origin: server
  - name: bad
    family: f
    origin: server
"""


def _load(text: str) -> None:
    load_config_text(textwrap.dedent(text), file="t.yaml", env={})


def test_example_config_validates(example_config_path) -> None:
    loaded = load_config(example_config_path)
    assert len(loaded.config.slos) == 15
    assert len(loaded.sha256) == 64


def test_unknown_key_names_line_and_field() -> None:
    with pytest.raises(ConfigError) as info:
        _load(BASE_EVENTS + "    colour: red\n")
    err = info.value
    assert err.file == "t.yaml"
    assert err.line == 10
    assert err.field == "events[1].colour"
    assert "unknown key" in str(err)


def test_wrong_type_is_reported() -> None:
    text = BASE_EVENTS + textwrap.dedent(
        """
        slos:
          - id: s
            pillar: p
            name: n
            sli: {kind: ratio, good: {events: [ok]}, bad: {events: [bad]}}
            target: {op: ">=", value: high, unit: ratio}
        """
    )
    with pytest.raises(ConfigError) as info:
        _load(text)
    assert info.value.field == "slos[0].target.value"
    assert info.value.line == 16


def test_slo_naming_missing_event_is_an_error() -> None:
    text = BASE_EVENTS + textwrap.dedent(
        """
        slos:
          - id: s
            pillar: p
            name: n
            sli:
              kind: ratio
              good: {events: [ok]}
              bad: {events: [typo_event]}
            target: {op: ">=", value: 0.9, unit: ratio}
        """
    )
    with pytest.raises(ConfigError) as info:
        _load(text)
    assert "typo_event" in str(info.value)
    assert info.value.field == "slos[0].sli.bad.events"
    assert info.value.line == 18


def test_planned_event_is_accepted() -> None:
    text = BASE_EVENTS + textwrap.dedent(
        """
        planned_events:
          - name: future
        slos:
          - id: s
            pillar: p
            name: n
            sli: {kind: count, events: [future]}
            target: {op: "==", value: 0, unit: count}
        """
    )
    _load(text)


@pytest.mark.parametrize(
    ("sli", "target", "needle"),
    [
        (
            "{kind: ratio, good: {events: [ok]}, bad: {events: [bad]}}",
            '{op: ">=", value: 99.5, unit: ratio}',
            "fraction in [0, 1]",
        ),
        (
            "{kind: quantile, events: [ok], field: d}",
            '{op: ">=", value: 2000, unit: ms}',
            "upper bound",
        ),
        ("{kind: count, events: [ok]}", '{op: "==", value: 0.5, unit: count}', "whole number"),
        ("{kind: monitor, events: [ok]}", '{op: "==", value: 0, unit: count}', "no target"),
        (
            "{kind: rate, bad: {events: [bad]}, total: {events: [ok]}}",
            '{op: ">=", value: 0.1, unit: ratio}',
            "upper bound",
        ),
    ],
)
def test_target_that_makes_no_sense_for_its_kind(sli: str, target: str, needle: str) -> None:
    text = (
        BASE_EVENTS
        + f"slos:\n  - id: s\n    pillar: p\n    name: n\n    sli: {sli}\n    target: {target}\n"
    )
    with pytest.raises(ConfigError) as info:
        _load(text)
    assert needle in str(info.value)
    assert info.value.field == "slos[0].target"
    assert info.value.line == 15


def test_missing_target_on_ratio() -> None:
    text = (
        BASE_EVENTS
        + "slos:\n  - id: s\n    pillar: p\n    name: n\n    sli: {kind: count, events: [ok]}\n"
    )
    with pytest.raises(ConfigError, match="needs a target"):
        _load(text)


def test_ratio_needs_bad_or_total() -> None:
    text = BASE_EVENTS + (
        "slos:\n  - id: s\n    pillar: p\n    name: n\n"
        "    sli: {kind: ratio, good: {events: [ok]}}\n"
        '    target: {op: ">=", value: 0.9, unit: ratio}\n'
    )
    with pytest.raises(ConfigError, match="exactly one of bad"):
        _load(text)


def test_duplicate_yaml_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match="duplicate key") as info:
        _load("version: 1\nproject: a\nproject: b\n")
    assert info.value.line == 3


def test_invalid_yaml_reports_line() -> None:
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        _load("version: 1\nevents: [a\n")
    assert info.value.line is not None


def test_env_substitution() -> None:
    loaded = load_config_text("project: ${NAME:-fallback}\n", env={})
    assert loaded.config.project == "fallback"
    loaded = load_config_text("project: ${NAME}\n", env={"NAME": "team"})
    assert loaded.config.project == "team"
    with pytest.raises(ConfigError, match=r"\$\{MISSING\}"):
        load_config_text("project: ${MISSING}\n", env={})


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")
