"""Durable event store: append-only JSONL segments, dead letters, Parquet compaction."""

from __future__ import annotations

from slogate.store.segments import RecoveryReport, SegmentStore, default_instance

__all__ = ["RecoveryReport", "SegmentStore", "default_instance"]
