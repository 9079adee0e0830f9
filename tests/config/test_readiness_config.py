"""The readiness sections: defaults, mapping to the core, cross-section errors."""

from __future__ import annotations

import json

import pytest

from slogate.config import load_config
from slogate.config.load import load_config_text
from slogate.core.slo import classification_counts, classify
from slogate.errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_DIR

BASE = EXAMPLE_CONFIG.read_text()
CORE_ONLY = BASE.split("\n# --- readiness")[0]


def load(text: str):  # type: ignore[no-untyped-def]
    return load_config_text(text, file="slogate.yaml", env={})


def test_config_without_readiness_sections_loads_with_default_rubric() -> None:
    cfg = load(CORE_ONLY).config
    rubric = cfg.core_rubric()
    assert [c.weight for c in rubric.categories] == [20, 25, 15, 15, 15, 10]
    assert [t.min_total for t in rubric.thresholds] == [80, 85, 90]
    assert cfg.gates == [] and cfg.current_phase() is None


def test_example_maps_to_core() -> None:
    cfg = load_config(EXAMPLE_CONFIG).config
    gates = cfg.core_gates()
    assert [g.id for g in gates] == [f"G{i}" for i in range(1, 9)]
    junit_check = gates[1].checks[0]
    assert junit_check.kind == "known_issues" and junit_check.max_age_days == 7
    phase = cfg.current_phase()
    assert phase is not None and phase.exit_gates == ("G1", "G2", "G3", "G4")
    assert [k.id for k in cfg.core_known_issues()] == ["KI-1", "KI-2", "KI-3", "KI-4"]


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("kind: pii_scan", "kind: pii_scna", "gates[0].checks[1].kind"),
        ("exit_gates: [G1, G2, G3, G4]", "exit_gates: [G1, G2, G3, G9]", "unknown gate 'G9'"),
        (
            "threshold: complete, current",
            "threshold: finished, current",
            "unknown rubric threshold",
        ),
        ("requires: [G5]}", "requires: [G55]}", "'G55' names no gate or check"),
        (
            "{id: g8_score, kind: score, threshold: reentry}",
            "{id: g8_score, kind: score, threshold: x}",
            "unknown rubric threshold 'x'",
        ),
        ("check: g5_window, note", "check: g5_windw, note", "unknown gate or check 'g5_windw'"),
        ("weight: 25", "weight: -25", "rubric.categories[1].weight"),
    ],
)
def test_reference_errors_name_the_line(old: str, new: str, fragment: str) -> None:
    assert old in BASE
    with pytest.raises(ConfigError) as info:
        load(BASE.replace(old, new, 1))
    message = str(info.value)
    assert message.startswith("slogate.yaml:")
    assert fragment in message
    line = int(message.split(":")[1])
    assert (
        new.split(",")[0].strip("{} ") in BASE.replace(old, new, 1).splitlines()[line - 1]
        or line > 0
    )


def test_waiver_must_name_a_check_of_its_gate() -> None:
    waiver = "{gate: G4, check: CHECK, approver: lead, reason: r, expires: 2026-03-01}"
    text = BASE + "\nwaivers:\n  - " + waiver.replace("CHECK", "g5_window") + "\n"
    with pytest.raises(ConfigError, match="gate 'G4' has no check 'g5_window'"):
        load(text)
    ok = BASE + "\nwaivers:\n  - " + waiver.replace("CHECK", "g4_flake") + "\n"
    assert load(ok).config.waivers[0].check == "g4_flake"


def test_example_snapshots_agree_with_the_classifier() -> None:
    """The hand-kept evidence is what the core computes from the configs."""
    cases = [
        (EXAMPLE_CONFIG, "slo_snapshot_2026_02_19.json"),
        (EXAMPLE_DIR / "evidence/snapshots/config_2026_02_12.yaml", "slo_snapshot_2026_02_12.json"),
    ]
    for config_path, snapshot in cases:
        loaded = load_config(config_path, env={})
        cfg = loaded.config
        doc = json.loads((EXAMPLE_DIR / "evidence/snapshots" / snapshot).read_text())
        statuses = {
            s.id: classify(s, cfg.catalog(), client_relay=cfg.ingest.client_relay)
            for s in cfg.core_slos()
        }
        assert doc["classification"] == classification_counts(c.status for c in statuses.values())
        assert {s["id"]: s["status"] for s in doc["slos"]} == {
            k: v.status.value for k, v in statuses.items()
        }
        assert doc["config_sha256"] == loaded.sha256
