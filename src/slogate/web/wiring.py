"""Put the dashboard next to the ingest routes in `slogate serve`.

Three small adapters keep the ingest app unaware of the dashboard:

- `ObservedStore` wraps the ingest `EventStore`: once the store has acknowledged
  a batch (fsynced), the dashboard's aggregates see it, and dead-letter reasons
  are counted for the ingest page;
- `IngestAdminKillSwitch` is the `KillSwitchPort`: it calls the ingest app's own
  `/api/admin/kill-switch` in-process, so the env flag, the admin switch and the
  shared Redis key keep their single implementation;
- `RegistryIngestStatus` builds `IngestStatus` from the ingest app's Prometheus
  registry and the store wrapper.

`build_serve_app` assembles them and returns one ASGI app whose dashboard paths go
to the dashboard and every other path to the ingest app; its lifespan runs both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from slogate.config.dashboard import DashboardSettings
from slogate.config.load import LoadedConfig
from slogate.core.budget import BudgetPolicy
from slogate.services.daily import run_daily_snapshots
from slogate.web.aggregates import SLOAggregates, event_epoch
from slogate.web.app import create_dashboard_app
from slogate.web.ports import Clock, IngestStatus, RateLimitedClient
from slogate.web.slo_metrics import SLOStatusCollector

log = logging.getLogger("slogate.web.wiring")

#: Paths the dashboard answers; everything else belongs to the ingest app.
DASHBOARD_PREFIXES = (
    "/pillars/",
    "/packets",
    "/partials/",
    "/api/dashboard/",
    "/static/",
    "/login",
    "/logout",
)
DASHBOARD_EXACT = ("/", "/ingest")


def is_dashboard_path(path: str) -> bool:
    return path in DASHBOARD_EXACT or path.startswith(DASHBOARD_PREFIXES)


def _stored_events(data: bytes) -> list[dict[str, Any]]:
    """Events from JSON lines as the store writes them (one object per line)."""
    return [orjson.loads(line) for line in data.splitlines() if line]


class ObservedStore:
    """An `EventStore` that tells the dashboard about what it stored.

    Stored batches are handed to one worker thread that feeds the aggregates, so
    the acknowledgement to the client never waits for the dashboard's counting."""

    _OWN = (
        "_inner", "_aggregates", "_clock", "_lock", "_per_minute", "_reasons", "_accepted",
        "_queue", "_worker", "_pending",
    )  # fmt: skip

    def __init__(self, inner: Any, aggregates: SLOAggregates, clock: Clock) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_aggregates", aggregates)
        object.__setattr__(self, "_clock", clock)
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_per_minute", Counter())
        object.__setattr__(self, "_reasons", Counter())
        object.__setattr__(self, "_accepted", 0)
        object.__setattr__(self, "_queue", queue.SimpleQueue())
        object.__setattr__(self, "_worker", None)
        object.__setattr__(self, "_pending", 0)

    async def append(self, events: Sequence[Mapping[str, Any]]) -> None:
        await self._inner.append(events)  # raises when not stored: nothing is counted
        self._observe(list(events))

    async def append_lines(self, data: bytes, first_ts: Any = None) -> None:
        """The store's serialise-once path (`SegmentStore.append_lines`), kept with the
        dashboard on: the worker thread reads the stored lines back, off the
        request path, so the dashboard counts exactly what was written."""
        inner = getattr(self._inner, "append_lines", None)
        if inner is None:  # a store without the fast path: hand it the events
            events = _stored_events(data)
            await self._inner.append(events)
            self._observe(events)
            return
        await inner(data, first_ts)
        self._observe(data)

    def _observe(self, batch: list[Any] | bytes) -> None:
        with self._lock:
            object.__setattr__(self, "_pending", self._pending + 1)
            if self._worker is None:
                worker = threading.Thread(target=self._drain, name="dashboard-observe", daemon=True)
                object.__setattr__(self, "_worker", worker)
                worker.start()
        self._queue.put(batch)

    def _drain(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                events = _stored_events(batch) if isinstance(batch, bytes) else batch
                self._aggregates.observe(events)
                with self._lock:
                    for event in events:
                        ts = event_epoch(event)
                        if ts is not None:
                            self._per_minute[int(ts // 60) * 60] += 1
                    object.__setattr__(self, "_accepted", self._accepted + len(events))
            except Exception:  # the dashboard must never take ingest down
                log.exception("dashboard could not count a stored batch")
            finally:
                with self._lock:
                    object.__setattr__(self, "_pending", self._pending - 1)

    @property
    def pending_batches(self) -> int:
        """Stored batches the dashboard has not counted yet (tests wait on 0)."""
        return int(self._pending)

    async def append_dead_letters(self, records: Sequence[Mapping[str, Any]]) -> None:
        await self._inner.append_dead_letters(records)
        with self._lock:
            for record in records:
                reason = str(record.get("reason", "unknown"))
                self._reasons[reason.split(":", 1)[0]] += 1

    def events_per_minute(self, now: datetime, minutes: int = 60) -> list[tuple[datetime, int]]:
        start = int((now - timedelta(minutes=minutes)).timestamp()) // 60 * 60 + 60
        with self._lock:
            return [
                (datetime.fromtimestamp(m, UTC), self._per_minute.get(m, 0))
                for m in range(start, start + minutes * 60, 60)
            ]

    def rejects_by_reason(self) -> dict[str, int]:
        with self._lock:
            return dict(self._reasons)

    @property
    def accepted_total(self) -> int:
        return int(self._accepted)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN:
            object.__setattr__(self, name, value)
        else:  # e.g. the ingest app sets `store.on_fsync`
            setattr(self._inner, name, value)


class IngestAdminKillSwitch:
    """`KillSwitchPort` through the ingest app's admin endpoint, in-process."""

    def __init__(self, ingest_app: Any, admin_token: str | None) -> None:
        self._app = ingest_app
        self._token = admin_token

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._app),
            base_url="http://ingest.local",
            headers={"Authorization": f"Bearer {self._token or ''}"},
        )

    async def is_on(self) -> bool:
        async with self._client() as client:
            r = await client.get("/api/admin/kill-switch")
        if r.status_code != 200:
            raise RuntimeError(f"kill-switch state unavailable: HTTP {r.status_code}")
        return bool(r.json().get("enabled"))

    async def set(self, on: bool, *, actor: str) -> None:
        async with self._client() as client:
            r = await client.post("/api/admin/kill-switch", json={"enabled": on})
        if r.status_code != 200:
            raise RuntimeError(f"kill switch not set: HTTP {r.status_code}")


class RegistryIngestStatus:
    """`IngestStatus` from the ingest app's metrics and the observed store."""

    def __init__(
        self,
        registry: CollectorRegistry,
        store: ObservedStore,
        clock: Clock,
        limited: Any = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.limited = limited  # slogate.ingest.limited.RecentlyLimited, when known

    def _samples(self, name: str, label: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for metric in self.registry.collect():
            for sample in metric.samples:
                if sample.name == name and label in sample.labels:
                    out[sample.labels[label]] = int(sample.value)
        return out

    def __call__(self) -> IngestStatus:
        now = self.clock()
        rejected = self._samples("slogate_ingest_events_rejected_total", "reason")
        limited = self._samples("slogate_ingest_rate_limited_total", "limit")
        kill = self.registry.get_sample_value("slogate_ingest_kill_switch")
        writable = getattr(self.store, "is_writable", None)
        return IngestStatus(
            events_per_minute=self.store.events_per_minute(now),
            rejects_by_reason={k: v for k, v in rejected.items() if v}
            or self.store.rejects_by_reason(),
            rate_limited_by_limit={k: v for k, v in limited.items() if v},
            rate_limited=[
                RateLimitedClient(c.key, c.count, c.last_at)
                for c in (self.limited.recent() if self.limited is not None else [])
            ],
            kill_switch=bool(kill),
            storage_ok=bool(writable()) if callable(writable) else True,
            accepted_total=self.store.accepted_total,
        )


class ServeApp:
    """Dashboard paths to the dashboard, the rest to ingest; one lifespan for both."""

    def __init__(
        self,
        ingest: Starlette,
        dashboard: Starlette,
        *,
        jobs: Sequence[Callable[[], Any]] = (),
        slo_gauges: SLOStatusCollector | None = None,
    ) -> None:
        self.ingest = ingest
        self.dashboard = dashboard
        self.jobs = tuple(jobs)
        self.slo_gauges = slo_gauges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        target = self.dashboard if is_dashboard_path(scope.get("path", "")) else self.ingest
        await target(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        async with contextlib.AsyncExitStack() as stack:
            try:
                for app in (self.ingest, self.dashboard):
                    await stack.enter_async_context(app.router.lifespan_context(app))
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            # Periodic jobs (live SLO gauges, daily snapshots) run while the app does.
            tasks = [asyncio.create_task(job()) for job in self.jobs]
            stack.push_async_callback(_cancel_all, tasks)
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


async def _cancel_all(tasks: Sequence[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def build_serve_app(
    loaded: LoadedConfig,
    *,
    store: Any,
    data_dir: Path,
    evidence_dir: Path,
    clock: Callable[[], datetime],
    make_ingest_app: Callable[[Any, CollectorRegistry], Starlette],
    dashboard_token: str | None = None,
    admin_token: str | None = None,
    settings: DashboardSettings | None = None,
) -> ServeApp:
    """The app `slogate serve` runs: ingest + dashboard over one store.

    `make_ingest_app(store, registry)` builds the ingest app with the wrapped store
    and the registry the dashboard reads. The kill-switch button uses the ingest
    `admin_token` unless `admin_token` is given."""
    slos = loaded.config.core_slos()
    budget = getattr(loaded.config, "budget", None)
    days = int(budget.policy().period_days(clock())) if budget is not None else 30
    aggregates = SLOAggregates(slos, retention_days=max(days + 1, 4))
    observed = ObservedStore(store, aggregates, clock)
    registry = CollectorRegistry(auto_describe=True)
    dash_settings = settings or getattr(loaded.config, "dashboard", None) or DashboardSettings()
    slo_gauges = SLOStatusCollector(
        slos,
        aggregates,
        policy=budget.policy() if budget is not None else BudgetPolicy(),
        clock=clock,
    )
    registry.register(slo_gauges)
    ingest = make_ingest_app(observed, registry)
    ingest_settings = getattr(loaded.config, "ingest", None)
    secret = getattr(ingest_settings, "admin_token", None)
    ingest_admin = secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret
    kill = IngestAdminKillSwitch(ingest, ingest_admin) if ingest_admin else None
    dashboard = create_dashboard_app(
        config=loaded,
        evidence_dir=evidence_dir,
        data_dir=data_dir,
        clock=clock,
        dashboard_token=dashboard_token,
        admin_token=admin_token or ingest_admin,
        ingest_status=RegistryIngestStatus(
            registry, observed, clock, getattr(ingest.state, "rate_limited", None)
        ),
        kill_switch=kill,
        settings=settings,
        aggregates=aggregates,
    )
    jobs: list[Callable[[], Any]] = [
        lambda: slo_gauges.run(dash_settings.metrics_refresh_seconds),
    ]
    if dash_settings.daily_snapshots:
        jobs.append(
            lambda: run_daily_snapshots(
                loaded,
                data_dir,
                evidence_dir,
                clock=clock,
                lookback_days=dash_settings.daily_snapshot_lookback_days,
            )
        )
    return ServeApp(ingest, dashboard, jobs=jobs, slo_gauges=slo_gauges)
