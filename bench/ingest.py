"""Ingest throughput and latency: `slogate serve` against its own floor.

One server process (uvicorn + uvloop + httptools, one worker, fsync on unless
--no-fsync), one load-generator process (an asyncio HTTP/1.1 keep-alive client
on raw sockets: no client library in the way). In the same run:

1. floor: POST /bench/floor, the same stack that only parses the JSON and answers
   (served like the ingest route: the lean ASGI route in front of Starlette);
2. ingest at full speed: POST /api/telemetry/ingest, batches of 50 realistic
   events (about 1 in 10 carries PII), every one normalised, scrubbed, written
   and fsynced (group commit) before the 200;
3. ingest at 80 % of the rate reached in 2, paced (open loop: latency counted from
   the scheduled send time, so a slow answer cannot hide the queue behind it).

It then prints events/s, requests/s, p50/p99 latency, the server's CPU in each
phase (cores used, microseconds per request), its RSS over the run, and the cost
per event of each stage (parse, validate, scrub, serialise, write, fsync)
measured in-process on the same batches.

    .venv/bin/python bench/ingest.py                      # 30 s per phase
    .venv/bin/python bench/ingest.py --duration 10        # short run
    .venv/bin/python bench/ingest.py --memory-minutes 5   # plus 2 min warm-up + 5 min memory window
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "readiness-demo" / "slogate.yaml"
INGEST = "/api/telemetry/ingest"
FLOOR = "/bench/floor"

# --- realistic batches --------------------------------------------------------------

_BROWSERS = ["chrome", "firefox", "safari", "edge"]
_PII = [
    "contact jane.doe@example.com",
    "call +1 415 555 0132",
    "card 4111 1111 1111 1111",
    "from 203.0.113.42",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLXNpZw",
    "https://bob:hunter2@example.com/x",
]


def make_event(rng: random.Random, session: str) -> dict[str, Any]:
    kind = rng.random()
    now = time.time()
    base: dict[str, Any] = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "session_id": session,
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".000Z",
        "sent_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".100Z",
    }
    if kind < 0.3:
        base.update(event="hydra_preset_eval_success", duration_ms=round(rng.uniform(50, 3000), 1))
    elif kind < 0.5:
        base.update(
            event="memory_health_sample",
            used_js_heap_mb=round(rng.uniform(50, 400), 1),
            total_js_heap_mb=512.0,
            heap_limit_mb=4096.0,
            switch_count=rng.randrange(0, 200),
        )
    elif kind < 0.65:
        base.update(
            event="video_init_frame_ready",
            time_to_ready_ms=round(rng.uniform(100, 5000), 1),
            browser=rng.choice(_BROWSERS),
        )
    elif kind < 0.8:
        base.update(event="queue_cmd_sent", cmd_type="enqueue", cmd_id=f"c-{rng.getrandbits(40):x}")
    elif kind < 0.9:
        base.update(event="socket_connect", reconnect_duration_ms=round(rng.uniform(10, 900), 1))
    else:
        base.update(
            event="session_error", error_type="TypeError", message="boom at render() line 42"
        )
    if rng.random() < 0.1:
        base["note"] = rng.choice(_PII)
    return base


def make_bodies(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        events = [make_event(rng, session) for _ in range(50)]
        bodies.append(json.dumps({"events": events}, separators=(",", ":")).encode())
    return bodies


# --- load generator (runs in its own process) ------------------------------------------


async def _connection(
    host: str,
    port: int,
    path: str,
    bodies: list[bytes],
    stop_at: float,
    interval: float | None,
    latencies: list[float],
    statuses: dict[int, int],
    offset: int,
    phase: float = 0.0,
    client_ips: tuple[str, ...] = (),
    per_second: dict[int, list[int]] | None = None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    heads = [
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(b)}\r\n"
        ).encode()
        for b in bodies
    ]
    # One simulated client per X-Forwarded-For address (the server trusts loopback as
    # its proxy), so every client stays within the default rate limits.
    hops = [f"X-Forwarded-For: {ip}\r\n\r\n".encode() for ip in client_ips] or [b"\r\n"]
    i = offset
    clock = time.perf_counter  # uvloop's loop.time() ticks in whole milliseconds
    # Paced connections start out of phase (evenly spread over one interval): the
    # offered load is a steady rate, not one burst of every connection at once.
    next_at = clock() + (interval * phase if interval is not None else 0.0)
    length_re = re.compile(rb"content-length:\s*(\d+)", re.I)
    while True:
        now = clock()
        if interval is not None:
            if next_at > now:
                await asyncio.sleep(next_at - now)
            started = next_at  # open loop: count the wait behind a slow answer
            next_at += interval
        else:
            started = now
        if clock() >= stop_at:
            break
        k = i % len(heads)
        writer.write(heads[k] + hops[i % len(hops)] + bodies[k])
        i += 1
        head = await reader.readuntil(b"\r\n\r\n")
        match = length_re.search(head)
        if match:
            await reader.readexactly(int(match.group(1)))
        status = int(head[9:12])
        statuses[status] = statuses.get(status, 0) + 1
        latency = clock() - started
        latencies.append(latency)
        if per_second is not None:  # [requests, over 50 ms] by second of scheduled time
            counts = per_second.setdefault(int(started), [0, 0])
            counts[0] += 1
            counts[1] += latency > 0.05
    writer.close()


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    bodies = make_bodies(64)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    per_second: dict[int, list[int]] = {}
    started = time.perf_counter()
    stop_at = started + args.duration
    interval = args.connections / args.rate if args.rate else None
    connections_n = args.connections
    ips = tuple(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in range(1, args.clients + 1))
    await asyncio.gather(
        *(
            _connection(
                "127.0.0.1",
                args.port,
                args.path,
                bodies,
                stop_at,
                interval,
                latencies,
                statuses,
                k * 7,
                k / args.connections,
                ips[k::connections_n],
                per_second,
            )
            for k in range(args.connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
        )

    ok = statuses.get(200, 0)
    return {
        "path": args.path,
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "events_per_s": round(ok * 50 / elapsed, 1),
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0,
        # Backlog episodes: the seconds (of scheduled send time) in which more than
        # 1 % of requests took over 50 ms, i.e. whose own p99 missed the goal.
        "seconds_p99_over_50ms": sum(1 for n, slow in per_second.values() if slow > n * 0.01),
        "seconds": round(elapsed, 2),
        "target_rate": args.rate,
    }


def client_main(args: argparse.Namespace) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_load(args))))


# --- orchestration --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(directory: Path, clients: int = 0) -> Path:
    """With `clients`, the default rate limits and loopback as a trusted proxy (the load
    comes from that many X-Forwarded-For addresses, like many real browsers); without,
    one client key with limits too high to bite (a single hot key: the moving window of
    the `limits` library then holds every event of the last minute in one list)."""
    import yaml

    data = yaml.safe_load(EXAMPLE.read_text())
    if clients:
        data["ingest"] = {"client_relay": True, "trusted_proxies": ["127.0.0.1/32"]}
    else:
        data["ingest"] = {
            "client_relay": True,
            "requests_per_minute": 100_000_000,
            "events_per_minute": 1_000_000_000,
        }
    path = directory / "slogate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU the process (all its threads), or one thread of it, has used
    so far."""
    stat = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commit_rounds(port: int) -> float:
    """Group commits of the event store so far (one fsync each): from /metrics."""
    import httpx

    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return metric(text, "slogate_store_fsync_duration_seconds_count")


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def run_client(
    port: int,
    path: str,
    duration: float,
    connections: int,
    rate: float | None,
    server_pid: int,
    clients: int = 0,
) -> tuple[dict[str, Any], list[float]]:
    cmd = [
        sys.executable,
        __file__,
        "--client",
        "--clients",
        str(clients),
        "--port",
        str(port),
        "--path",
        path,
        "--duration",
        str(duration),
        "--connections",
        str(connections),
    ]
    if rate:
        cmd += ["--rate", str(rate)]
    rounds_before = commit_rounds(port)
    loop_before = cpu_seconds(server_pid, server_pid)  # the event loop's thread
    cpu_before = cpu_seconds(server_pid)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    samples = []
    while proc.poll() is None:
        samples.append(rss_mb(server_pid))
        time.sleep(1.0)
    out, _ = proc.communicate()
    result = json.loads(out)
    # The server's CPU over the phase: whether it was CPU-bound (about 1 core: one
    # event loop, plus the store's writer thread) and what one request cost it.
    cpu = cpu_seconds(server_pid) - cpu_before
    loop_cpu = cpu_seconds(server_pid, server_pid) - loop_before
    result["server_cpu_cores"] = round(cpu / result["seconds"], 2) if result["seconds"] else 0
    result["server_cpu_us_per_request"] = (
        round(cpu / result["requests"] * 1e6, 1) if result["requests"] else 0
    )
    # The event loop's share (the rest is mostly the store's writer thread), and the
    # group commits: a round costs CPU of its own, so rounds per second matter.
    result["loop_cpu_us_per_request"] = (
        round(loop_cpu / result["requests"] * 1e6, 1) if result["requests"] else 0
    )
    rounds = commit_rounds(port) - rounds_before
    result["commit_rounds_per_s"] = round(rounds / result["seconds"], 1) if result["seconds"] else 0
    result["requests_per_round"] = round(result["requests"] / rounds, 2) if rounds else 0
    return result, samples


