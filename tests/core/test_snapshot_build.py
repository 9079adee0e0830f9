"""build_snapshot (pure) and the Markdown rendering of a snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime

from slogate.config import load_config
from slogate.core.result import SLIResult
from slogate.core.slo import classify
from slogate.core.snapshot import build_snapshot, iso_utc, snapshot_filename
from slogate.report.snapshot import format_value, render_snapshot_markdown
from tests.conftest import EXAMPLE_CONFIG

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def _document(results: dict[str, SLIResult | None]) -> dict:
    loaded = load_config(EXAMPLE_CONFIG)
    cfg = loaded.config
    slos = cfg.core_slos()
    classes = {s.id: classify(s, cfg.catalog(), client_relay=True) for s in slos}
    return build_snapshot(
        slos=slos,
        classifications=classes,
        results=results,
        inputs={"files": 2, "lines": 10, "events": 8, "duplicates": 1, "rejected": {"x": 1}},
        config_sha256=loaded.sha256,
        tool_version="9.9",
        engine="duckdb",
        generated=NOW,
        day=date(2026, 11, 22),
        since=datetime(2026, 11, 22, tzinfo=UTC),
        until=datetime(2026, 11, 23, tzinfo=UTC),
    )


def test_snapshot_document_shape_and_values() -> None:
    results = {
        "hydra_preset_load_success": SLIResult(
            "hydra_preset_load_success", 0.996, 996, 1000, 1000, {"good": 996, "bad": 4}
        ),
        "hydra_first_frame_p95": SLIResult(
            "hydra_first_frame_p95", 2400.0, 90, 100, 100, {"samples": 100, "within": 90}
        ),
        "auth_permission_incidents": SLIResult(
            "auth_permission_incidents", 0.0, None, None, 0, {"matched": 0}
        ),
        # A blocked SLO never shows a value even if something was computed.
        "auth_token_refresh_success": SLIResult(
            "auth_token_refresh_success", 1.0, 1, 1, 1, {"good": 1, "bad": 0}
        ),
    }
    doc = _document(results)
    assert doc["generated"] == "2026-11-23T06:30:00.000Z"
    assert doc["date"] == "2026-11-22"
    assert doc["window"] == {
        "since": "2026-11-22T00:00:00.000Z",
        "until": "2026-11-23T00:00:00.000Z",
    }
    assert doc["inputs"]["rejected"] == {"x": 1} and doc["inputs"]["events"] == 8
    assert doc["classification"] == {
        "measurable_now": 12,
        "instrumented_not_computable": 0,
        "instrumented_needs_soak": 2,
        "blocked": 1,
    }
    by_id = {s["id"]: s for s in doc["slos"]}
    assert len(by_id) == 15
    ok = by_id["hydra_preset_load_success"]
    assert (ok["value"], ok["met"], ok["good"], ok["total"], ok["samples"]) == (
        0.996,
        True,
        996,
        1000,
        1000,
    )
    assert ok["target"] == {"op": ">=", "value": 0.995, "unit": "ratio"}
    assert by_id["hydra_first_frame_p95"]["met"] is False
    assert by_id["auth_permission_incidents"]["met"] is True
    blocked = by_id["auth_token_refresh_success"]
    assert (blocked["status"], blocked["value"], blocked["met"]) == ("blocked", None, None)
    missing = by_id["queue_reconnect_p95"]
    assert (missing["value"], missing["met"], missing["samples"]) == (None, None, 0)
    assert by_id["socket_connection_lifecycle"]["target"] is None
    assert doc["summary"] == {"slos": 15, "met": 2, "missed": 1, "no_data": 12}


def test_markdown_lists_every_slo_and_inputs() -> None:
    doc = _document({})
    text = render_snapshot_markdown(doc)
    assert text.startswith("# SLO snapshot 2026-11-22\n")
    for slo in doc["slos"]:
        assert f"(`{slo['id']}`)" in text
    assert "Rejected: x 1" in text
    assert "| blocked | 1 |" in text


def test_formatting_helpers() -> None:
    assert format_value(0.9995, "ratio") == "99.95 %"
    assert format_value(0.5, "ratio") == "50 %"
    assert format_value(None, "ms") == "no data"
    assert format_value(2400.0, "ms") == "2,400 ms"
    assert snapshot_filename(date(2026, 1, 2)) == "slo_snapshot_2026_01_02.json"
    assert iso_utc(None) is None
    assert iso_utc(datetime(2026, 1, 1)) == "2026-01-01T00:00:00.000Z"
