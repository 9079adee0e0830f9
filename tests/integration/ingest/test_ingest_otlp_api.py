"""OTLP/HTTP JSON logs mapped to events, and schemathesis against /openapi.json."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.ingest.ingest_server import Server, start_server

SETTINGS = {"requests_per_minute": 100000, "events_per_minute": 100000000}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("ingest-otlp"), SETTINGS)
    yield srv
    srv.stop()


def _attr(key: str, value: dict) -> dict:
    return {"key": key, "value": value}


def test_otlp_logs_become_events(server: Server) -> None:
    marker = uuid.uuid4().hex
    nanos = str(int(time.time() * 1e9))
    doc = {
        "resourceLogs": [
            {
                "resource": {"attributes": [_attr("service.name", {"stringValue": "web"})]},
                "scopeLogs": [
                    {
                        "scope": {"name": "app"},
                        "logRecords": [
                            {
                                "timeUnixNano": nanos,
                                "severityText": "INFO",
                                "body": {"stringValue": "frame ready"},
                                "attributes": [
                                    _attr("event.name", {"stringValue": "video_init_frame_ready"}),
                                    _attr("time_to_ready_ms", {"doubleValue": 812.5}),
                                    _attr("browser", {"stringValue": "chromium"}),
                                    _attr("session.id", {"stringValue": "s-otlp"}),
                                    _attr("marker", {"stringValue": marker}),
                                    _attr("user_id", {"stringValue": "forged"}),
                                    _attr("tags", {"arrayValue": {"values": [{"intValue": "3"}]}}),
                                ],
                            },
                            {
                                "body": {"stringValue": "session_start"},
                                "attributes": [_attr("marker", {"stringValue": marker})],
                            },
                            {"body": {"stringValue": "no_such_event"}},
                            {"attributes": [_attr("x", {"intValue": "1"})]},
                            {
                                "attributes": [
                                    _attr(
                                        "event.name", {"stringValue": "hydra_preset_eval_success"}
                                    ),
                                    _attr("duration_ms", {"stringValue": "slow"}),
                                ]
                            },
                        ],
                    }
                ],
            }
        ]
    }
    with server.client() as c:
        r = c.post("/v1/logs", json=doc)
        assert r.status_code == 200, r.text
        partial = r.json()["partialSuccess"]
        assert partial["rejectedLogRecords"] == 3
        assert "unknown_event" in partial["errorMessage"]
        assert "wrong_type" in partial["errorMessage"]
        empty = c.post("/v1/logs", json={"resourceLogs": []})
        assert empty.status_code == 200 and empty.json() == {}
        proto = c.post(
            "/v1/logs", content=b"\x0a", headers={"content-type": "application/x-protobuf"}
        )
        assert proto.status_code == 415
    stored = [json.loads(x) for x in server.event_lines() if marker in x]
    by_name = {s["event"]: s for s in stored}
    assert set(by_name) == {"video_init_frame_ready", "session_start"}
    frame = by_name["video_init_frame_ready"]
    assert frame["time_to_ready_ms"] == 812.5 and frame["browser"] == "chromium"
    assert frame["session_id"] == "s-otlp" and frame["service"] == "web"
    assert frame["source"] == "client-relay" and "user_id" not in frame
    assert frame["client_ts"].endswith("Z") and frame["message"] == "frame ready"
    assert frame["tags"] == [3]
    dead = [json.loads(x) for x in server.dead_letter_lines()]
    assert {d["source"] for d in dead} == {"otlp"}
    assert len(dead) == 3


def test_schemathesis_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--request-timeout",
            "10",
            "--seed",
            "20260219",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert server.alive()
    with server.client() as c:
        metrics = c.get("/metrics").text
    # schemathesis really reached the ingest route, and nothing answered 5xx.
    assert 'route="ingest"' in metrics
    assert 'status="5' not in metrics
