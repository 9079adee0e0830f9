"""Run `slogate serve` as a real subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "readiness-demo" / "slogate.yaml"
TOKEN_SECRET = "test-secret-0123456789abcdef-0123456789"
ADMIN_TOKEN = "admin-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def write_config(
    directory: Path, ingest: Mapping[str, Any], sections: Mapping[str, Any] | None = None
) -> Path:
    """The example configuration with the given `ingest:` section (and other sections)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["ingest"] = {"client_relay": True, **ingest}
    data.update(sections or {})
    path = directory / f"slogate-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    data: Path
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            return False
        try:
            return httpx.get(self.url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def event_lines(self) -> list[str]:
        return _lines(self.data / "events")

    def dead_letter_lines(self) -> list[str]:
        return _lines(self.data / "deadletter")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _lines(directory: Path) -> list[str]:
    out: list[str] = []
    for path in sorted(directory.rglob("*.jsonl")):
        out.extend(line for line in path.read_text().splitlines() if line)
    return out


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_server(
    tmp: Path,
    ingest: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    instance: str = "t1",
    data: Path | None = None,
    preexec: Callable[[], None] | None = None,
    extra_args: tuple[str, ...] = (),
    sections: Mapping[str, Any] | None = None,
) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    config = write_config(tmp, ingest or {}, sections)
    data = data or tmp / "data"
    port = free_port()
    log = tmp / f"server-{instance}-{port}.log"
    full_env = {**os.environ, **(env or {})}
    if "SLOGATE_INGEST_KILL_SWITCH" not in (env or {}):
        full_env.pop("SLOGATE_INGEST_KILL_SWITCH", None)
    with log.open("wb") as out:
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
                str(tmp / "evidence"),
                *extra_args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=ROOT,
            preexec_fn=preexec,
        )
    server = Server(f"http://127.0.0.1:{port}", port, proc, data, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        time.sleep(0.05)
    server.stop()
    raise AssertionError(f"server did not start:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def running(tmp: Path, ingest: Mapping[str, Any] | None = None, **kwargs: Any) -> Iterator[Server]:
    server = start_server(tmp, ingest, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def make_token(
    user: str | None = "u-1",
    room: str | None = "r-1",
    *,
    exp_in: float = 600,
    secret: str = TOKEN_SECRET,
) -> str:
    import jwt

    claims: dict[str, Any] = {"exp": int(time.time() + exp_in)}
    if user is not None:
        claims["sub"] = user
    if room is not None:
        claims["room"] = room
    return jwt.encode(claims, secret, algorithm="HS256")
