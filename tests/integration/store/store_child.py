"""Child process for the durability and full-disk tests (run as a script).

`load DIR INSTANCE`: appends batches from several concurrent writers forever and
prints `ACK <ids>` after each append returns (that is, after fsync), so the
parent knows exactly which events were acknowledged before it sends SIGKILL.

`fsize DIR`: the full-disk scenario under RLIMIT_FSIZE (for machines where a
tmpfs cannot be mounted): writes fail with EFBIG like a full disk, then the
limit is lifted; prints one JSON result line.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from slogate.errors import StoreError
from slogate.store import SegmentStore


def _clock() -> datetime:
    return datetime.now(UTC)


async def load(data: Path, instance: str) -> None:
    store = SegmentStore(data, instance=instance, clock=_clock, max_segment_bytes=256 * 1024)
    report = await store.open()
    print("READY " + json.dumps(asdict(report)), flush=True)

    async def writer(w: int) -> None:
        i = 0
        while True:
            ids = [f"{instance}-{os.getpid()}-{w}-{i}-{k}" for k in range(25)]
            await store.append([{"event": "load", "event_id": e, "pad": "x" * 300} for e in ids])
            sys.stdout.write("ACK " + " ".join(ids) + "\n")
            sys.stdout.flush()
            i += 1

    await asyncio.gather(*(writer(w) for w in range(8)))


async def fsize(data: Path) -> None:
    limit = 200 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    store = SegmentStore(data, instance="full", clock=_clock, max_segment_bytes=1 << 20)
    await store.open()
    acked: list[str] = []
    error = ""
    for i in range(1000):
        ids = [f"b{i}-{k}" for k in range(10)]
        try:
            await store.append([{"event": "fill", "event_id": e, "pad": "p" * 700} for e in ids])
        except StoreError as exc:
            error = str(exc)
            break
        acked.extend(ids)
    writable_when_full = store.is_writable()
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    await store.append([{"event": "fill", "event_id": "after-recovery"}])
    acked.append("after-recovery")
    result = {"error": error, "acked": acked, "writable_when_full": writable_when_full}
    await store.close()
    print(json.dumps(result), flush=True)


def main() -> None:
    mode, data = sys.argv[1], Path(sys.argv[2])
    if mode == "load":
        asyncio.run(load(data, sys.argv[3]))
    elif mode == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        asyncio.run(fsize(data))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
