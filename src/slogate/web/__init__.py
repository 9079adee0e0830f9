"""Live dashboard served by `slogate serve`: pages, JSON endpoints, aggregates, alerts."""

from slogate.web.aggregates import SLOAggregates
from slogate.web.app import create_dashboard_app
from slogate.web.ports import IngestStatus, KillSwitchPort, RateLimitedClient

__all__ = [
    "IngestStatus",
    "KillSwitchPort",
    "RateLimitedClient",
    "SLOAggregates",
    "create_dashboard_app",
]
