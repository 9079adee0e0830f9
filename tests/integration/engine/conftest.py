"""One local Spark session for the whole test run (starting one costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from slogate.engine.spark import java_available
from tests.conftest import require


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    require(java_available(), "no Java runtime for Spark")
    from slogate.engine.spark import spark_session

    yield spark_session()
