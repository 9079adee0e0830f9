"""Gates, phases, rubric, known issues, controls, attestations, waivers,
prerequisites and cadence (owned by the readiness packet)."""

from __future__ import annotations

from slogate.config.base import StrictModel


class ReadinessSection(StrictModel):
    """Mixin contributing the readiness top-level keys."""
