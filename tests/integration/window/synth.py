"""Synthetic event logs with known ground truth for the window tests.

One preset evaluation every 30 s (hydra, ratio >= 99.5 %, and a p95 <= 2 s on
its duration), one proxy response every 60 s (streaming, 413 rate < 0.1 %).
Scenarios add outages (a share of preset evaluations fail inside a time range),
extra failures on given days, or drop a day of proxy traffic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)

CONFIG = """
version: 1
project: window-test
events:
  - {name: hydra_preset_eval_success, family: hydra, origin: server, fields: {duration_ms: number}}
  - {name: hydra_preset_eval_error, family: hydra, origin: server, fields: {error: string}}
  - {name: video_proxy_response, family: video, origin: server, fields: {status: integer}}
  - {name: auth_permission_denied, family: auth, origin: server, fields: {path: string}}
slos:
  - id: hydra_preset_load_success
    pillar: hydra
    name: Preset load success
    sli:
      kind: ratio
      good: {events: [hydra_preset_eval_success]}
      bad: {events: [hydra_preset_eval_error]}
    target: {op: ">=", value: 0.995, unit: ratio}
  - id: hydra_first_frame_p95
    pillar: hydra
    name: First frame p95
    sli: {kind: quantile, events: [hydra_preset_eval_success], field: duration_ms, quantile: 0.95}
    target: {op: "<=", value: 2000, unit: ms}
  - id: streaming_proxy_413_rate
    pillar: streaming
    name: Proxy 413 rate
    sli:
      kind: rate
      bad: {events: [video_proxy_response], where: [{field: status, eq: 413}]}
      total: {events: [video_proxy_response]}
    target: {op: "<", value: 0.001, unit: ratio}
  - id: auth_permission_incidents
    pillar: auth
    name: Role/permission incidents
    sli: {kind: count, events: [auth_permission_denied]}
    target: {op: "==", value: 0, unit: count}
"""


@dataclass
class Scenario:
    days: int = 7
    # (start, end, failing share) of preset evaluations
    outages: list[tuple[datetime, datetime, float]] = field(default_factory=list)
    # day index -> number of preset failures spread evenly over that day
    failures_per_day: dict[int, int] = field(default_factory=dict)
    # day indexes without any proxy response
    proxy_silent_days: set[int] = field(default_factory=set)
    permission_denied_at: list[datetime] = field(default_factory=list)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _line(ts: datetime, event: str, **fields: object) -> str:
    return json.dumps(
        {"ts": _iso(ts), "event": event, "source": "server", "v": 1, **fields},
        separators=(",", ":"),
    )


def write_logs(scenario: Scenario, path: Path) -> Path:
    """Write the scenario's events as JSON lines; returns the file."""
    lines: list[str] = []
    per_day = 2880
    for d in range(scenario.days):
        day0 = START + d * DAY
        fails = scenario.failures_per_day.get(d, 0)
        stride = per_day / fails if fails else 0.0
        fail_slots = {int(k * stride) for k in range(fails)}
        # outage failures: alternate by share (0.5 -> every other evaluation)
        acc: dict[int, float] = {}
        for i in range(per_day):
            ts = day0 + timedelta(seconds=30 * i)
            failing = i in fail_slots
            for k, (o_start, o_end, share) in enumerate(scenario.outages):
                if o_start <= ts < o_end:
                    acc[k] = acc.get(k, 0.0) + share
                    if acc[k] >= 1.0:
                        acc[k] -= 1.0
                        failing = True
            if failing:
                lines.append(_line(ts, "hydra_preset_eval_error", error="boom"))
            else:
                lines.append(_line(ts, "hydra_preset_eval_success", duration_ms=500 + (i % 1000)))
        if d not in scenario.proxy_silent_days:
            for i in range(1440):
                lines.append(
                    _line(day0 + timedelta(seconds=60 * i + 7), "video_proxy_response", status=200)
                )
    for ts in scenario.permission_denied_at:
        lines.append(_line(ts, "auth_permission_denied", path="/admin", user_id="u-1"))
    path.write_text("\n".join(lines) + "\n")
    return path
