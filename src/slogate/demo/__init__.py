"""Synthetic events for the example configuration: a realistic week for the demo
and window tests (`week`), and a fast bulk generator for benchmarks (`bulk`).

Generation is pure (seeded `random.Random`, injected start); `files` and
`bulk_files` do the writing.
"""

from slogate.demo.scenario import (
    FLOWS,
    SLO_FLOWS,
    Garbage,
    Outage,
    QuietPeriod,
    Rates,
    Scenario,
    midnight_utc,
)
from slogate.demo.week import DemoEvent, DemoWeek, GarbageLine, generate_week

__all__ = [
    "FLOWS",
    "SLO_FLOWS",
    "DemoEvent",
    "DemoWeek",
    "Garbage",
    "GarbageLine",
    "Outage",
    "QuietPeriod",
    "Rates",
    "Scenario",
    "generate_week",
    "midnight_utc",
]
