"""PII scan of a real store directory, and the G1 check reading its result."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from slogate.config import load_config
from slogate.evidence.pii import scan_store
from tests.conftest import EXAMPLE_CONFIG

CLEAN = {
    "ts": "2026-02-19T10:00:00.123Z",
    "event": "queue_cmd_ack",
    "source": "server",
    "v": 1,
    "session_id": "s-1",
    "user_id": "u-1",
    "room_id": "r-1",
    "cmd_id": "c-1",
    "cmd_type": "enqueue",
}


def _store(root: Path, events: list[dict]) -> Path:
    part = root / "events" / "date=2026-02-19"
    part.mkdir(parents=True)
    (part / "a-000001.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return root


def test_clean_store_has_no_findings(tmp_path: Path) -> None:
    catalog = load_config(EXAMPLE_CONFIG).config.catalog()
    store = _store(tmp_path / "data", [CLEAN, {**CLEAN, "cmd_id": "c-2"}])
    doc = scan_store(store, catalog, sample=10, day=date(2026, 2, 19))
    assert doc["events_scanned"] == 2 and doc["findings"] == []
    assert doc["missing_correlation"] == {}


def test_pii_and_missing_correlation_are_found_by_field_name_only(tmp_path: Path) -> None:
    catalog = load_config(EXAMPLE_CONFIG).config.catalog()
    leaky = {**CLEAN, "error": "user bob@example.com failed", "cmd_id": "c-3"}
    uncorrelated = {k: v for k, v in CLEAN.items() if k != "room_id"}
    store = _store(tmp_path / "data", [leaky, uncorrelated, CLEAN])
    doc = scan_store(store, catalog, sample=10, day=date(2026, 2, 19))
    assert doc["findings_total"] == 1
    assert doc["findings"][0]["fields"] == ["error"]
    assert "bob@example.com" not in json.dumps(doc)
    assert doc["missing_correlation"] == {"queue_cmd_ack": 1}


def test_parquet_segments_are_read_and_jsonl_twin_ignored(tmp_path: Path) -> None:
    catalog = load_config(EXAMPLE_CONFIG).config.catalog()
    store = _store(tmp_path / "data", [{**CLEAN, "token": "secret"}])  # jsonl twin: ignored
    table = pa.table(
        {
            "ts": ["2026-02-19T10:00:00.123Z"],
            "event": ["queue_cmd_ack"],
            "source": ["server"],
            "v": [1],
            "event_id": [None],
            "session_id": ["s-1"],
            "user_id": ["u-1"],
            "room_id": ["r-1"],
            "attrs": [json.dumps({"cmd_id": "c-9", "cmd_type": "enqueue"})],
        }
    )
    pq.write_table(table, store / "events" / "date=2026-02-19" / "a-000001.parquet")
    doc = scan_store(store, catalog, sample=10, day=date(2026, 2, 19))
    assert doc["events_scanned"] == 1 and doc["findings"] == []


def test_cli_writes_evidence(tmp_path: Path) -> None:
    store = _store(tmp_path / "data", [CLEAN])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "slogate",
            "pii-scan",
            "--config",
            str(EXAMPLE_CONFIG),
            "--data",
            str(store),
            "--evidence",
            str(tmp_path / "ev"),
            "--date",
            "2026-02-19",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "ev" / "pii" / "pii_scan_2026_02_19.json").read_text())
    assert doc["events_scanned"] == 1
