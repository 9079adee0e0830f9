"""`slogate serve` as a real subprocess, for the store's end-to-end durability tests."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "readiness-demo" / "slogate.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(directory: Path, *, store: dict[str, Any] | None = None) -> Path:
    """The example configuration, with limits high enough for a load run."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["ingest"] = {
        **(data.get("ingest") or {}),
        "requests_per_minute": 1_000_000,
        "events_per_minute": 100_000_000,
        "retry_after_seconds": 2,
    }
    if store is not None:
        data["store"] = store
    path = directory / "slogate-store-test.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child before exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, as a full disk, not a kill
        _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))

    return preexec


def start(
    config: Path,
    data: Path,
    log: Path,
    *,
    instance: str = "srv",
    file_size_limit: int | None = None,
) -> Served:
    """Start `slogate serve`; `file_size_limit` sets RLIMIT_FSIZE in the child (lift it
    later with `resource.prlimit(pid, RLIMIT_FSIZE, ...)`)."""
    port = free_port()
    fh = open(log, "ab")  # noqa: SIM115 - owned by the child from here
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slogate",
            "serve",
            "--config",
            str(config),
            "--data",
            str(data),
            "--port",
            str(port),
            "--instance",
            instance,
            "--evidence",
            str(Path(data).parent / "evidence"),
        ],
        stdout=fh,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        preexec_fn=_limit_file_size(file_size_limit) if file_size_limit else None,  # noqa: PLW1509
    )
    fh.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return Served(proc, url, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"serve did not become ready:\n{log.read_text()[-3000:]}")
