"""The SLO engine: parse inputs once, evaluate every SLI kind through Ibis on
DuckDB (default) or Spark. See docs/engine.md."""

from slogate.engine.columns import slo_fields
from slogate.engine.loader import InputStats
from slogate.engine.table import ENGINES, EventTable, open_events

__all__ = ["ENGINES", "EventTable", "InputStats", "open_events", "slo_fields"]
