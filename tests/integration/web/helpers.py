"""Shared helpers for the dashboard tests: a real uvicorn server on loopback,
a synthetic event store in the canonical layout, and a kill switch port."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "web"
EVIDENCE = FIXTURES / "evidence"
EXAMPLE_CONFIG = ROOT / "examples" / "readiness-demo" / "slogate.yaml"
NOW = datetime(2026, 2, 19, 12, 0, tzinfo=UTC)

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'
XSS_JS = "javascript:window.__xss=3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(app: Any, *, timeout: float = 20.0) -> Iterator[str]:
    """Run `app` under uvicorn on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for(predicate: Any, *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(interval)


class MemoryKillSwitch:
    """The `KillSwitchPort` the ingest app implements, held in memory here."""

    def __init__(self) -> None:
        self.on = False
        self.actors: list[str] = []

    def is_on(self) -> bool:
        return self.on

    def set(self, on: bool, *, actor: str) -> None:
        self.on = on
        self.actors.append(actor)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def demo_events(
    start: datetime,
    end: datetime,
    *,
    per_minute: int = 20,
    seed: int = 7,
    error_rate: float = 0.002,
    outage: tuple[datetime, datetime, float] | None = None,
) -> Iterator[dict[str, Any]]:
    """Canonical events for the example's SLOs, `per_minute` per minute on average.
    `outage` = (from, to, error rate) raises the error rate of preset loads and
    video inits inside that span."""
    rng = random.Random(seed)
    t = start
    session = None
    while t < end:
        for _ in range(per_minute):
            ts = t + timedelta(seconds=rng.random() * 60)
            rate = error_rate
            if outage and outage[0] <= ts < outage[1]:
                rate = outage[2]
            if session is None or rng.random() < 0.05:
                session = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
                yield _ev(ts, "session_start", rng, session_id=session)
                continue
            roll = rng.random()
            if roll < 0.3:
                if rng.random() < rate:
                    yield _ev(ts, "hydra_preset_eval_error", rng, session_id=session, error="boom")
                else:
                    ms = round(rng.lognormvariate(6.6, 0.5), 1)
                    yield _ev(
                        ts, "hydra_preset_eval_success", rng, session_id=session, duration_ms=ms
                    )
            elif roll < 0.45:
                browser = rng.choice(["Firefox 128", "Chrome 131", "Safari 18"])
                if rng.random() < rate:
                    yield _ev(
                        ts,
                        "video_init_error",
                        rng,
                        session_id=session,
                        browser=browser,
                        error="decode",
                    )
                else:
                    yield _ev(
                        ts,
                        "video_init_frame_ready",
                        rng,
                        session_id=session,
                        browser=browser,
                        time_to_ready_ms=rng.randint(300, 3500),
                    )
            elif roll < 0.6:
                status = 413 if rng.random() < 0.0005 else rng.choice([200, 200, 206, 304])
                yield _ev(ts, "video_proxy_response", rng, source="server", status=status)
            elif roll < 0.75:
                cmd = uuid.UUID(int=rng.getrandbits(128)).hex[:12]
                yield _ev(ts, "queue_cmd_sent", rng, session_id=session, cmd_id=cmd, cmd_type="add")
                yield _ev(
                    ts + timedelta(milliseconds=40),
                    "queue_cmd_ack",
                    rng,
                    source="server",
                    cmd_id=cmd,
                    cmd_type="add",
                    room_id="r1",
                )
            elif roll < 0.85:
                yield _ev(
                    ts,
                    "socket_connect",
                    rng,
                    session_id=session,
                    reconnect_duration_ms=rng.randint(50, 2500),
                )
            elif roll < 0.95:
                name = "auth_guest_join_failure" if rng.random() < rate else "auth_login_success"
                yield _ev(ts, name, rng, session_id=session)
            else:
                yield _ev(
                    ts,
                    "memory_health_sample",
                    rng,
                    session_id=session,
                    used_js_heap_mb=rng.randint(80, 200),
                    switch_count=rng.randint(0, 150),
                )
        t += timedelta(minutes=1)


def _ev(
    ts: datetime, name: str, rng: random.Random, *, source: str = "client-relay", **fields: Any
) -> dict[str, Any]:
    event = {
        "ts": _iso(ts),
        "event": name,
        "source": source,
        "v": 1,
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
    }
    event.update(fields)
    return event


def write_store(
    data_dir: Path, events: list[dict[str, Any]], *, instance: str = "t1", per_file: int = 5000
) -> list[Path]:
    """Write events in the store layout (one day per folder, rotating segments)."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_day.setdefault(e["ts"][:10], []).append(e)
    written: list[Path] = []
    for day, rows in sorted(by_day.items()):
        folder = data_dir / "events" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        for seq, lo in enumerate(range(0, len(rows), per_file), start=1):
            path = folder / f"{instance}-{seq:06d}.jsonl"
            with path.open("w") as fh:
                for r in rows[lo : lo + per_file]:
                    fh.write(json.dumps(r) + "\n")
            written.append(path)
    return written


def compact_to_parquet(jsonl: Path, *, keep_jsonl: bool = False) -> Path:
    """Canonical Parquet (CONTRACTS.md) from one JSONL segment."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    canon = ("event", "source", "v", "event_id", "session_id", "user_id", "room_id")
    rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    cols: dict[str, list[Any]] = {k: [] for k in ("ts", *canon, "attrs")}
    for r in rows:
        cols["ts"].append(datetime.fromisoformat(r["ts"].replace("Z", "+00:00")))
        for k in canon:
            cols[k].append(r.get(k))
        cols["attrs"].append(json.dumps({k: v for k, v in r.items() if k not in ("ts", *canon)}))
    schema = pa.schema(
        [
            ("ts", pa.timestamp("us", tz="UTC")),
            ("event", pa.string()),
            ("source", pa.string()),
            ("v", pa.int64()),
            ("event_id", pa.string()),
            ("session_id", pa.string()),
            ("user_id", pa.string()),
            ("room_id", pa.string()),
            ("attrs", pa.string()),
        ]
    )
    out = jsonl.with_suffix(".parquet")
    pq.write_table(pa.table(cols, schema=schema), out)
    if not keep_jsonl:
        jsonl.unlink()
    return out


def write_dead_letters(data_dir: Path, rows: list[dict[str, Any]], day: str = "2026-02-19") -> Path:
    folder = data_dir / "deadletter" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "t1-000001.jsonl"
    with path.open("a") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def xss_dead_letters() -> list[dict[str, Any]]:
    return [
        {
            "received_at": "2026-02-19T11:58:00.000Z",
            "reason": "unknown_event " + XSS_SCRIPT,
            "index": 0,
            "event": {"event": XSS_SCRIPT, "note": XSS_IMG, "link": XSS_JS},
            "raw": None,
            "source": "ingest",
        },
        {
            "received_at": "2026-02-19T11:59:00.000Z",
            "reason": "wrong_type",
            "index": 1,
            "event": {"event": XSS_IMG, "href": XSS_JS},
            "raw": None,
            "source": "ingest",
        },
        {
            "received_at": "2026-02-19T11:59:30.000Z",
            "reason": "malformed_json",
            "index": None,
            "event": None,
            "raw": "{" + XSS_SCRIPT,
            "source": "ingest",
        },
    ]
