"""`store:` section of slogate.yaml (owned by the event store)."""

from __future__ import annotations

from slogate.config.base import StrictModel


class StoreSection(StrictModel):
    """Mixin contributing the top-level `store` key."""
