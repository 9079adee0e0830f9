"""Prometheus metrics of one ingest instance, on a registry the app owns (no
global state: two apps in one process, as in tests, do not collide)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_FSYNC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.accepted = Counter(
            "slogate_ingest_events_accepted", "Events written to the store.", registry=registry
        )
        self.rejected = Counter(
            "slogate_ingest_events_rejected",
            "Entries refused one by one (dead-lettered), by reason code.",
            ["reason"],
            registry=registry,
        )
        self.requests = Counter(
            "slogate_ingest_requests",
            "Requests answered, by route and status code.",
            ["route", "status"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "slogate_ingest_rate_limited",
            "Requests refused with 429, by limit (requests or events).",
            ["limit"],
            registry=registry,
        )
        self.received_bytes = Counter(
            "slogate_ingest_received_bytes", "Body bytes read.", registry=registry
        )
        self.latency = Histogram(
            "slogate_ingest_request_duration_seconds",
            "Time from request start to answer, by route.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.fsync = Histogram(
            "slogate_store_fsync_duration_seconds",
            "Duration of each store fsync (one per group commit).",
            buckets=_FSYNC_BUCKETS,
            registry=registry,
        )
        self.segments = Gauge(
            "slogate_store_segments", "Segment files the store has written.", registry=registry
        )
        self.kill_switch = Gauge(
            "slogate_ingest_kill_switch", "1 while ingest is switched off.", registry=registry
        )
        self.store_failures = Counter(
            "slogate_ingest_store_failures",
            "Writes the store refused (answered 503), by target.",
            ["target"],
            registry=registry,
        )
        self.limiter_fallbacks = Counter(
            "slogate_ingest_limiter_fallbacks",
            "Rate-limit checks that fell back to in-process storage.",
            registry=registry,
        )

    def watch_segments(self, count: Callable[[], int]) -> None:
        self.segments.set_function(lambda: float(count()))
