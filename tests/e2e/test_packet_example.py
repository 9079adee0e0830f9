"""`slogate packet` on the example reproduces the seed packet's facts (compared in
the JSON, not the prose), and bad input fails in one line with exit 2 and no packet."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_DIR

EVIDENCE = EXAMPLE_DIR / "evidence"


def slogate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slogate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def packet(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict, Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("packet")
    proc = slogate(
        "packet",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(EVIDENCE),
        "--date",
        "2026-02-19",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "readiness_packet_2026_02_19.json").read_text())
    return doc, out, proc


def test_decision_and_score(packet) -> None:
    doc, _, proc = packet
    assert doc["decision"]["verdict"] == "NO-GO"
    assert "NO-GO" in proc.stdout
    rubric = doc["rubric"]
    assert rubric["total"] == 68.75
    assert rubric["threshold"]["min_total"] == 80
    assert rubric["gap"] == 11.25
    assert [h["total"] for h in rubric["history"]] == [46.25, 55.0, 68.75]
    paths = rubric["uplift"]["paths"]
    assert len(paths) == 1
    steps = [(i["name"], i["from"], i["to"], i["points"]) for i in paths[0]["increments"]]
    assert steps == [
        ("Measurement Completeness", 3, 4, 5.0),
        ("Reliability Outcomes", 2, 3, 6.25),
    ]
    assert any(b.startswith("Score 68.75 < 80") for b in doc["decision"]["blockers"])
    assert rubric["over_claims"] == []


def test_gates(packet) -> None:
    doc, _, _ = packet
    status = {g["id"]: g["status"] for g in doc["gates"]}
    for gate in ("G1", "G2", "G3", "G4"):
        assert status[gate] == "PASS", (gate, doc["gates"])
    for gate in ("G5", "G6", "G7"):
        assert status[gate] in ("IN_PROGRESS", "NOT_STARTED")
    g4 = next(g for g in doc["gates"] if g["id"] == "G4")
    flake = next(c for c in g4["checks"] if c["kind"] == "flake")
    assert (
        "0.0 %" in flake["reason"] and "13.9 %" in flake["reason"] and "20 runs" in flake["reason"]
    )


def test_classification_and_transitions(packet) -> None:
    doc, _, _ = packet
    assert doc["classification"]["counts"] == {
        "measurable_now": 12,
        "instrumented_not_computable": 0,
        "instrumented_needs_soak": 2,
        "blocked": 1,
    }
    assert doc["classification"]["previous"]["counts"] == {
        "measurable_now": 4,
        "instrumented_not_computable": 6,
        "instrumented_needs_soak": 0,
        "blocked": 5,
    }
    moves = {(t["from"], t["to"]): t["count"] for t in doc["transitions"]["slo_classes"]}
    assert moves[("instrumented_not_computable", "measurable_now")] == 6
    assert moves[("blocked", "measurable_now")] == 2
    assert moves[("blocked", "instrumented_needs_soak")] == 2
    assert moves[("blocked", "blocked")] == 1
    assert doc["transitions"]["score"]["delta"] == 13.75
    assert doc["transitions"]["previous_packet"] == "packets/readiness_packet_2026_02_12.json"
    gates = {t["gate"]: (t["from"], t["to"]) for t in doc["transitions"]["gates"]}
    assert gates["G1"] == ("FAIL", "PASS")
    assert gates["G3"] == ("FAIL", "PASS")
    assert gates["G4"] == ("FAIL", "PASS")
    assert "G2" not in gates  # PASS both weeks


def test_provenance_and_links(packet) -> None:
    doc, out, _ = packet
    assert doc["config"]["sha256"] == hashlib.sha256(EXAMPLE_CONFIG.read_bytes()).hexdigest()
    assert doc["tool_version"]
    files = doc["evidence"]["files"]
    assert len(files) >= 10
    for rel, digest in files.items():
        assert hashlib.sha256((EVIDENCE / rel).read_bytes()).hexdigest() == digest
    for ref in doc["evidence"]["references"]:
        assert not Path(ref["link"]).is_absolute()
        assert (out / ref["link"]).resolve().exists(), ref
    for gate in doc["gates"]:
        for rel in gate["evidence"]:
            assert rel in files
    md = (out / "readiness_packet_2026_02_19.md").read_text()
    html = (out / "readiness_packet_2026_02_19.html").read_text()
    assert "## 2. Gate Status Matrix" in md and "## 7. Evidence References" in md
    assert "<svg" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "<script" not in html


def test_reproducible_on_a_later_day(packet, tmp_path: Path) -> None:
    doc, _, _ = packet
    proc = slogate(
        "packet",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(EVIDENCE),
        "--date",
        "2026-02-19",
        "--out",
        str(tmp_path),
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    again = json.loads((tmp_path / "readiness_packet_2026_02_19.json").read_text())
    for key in ("decision", "gates", "rubric", "classification", "transitions"):
        assert again[key] == doc[key]


def test_gates_command_exit_codes(tmp_path: Path) -> None:
    base = [
        "gates",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(EVIDENCE),
        "--date",
        "2026-02-19",
    ]
    ok = slogate(*base, "--require", "G1,G2,G3,G4", "--json")
    assert ok.returncode == 0, ok.stderr
    assert {g["id"]: g["status"] for g in json.loads(ok.stdout)["gates"]}["G2"] == "PASS"
    blocked = slogate(*base, "--require", "G1,G5")
    assert blocked.returncode == 1
    assert "G5" in blocked.stderr
    summary = tmp_path / "summary.md"
    import os

    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    slogate(*base, "--require", "G1", "--github-summary", env=env)
    assert "| G1: Instrumentation completeness | **PASS** |" in summary.read_text()


def test_score_command_prints_uplift() -> None:
    proc = slogate(
        "score",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(EVIDENCE),
        "--date",
        "2026-02-19",
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "Measurement Completeness 3->4 (+5.00) + Reliability Outcomes 2->3 (+6.25)" in proc.stdout
    )
    assert "68.75" in proc.stdout


# --- bad input: one line naming the file, exit 2, no partial packet -------------------


@pytest.fixture
def evidence_copy(tmp_path: Path) -> Path:
    target = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, target, ignore=shutil.ignore_patterns("packets"))
    return target


def _assert_rejected(evidence: Path, out: Path, fragment: str) -> None:
    proc = slogate(
        "packet",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(evidence),
        "--date",
        "2026-02-19",
        "--out",
        str(out),
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_scorecard_out_of_range(evidence_copy: Path, tmp_path: Path) -> None:
    card = evidence_copy / "scorecards" / "2026-02-16.yaml"
    card.write_text(card.read_text().replace("score: 2\n", "score: 5\n"))
    _assert_rejected(evidence_copy, tmp_path / "out", "2026-02-16.yaml")


def test_scorecard_unknown_category(evidence_copy: Path, tmp_path: Path) -> None:
    card = evidence_copy / "scorecards" / "2026-02-09.yaml"
    card.write_text(card.read_text() + "  vibes: {score: 4}\n")
    _assert_rejected(evidence_copy, tmp_path / "out", "unknown category 'vibes'")


def test_junit_not_xml(evidence_copy: Path, tmp_path: Path) -> None:
    (evidence_copy / "junit" / "broken.xml").write_text("PASS 12 tests\n")
    _assert_rejected(evidence_copy, tmp_path / "out", "broken.xml")


def test_junit_billion_laughs(evidence_copy: Path, tmp_path: Path) -> None:
    (evidence_copy / "junit" / "lol.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<testsuite><testcase name='&lol2;'/></testsuite>"
    )
    _assert_rejected(evidence_copy, tmp_path / "out", "lol.xml: hostile XML")


def test_junit_external_entity(evidence_copy: Path, tmp_path: Path) -> None:
    (evidence_copy / "junit" / "xxe.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<testsuite><testcase name='&xxe;'/></testsuite>"
    )
    _assert_rejected(evidence_copy, tmp_path / "out", "xxe.xml: hostile XML")


def test_evidence_from_the_future(evidence_copy: Path, tmp_path: Path) -> None:
    (evidence_copy / "scorecards" / "2999-01-04.yaml").write_text(
        "categories: {measurement: 4, outcomes: 4, tests: 4, security: 4,"
        " operability: 4, delivery: 4}\n"
    )
    _assert_rejected(evidence_copy, tmp_path / "out", "in the future")


def test_gate_naming_unknown_check(tmp_path: Path) -> None:
    text = EXAMPLE_CONFIG.read_text().replace("kind: pii_scan", "kind: pii_scna")
    config = tmp_path / "slogate.yaml"
    config.write_text(text)
    proc = slogate(
        "packet",
        "--config",
        str(config),
        "--evidence",
        str(EVIDENCE),
        "--date",
        "2026-02-19",
        "--out",
        str(tmp_path / "out"),
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "slogate.yaml:" in proc.stderr and "kind" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_later_evidence_is_left_out_not_fatal(evidence_copy: Path, tmp_path: Path) -> None:
    card = evidence_copy / "scorecards" / "2026-02-23.yaml"
    card.write_text(
        "categories: {measurement: 4, outcomes: 3, tests: 3, security: 3,"
        " operability: 3, delivery: 3}\n"
    )
    proc = slogate(
        "packet",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(evidence_copy),
        "--date",
        "2026-02-19",
        "--out",
        str(tmp_path / "o"),
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o" / "readiness_packet_2026_02_19.json").read_text())
    assert doc["rubric"]["total"] == 68.75
    assert {
        "path": "scorecards/2026-02-23.yaml",
        "reason": "dated 2026-02-23, after 2026-02-19",
    } in doc["evidence"]["ignored"]


def test_runbook_in_the_example_is_generated_from_the_catalog() -> None:
    proc = slogate("runbook", "--config", str(EXAMPLE_CONFIG), "--date", "2026-02-19")
    assert proc.returncode == 0, proc.stderr
    committed = EVIDENCE / "runbook" / "validation_window_runbook_2026_02_19.md"
    assert proc.stdout == committed.read_text()


def test_score_flags_an_over_claim(evidence_copy: Path) -> None:
    card = evidence_copy / "scorecards" / "2026-02-16.yaml"
    card.write_text(card.read_text().replace("    score: 3\n", "    score: 4\n", 1))
    proc = slogate(
        "score",
        "--config",
        str(EXAMPLE_CONFIG),
        "--evidence",
        str(evidence_copy),
        "--date",
        "2026-02-19",
    )
    assert proc.returncode == 0, proc.stderr
    assert "OVER-CLAIM: Measurement Completeness claims 4, evidence supports 3" in proc.stdout