def stage_costs(bodies: list[bytes], workdir: Path) -> dict[str, float]:
    """Microseconds per event of each stage, in-process, on the same batches: the
    path the server takes (compiled shapes, batch scrubber, serialise once) and, for
    comparison, the reference path (`normalize_client_event`, `split_protected`,
    `scrub_event` per event)."""
    import orjson

    from slogate.config.load import load_config
    from slogate.core.event import AuthContext, normalize_client_event
    from slogate.ingest.body import parse_json
    from slogate.ingest.fastpath import FastNormaliser
    from slogate.ingest.pipeline import limits_of, split_protected
    from slogate.privacy import scrub_event, scrub_texts

    config = load_config(EXAMPLE).config
    catalog, limits = config.catalog(), limits_of(config.ingest)
    events_total = len(bodies) * 50
    received = "2026-01-01T00:00:00.000Z"
    docs = [parse_json(b) for b in bodies]
    fast = FastNormaliser(catalog, limits)
    for doc in docs * fast.compile_after:  # compile the shapes, as a warm server has
        fast.batch(doc["events"], received, None, None)
    t0 = time.perf_counter()
    docs = [parse_json(b) for b in bodies]
    t1 = time.perf_counter()
    batches = []
    for doc in docs:  # validate and build as `fast.batch` does, strings queued
        strings: list[str] = []
        slots: list[Any] = []
        events = doc["events"]
        records = fast._trusted_batch(events, received, None, None, strings, slots)
        if records is None:  # a batch the trusted check refuses: entry by entry
            records = fast._each(events, received, None, None, strings, slots)
        batches.append((records, strings, slots))
    t2 = time.perf_counter()
    clean = []
    for records, strings, slots in batches:  # one batch scrub per request
        for (record, key), before, after in zip(slots, strings, scrub_texts(strings), strict=True):
            if after is not before:
                record[key] = after
        clean.extend(records)
    t3 = time.perf_counter()
    data = [
        b"".join([orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in clean[i : i + 50]])
        for i in range(0, len(clean), 50)
    ]
    t4 = time.perf_counter()
    path = workdir / "stage-write.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for chunk in data:
        os.write(fd, chunk)
    t5 = time.perf_counter()
    os.close(fd)
    # The batch scrub again with every PII string made new (real PII rarely repeats).
    fresh = [
        [f"{text} #{i}-{k}" if text in _PII else text for k, text in enumerate(strings)]
        for i, (_records, strings, _slots) in enumerate(batches)
    ]
    t5a = time.perf_counter()
    for strings in fresh:
        scrub_texts(strings)
    t5b = time.perf_counter()
    # The reference path on the same batches.
    normalised = []
    for doc in docs:
        for raw in doc["events"]:
            out = normalize_client_event(
                raw, catalog=catalog, auth=AuthContext(), received_ts=received, limits=limits
            )
            normalised.append(out.fields)  # type: ignore[union-attr]
    t6 = time.perf_counter()
    for e in normalised:
        kept, rest = split_protected(e, catalog)
        kept.update(scrub_event(rest))
    t7 = time.perf_counter()
    # The batches repeat their PII strings, which the scrubber's cache answers; real PII
    # is mostly unique, so also time events whose PII string was never seen before.
    dirty = [dict(e, note=f"{e['note']} #{i}") for i, e in enumerate(normalised) if "note" in e]
    t8 = time.perf_counter()
    for e in dirty:
        scrub_event(split_protected(e, catalog)[1])
    t9 = time.perf_counter()
    per = 1e6 / events_total
    return {
        "pii_event_cold_scrub_us": round((t9 - t8) * 1e6 / max(1, len(dirty)), 2),
        "pii_share": round(len(dirty) / events_total, 3),
        "parse_us": round((t1 - t0) * per, 2),
        "validate_us": round((t2 - t1) * per, 2),
        "scrub_us": round((t3 - t2) * per, 2),
        "scrub_new_pii_us": round((t5b - t5a) * per, 2),
        "serialise_us": round((t4 - t3) * per, 2),
        "write_us": round((t5 - t4) * per, 2),
        "reference_validate_us": round((t6 - t5) * per, 2),
        "reference_scrub_us": round((t7 - t6) * per, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds per phase.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--memory-minutes",
        type=float,
        default=0.0,
        help="Extra paced run (80 %% load) whose RSS over this many minutes, after the "
        "warm-up, is the memory check.",
    )
    parser.add_argument(
        "--memory-warmup-minutes",
        type=float,
        default=2.0,
        help="Paced minutes before the memory window starts (caches and rate-limit "
        "windows fill first).",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=8192,
        help="Distinct client addresses (X-Forwarded-For) under the default rate limits; "
        "0 = one client key with limits too high to bite.",
    )
    parser.add_argument("--no-fsync", action="store_true")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args)
        return

    import httpx

    with tempfile.TemporaryDirectory(prefix="slogate-bench-ingest-") as tmp:
        work = Path(tmp)
        config = write_config(work, args.clients)
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "slogate",
            "serve",
            "--config",
            str(config),
            "--data",
            str(work / "data"),
            "--port",
            str(port),
            "--bench-floor",
            "--no-dashboard",
            "--log-level",
            "warning",
            "--instance",
            "bench",
        ]
        if args.no_fsync:
            cmd.append("--no-fsync")
        server = subprocess.Popen(cmd, cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.1)
            print(f"load average: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
            warm, _ = run_client(port, INGEST, 2, 4, None, server.pid, args.clients)
            floor, _ = run_client(
                port, FLOOR, args.duration, args.connections, None, server.pid, args.clients
            )
            print("floor ", json.dumps(floor), flush=True)
            before = httpx.get(url + "/metrics").text
            full, rss_full = run_client(
                port, INGEST, args.duration, args.connections, None, server.pid, args.clients
            )
            after = httpx.get(url + "/metrics").text
            print("ingest", json.dumps(full), flush=True)
            target = round(full["requests_per_s"] * 0.8, 1)
            paced, rss_paced = run_client(
                port, INGEST, args.duration, args.connections, target, server.pid, args.clients
            )
            print("paced ", json.dumps(paced), flush=True)
            memory = None
            if args.memory_minutes > 0:
                # Warm-up first (caches fill, rate-limit windows reach their one-minute
                # length), then the measured window: growth is the window's last RSS
                # sample against its first.
                warmup_s = args.memory_warmup_minutes * 60
                long_run, samples = run_client(
                    port,
                    INGEST,
                    warmup_s + args.memory_minutes * 60,
                    args.connections,
                    target,
                    server.pid,
                    args.clients,
                )
                start = min(len(samples) - 1, int(warmup_s))  # one sample a second
                window = samples[start:] or samples
                memory = {
                    "run": long_run,
                    "warmup_minutes": args.memory_warmup_minutes,
                    "window_minutes": args.memory_minutes,
                    "rss_start_of_run_mb": round(samples[0], 1),
                    "rss_window_first_mb": round(window[0], 1),
                    "rss_window_last_mb": round(window[-1], 1),
                    "rss_window_max_mb": round(max(window), 1),
                    "growth_pct": round((window[-1] - window[0]) / window[0] * 100, 1),
                    "rss_per_minute_mb": [round(x, 1) for x in samples[::60]],
                }
            fsyncs = metric(after, "slogate_store_fsync_duration_seconds_count") - metric(
                before, "slogate_store_fsync_duration_seconds_count"
            )
            fsync_s = metric(after, "slogate_store_fsync_duration_seconds_sum") - metric(
                before, "slogate_store_fsync_duration_seconds_sum"
            )
            accepted = metric(after, "slogate_ingest_events_accepted_total") - metric(
                before, "slogate_ingest_events_accepted_total"
            )
        finally:
            server.terminate()
            server.wait(30)
        stages = stage_costs(make_bodies(64), work)
        stages["fsync_us"] = round(fsync_s / accepted * 1e6, 2) if accepted else 0.0
        stages["events_per_fsync"] = round(accepted / fsyncs, 1) if fsyncs else 0.0
        result = {
            "warmup": warm,
            "floor": floor,
            "ingest": full,
            "paced_80pct": paced,
            "ratio_to_floor_requests": round(full["requests_per_s"] / floor["requests_per_s"], 3)
            if floor["requests_per_s"]
            else None,
            "server_rss_mb": {
                "during_full": [round(x, 1) for x in rss_full],
                "during_paced": [round(x, 1) for x in rss_paced],
            },
            "memory_run": memory,
            "stages_per_event": stages,
            "fsync": not args.no_fsync,
            "duration_s": args.duration,
            "connections": args.connections,
        }
    print()
    print(
        "| run | req/s | events/s | p50 ms | p99 ms | server cores | CPU us/req "
        "| loop CPU us/req | commits/s | req/commit | statuses |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in ("floor", "ingest", "paced_80pct"):
        r = result[name]
        print(
            f"| {name} | {r['requests_per_s']} | {r['events_per_s']} | {r['p50_ms']} | "
            f"{r['p99_ms']} | {r['server_cpu_cores']} | {r['server_cpu_us_per_request']} | "
            f"{r['loop_cpu_us_per_request']} | {r['commit_rounds_per_s']} | "
            f"{r['requests_per_round']} | {r['statuses']} |"
        )
    print(f"\ningest / floor (requests): {result['ratio_to_floor_requests']}")
    print("stage cost per event (us):", json.dumps(stages))
    if memory:
        print("memory run:", json.dumps({k: v for k, v in memory.items() if k != "run"}))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
