"""The synthetic week: deterministic, complete, with the declared faults."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from slogate.config import load_config
from slogate.demo import Garbage, Outage, QuietPeriod, Rates, Scenario, generate_week
from slogate.demo.bulk import BulkSpec, bulk_days, jsonl_lines
from slogate.demo.lines import client_line, event_line, server_line
from tests.conftest import EXAMPLE_CONFIG

START = datetime(2026, 2, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def week():
    return generate_week(Scenario(start=START))


@pytest.fixture(scope="module")
def catalog():
    return load_config(EXAMPLE_CONFIG).config.catalog()


def _all_lines(week) -> list[str]:
    return [event_line(e) for e in week.events] + [g.text for g in week.garbage]


def test_same_seed_same_week_and_another_seed_differs() -> None:
    first = generate_week(Scenario(start=START, days=2))
    again = generate_week(Scenario(start=START, days=2))
    assert _all_lines(again) == _all_lines(first)
    other = generate_week(Scenario(start=START, days=2, seed=8))
    assert _all_lines(other) != _all_lines(first)


def test_start_date_is_injected_and_respected(week) -> None:
    assert min(e.ts for e in week.events) >= START
    assert max(e.ts for e in week.events) < START + timedelta(days=7)
    days = {e.ts.date() for e in week.events}
    assert days == {date(2026, 2, 20) + timedelta(days=i) for i in range(7)}
    shifted = generate_week(Scenario(start=START + timedelta(days=30), days=2))
    assert {e.ts.date() for e in shifted.events} == {date(2026, 3, 22), date(2026, 3, 23)}


def test_realistic_volume_and_diurnal_shape(week) -> None:
    per_day = week.stats["sessions"] / 7
    assert 150 <= per_day <= 400, per_day
    starts = [e.ts for e in week.events if e.name == "session_start"]
    by_hour = Counter(ts.hour for ts in starts)
    assert by_hour[15] > 3 * by_hour[3]  # afternoon peak, quiet night


def test_every_catalog_family_and_event_appears(week, catalog) -> None:
    names = set(week.counts_by_event())
    assert {catalog.events[n].family for n in names if n in catalog} == set(catalog.families())
    common = set(catalog.events) - {
        "session_error",
        "auth_guest_join_failure",
        "auth_session_check_failure",
        "queue_cmd_error",
    }
    assert common <= names
    # With failure rates turned up, every catalog event is emitted.
    noisy = Rates(
        preset_error=0.05,
        session_crash=0.05,
        login_failure=0.05,
        queue_error=0.05,
        video_error_chrome=0.05,
        video_error_firefox=0.05,
        proxy_413=0.05,
    )
    loud = generate_week(Scenario(start=START, days=1, sessions_per_day=200, rates=noisy))
    assert set(catalog.events) <= set(loud.counts_by_event())
    assert not set(loud.counts_by_event()) - set(catalog.events)  # only garbage is unknown


def test_browsers_latencies_and_soak_sessions(week) -> None:
    browsers = {e.fields["browser"].split()[0] for e in week.events if "browser" in e.fields}
    assert browsers == {"Firefox", "Chrome"}
    durations = sorted(
        e.fields["duration_ms"] for e in week.events if e.name == "hydra_preset_eval_success"
    )
    p95 = durations[int(0.95 * len(durations))]
    assert 1200 < p95 < 2000  # near but under the 2 s target
    soak = {
        e.session_id
        for e in week.events
        if e.name == "memory_health_sample" and e.fields["switch_count"] >= 100
    }
    assert len(soak) == 4


def test_lost_and_duplicate_commands_as_declared(week) -> None:
    sent = {e.fields["cmd_id"] for e in week.events if e.name == "queue_cmd_sent"}
    acks = Counter(e.fields["cmd_id"] for e in week.events if e.name == "queue_cmd_ack")
    errors = {e.fields["cmd_id"] for e in week.events if e.name == "queue_cmd_error"}
    lost = sent - set(acks) - errors
    assert len(lost) == week.stats["lost_commands"] == 2
    assert sum(1 for n in acks.values() if n > 1) == week.stats["duplicate_commands"] == 3


def test_garbage_counts_as_declared(week) -> None:
    declared = Garbage()
    reasons = Counter(g.reason for g in week.garbage)
    assert reasons == {
        "unparsable": declared.unparsable,
        "truncated": declared.truncated,
        "missing_name": declared.missing_name,
        "missing_ts": declared.missing_ts,
        "unknown_event": declared.unknown_event,
    }
    for line in week.garbage:
        text = line.text[line.text.find("{") :] if "{" in line.text else line.text
        if line.reason in ("unparsable", "truncated"):
            with pytest.raises(ValueError):
                json.loads(text)
        else:
            obj = json.loads(text)
            if line.reason == "missing_name":
                assert not {"event", "name", "type"} & set(obj)
            elif line.reason == "missing_ts":
                assert not {"ts", "timestamp", "time"} & set(obj)
    retries = [e for e in week.events if e.retry]
    assert len(retries) == declared.duplicates
    originals = {e.event_id for e in week.events if not e.retry}
    assert all(e.event_id in originals for e in retries)


def test_line_formats(week) -> None:
    client = next(e for e in week.events if e.origin == "client")
    obj = json.loads(client_line(client))
    assert obj["source"] == "client-relay" and obj["event_id"] and obj["ts"].endswith("Z")
    assert obj["event"] == client.name and "client_ts" in obj
    server = next(e for e in week.events if e.origin == "server")
    line = server_line(server)
    prefix, _, body = line.partition(" INFO app.telemetry ")
    assert prefix == json.loads(body)["ts"]
    assert json.loads(body)["source"] == "server"


def _outcomes(events, start, end, good: str, bad: str) -> tuple[int, int]:
    inside = [e for e in events if start <= e.ts < end and e.name in (good, bad)]
    return sum(1 for e in inside if e.name == bad), len(inside)


def test_outage_produces_declared_error_rate_in_interval() -> None:
    start = START + timedelta(hours=11)
    outage = Outage(
        start=start,
        duration=timedelta(hours=4),
        error_rate=0.3,
        targets=("streaming_video_init_success",),
        latency_factor=2.0,
    )
    sc = Scenario(start=START, days=1, sessions_per_day=1500, outages=(outage,))
    week = generate_week(sc)
    # Outcomes are logged after the init started: allow for the init latency.
    lag = timedelta(seconds=30)
    bad, total = _outcomes(
        week.events, start + lag, outage.end, "video_init_frame_ready", "video_init_error"
    )
    assert total > 500
    assert abs(bad / total - 0.3) < 0.05, (bad, total)
    before_bad, before_total = _outcomes(
        week.events, START, start, "video_init_frame_ready", "video_init_error"
    )
    assert before_total > 200 and before_bad / before_total < 0.03
    # Other flows are untouched by a video outage.
    preset_bad, preset_total = _outcomes(
        week.events, start, outage.end, "hydra_preset_eval_success", "hydra_preset_eval_error"
    )
    assert preset_bad / preset_total < 0.01
    ready = [
        e.fields["time_to_ready_ms"]
        for e in week.events
        if e.name == "video_init_frame_ready" and start + lag <= e.ts < outage.end
    ]
    assert sorted(ready)[len(ready) // 2] > 1.6 * 1200  # median doubled


def test_quiet_period_has_no_traffic_for_named_events() -> None:
    quiet = QuietPeriod(start=START + timedelta(hours=8), duration=timedelta(hours=6),
                        targets=("queue",))  # fmt: skip
    week = generate_week(Scenario(start=START, days=1, quiet=(quiet,)))
    queue = {"queue_cmd_sent", "queue_cmd_ack", "queue_cmd_error"}
    inside = [e for e in week.events if quiet.start <= e.ts < quiet.end]
    assert inside and not [e for e in inside if e.name in queue]
    assert any(e.name == "queue_cmd_sent" for e in week.events if e.ts >= quiet.end)


def test_bad_knobs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown flow"):
        Scenario(start=START, outages=(Outage(START, timedelta(hours=1), 0.5, ("nope",)),))
    with pytest.raises(ValueError, match="timezone"):
        Scenario(start=datetime(2026, 2, 20))


def test_bulk_is_fast_shaped_exact_and_deterministic(catalog) -> None:
    spec = BulkSpec(start=START, events_per_day=20_000, days=2, seed=3)
    days = list(bulk_days(spec))
    assert [len(rows) for _, rows in days] == [20_000, 20_000]
    again = list(bulk_days(spec))
    assert again == days
    names = Counter(row[1] for _, rows in days for row in rows)
    assert set(names) <= set(catalog.events)
    assert {catalog.events[n].family for n in names} == set(catalog.families())
    lines = list(jsonl_lines(days[1][1], spec.day_start(1)))
    for line, row in zip(lines[:500], days[1][1][:500], strict=True):
        obj = json.loads(line)
        assert obj["event"] == row[1]
        assert obj["ts"].startswith("2026-02-21T")
        assert json.loads(row[7]).items() <= obj.items()


def test_parse_outage_from_the_command_line() -> None:
    from slogate.demo.scenario import parse_outage

    outage = parse_outage("2026-02-05T14:00/2h/0.2/streaming_video_init_success,queue/1.5")
    assert outage.start == datetime(2026, 2, 5, 14, tzinfo=UTC)
    assert outage.end == datetime(2026, 2, 5, 16, tzinfo=UTC)
    assert (outage.error_rate, outage.latency_factor) == (0.2, 1.5)
    assert outage.targets == ("streaming_video_init_success", "queue")
    assert parse_outage("2026-02-05T14:00Z/30m/1/proxy").duration == timedelta(minutes=30)
    bad_specs = (
        "2026-02-05/2h/0.2",
        "x/2h/0.2/proxy",
        "2026-02-05/2x/0.2/proxy",
        "2026-02-05/2h/1.2/proxy",
        "2026-02-05/2h/0.2/nope",
        "2026-02-05/0h/0.2/proxy",
    )
    for bad in bad_specs:
        with pytest.raises(ValueError):
            parse_outage(bad)
