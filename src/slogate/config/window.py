"""`window:`, `alerting:` and `exports:` sections (owned by the validation window)."""

from __future__ import annotations

from slogate.config.base import StrictModel


class WindowSection(StrictModel):
    """Mixin contributing the validation-window top-level keys."""
