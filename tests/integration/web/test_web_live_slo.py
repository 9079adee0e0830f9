"""While `slogate serve` runs: live SLO gauges on /metrics and the daily snapshot."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from slogate.config import load_config
from slogate.services.daily import days_to_snapshot, store_days, write_missing_daily_snapshots
from tests.conftest import EXAMPLE_CONFIG
from tests.integration.ingest.ingest_server import start_server, wait_for

SETTLE = timedelta(minutes=5)


def test_only_finished_settled_days_without_a_snapshot_are_due() -> None:
    days = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    now = datetime(2026, 11, 21, 0, 10, tzinfo=UTC)
    due = days_to_snapshot(days, {date(2026, 11, 19)}, now=now, settle=SETTLE, lookback_days=7)
    assert due == [date(2026, 11, 18), date(2026, 11, 20)]
    early = datetime(2026, 11, 21, 0, 2, tzinfo=UTC)
    assert date(2026, 11, 20) not in days_to_snapshot(
        days, set(), now=early, settle=SETTLE, lookback_days=7
    )
    late = datetime(2026, 12, 1, tzinfo=UTC)
    assert days_to_snapshot(days, set(), now=late, settle=SETTLE, lookback_days=7) == []


def _write_day(data: Path, day: date, good: int, bad: int) -> None:
    part = data / "events" / f"date={day.isoformat()}"
    part.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(good + bad):
        name = "hydra_preset_eval_success" if i < good else "hydra_preset_eval_error"
        ts = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=i)
        event = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "event": name, "v": 1}
        event |= {"source": "client-relay", "session_id": f"s{i}", "event_id": f"e-{day}-{i}"}
        if name.endswith("success"):
            event["duration_ms"] = 100 + i
        lines.append(json.dumps(event))
    (part / "t1-000001.jsonl").write_text("\n".join(lines) + "\n")


def test_finished_days_get_their_snapshot_once(tmp_path: Path) -> None:
    loaded = load_config(EXAMPLE_CONFIG)
    data, evidence = tmp_path / "data", tmp_path / "evidence"
    _write_day(data, date(2026, 11, 20), good=9, bad=1)
    _write_day(data, date(2026, 11, 21), good=5, bad=0)
    assert store_days(data) == [date(2026, 11, 20), date(2026, 11, 21)]
    now = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    written = write_missing_daily_snapshots(loaded, data, evidence, now=now)
    assert [p.name for p in written] == ["slo_snapshot_2026_11_20.json"]
    doc = json.loads(written[0].read_text())
    assert doc["date"] == "2026-11-20"
    preset = {s["id"]: s for s in doc["slos"]}["hydra_preset_load_success"]
    assert preset["good"] == 9 and preset["total"] == 10
    assert abs(preset["value"] - 0.9) < 1e-12
    # The day in progress is not written, and a second pass writes nothing new.
    assert write_missing_daily_snapshots(loaded, data, evidence, now=now) == []
    assert not (evidence / "snapshots" / "slo_snapshot_2026_11_21.json").exists()


def _gauge(text: str, name: str, slo: str) -> float | None:
    pattern = rf'^{name}\{{pillar="[^"]*",slo="{slo}"\}} (\S+)$'
    match = re.search(pattern, text, flags=re.MULTILINE)
    return float(match.group(1)) if match else None


def test_metrics_expose_live_sli_budget_and_burn_rate(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, sections={"dashboard": {"metrics_refresh_seconds": 1}}, instance="live"
    )
    try:
        events = [{"event": "hydra_preset_eval_success", "duration_ms": 120}] * 19
        events = events + [{"event": "hydra_preset_eval_error", "error": "boom"}]
        with server.client() as http:
            answer = http.post("/api/telemetry/ingest", json={"events": events})
            assert answer.json()["accepted"] == 20

            def sli_seen() -> bool:
                return (
                    _gauge(
                        http.get("/metrics").text, "slogate_slo_sli", "hydra_preset_load_success"
                    )
                    is not None
                )

            wait_for(sli_seen, 30, "the live SLI gauge")
            text = http.get("/metrics").text
        sli = _gauge(text, "slogate_slo_sli", "hydra_preset_load_success")
        assert sli is not None and abs(sli - 0.95) < 1e-9
        assert _gauge(text, "slogate_slo_target", "hydra_preset_load_success") == 0.995
        assert _gauge(text, "slogate_slo_samples", "hydra_preset_load_success") == 20
        # 1 bad in 20 against an allowed 0.5 %: the last hour burns at 10x.
        burn = _gauge(text, "slogate_slo_burn_rate", "hydra_preset_load_success")
        assert burn is not None and abs(burn - 0.05 / 0.005) < 1e-6
        remaining = _gauge(
            text, "slogate_slo_error_budget_remaining_ratio", "hydra_preset_load_success"
        )
        assert remaining is not None and remaining < 1.0
        assert "slogate_slo_refreshed_timestamp_seconds" in text
    finally:
        server.stop()


def test_ingest_page_lists_the_clients_that_were_rate_limited(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"requests_per_minute": 2}, instance="limits")
    try:
        with server.client() as http:
            codes = [
                http.post(
                    "/api/telemetry/ingest", json={"events": [{"event": "session_start"}]}
                ).status_code
                for _ in range(5)
            ]
            assert codes == [200, 200, 429, 429, 429]
            status = http.get("/api/dashboard/ingest").json()
        text = json.dumps(status)
        assert "anon|127.0.0.1" in text
        limited = [c for c in _find_lists(status, "client") if c["client"] == "anon|127.0.0.1"]
        assert limited and limited[0]["count"] == 3
    finally:
        server.stop()


def _find_lists(node: object, key: str) -> list[dict]:
    """Every dict carrying `key` anywhere in a JSON document."""
    found: list[dict] = []
    if isinstance(node, dict):
        if key in node:
            found.append(node)
        for value in node.values():
            found.extend(_find_lists(value, key))
    elif isinstance(node, list):
        for value in node:
            found.extend(_find_lists(value, key))
    return found
