"""Shared fixtures: paths to the example, and helpers that make config files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples" / "readiness-demo"
EXAMPLE_CONFIG = EXAMPLE_DIR / "slogate.yaml"


@pytest.fixture
def example_config_path() -> Path:
    return EXAMPLE_CONFIG
