"""Shared fixtures: paths to the example, and helpers that make config files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The machine has 2 shared cores: wall-clock deadlines per example would make
# property tests flaky without saying anything about correctness.
settings.register_profile(
    "slogate", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("slogate")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples" / "readiness-demo"
EXAMPLE_CONFIG = EXAMPLE_DIR / "slogate.yaml"


@pytest.fixture
def example_config_path() -> Path:
    return EXAMPLE_CONFIG


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service or browser is missing; fail under CI=true.

    The brief: with CI=true a test whose service or browser is missing must fail,
    never skip.
    """
    import os

    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required for this test under CI: {reason}")
    pytest.skip(reason)
