"""`ingest:` section of slogate.yaml (owned by the ingest service)."""

from __future__ import annotations

from pydantic import Field

from slogate.config.base import StrictModel


class IngestSettings(StrictModel):
    client_relay: bool = Field(
        True,
        description="Whether client events reach the store through the ingest relay. "
        "When false, SLOs fed only by client events are instrumented_not_computable.",
    )


class IngestSection(StrictModel):
    """Mixin contributing the top-level `ingest` key."""

    ingest: IngestSettings = Field(default_factory=IngestSettings)
