"""`store:` section of slogate.yaml (owned by the event store)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slogate.config.base import StrictModel


class CompactionSettings(StrictModel):
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet compression codec of compacted segments."
    )
    row_group_rows: int = Field(
        128_000, ge=1_000, le=10_000_000, description="Rows per Parquet row group."
    )
    interval_minutes: int | None = Field(
        None,
        ge=1,
        description="When set, `slogate serve` compacts closed segments this often; "
        "otherwise run `slogate compact --data DIR` (e.g. from cron).",
    )


class StoreSettings(StrictModel):
    max_segment_mb: int = Field(
        64, ge=1, le=4096, description="A segment rotates once it would grow past this size."
    )
    fsync: bool = Field(
        True,
        description="fdatasync before acknowledging a batch. Turn off only for benchmarks: "
        "acknowledged events may then be lost on power failure.",
    )
    commit_interval_ms: float = Field(
        3.0,
        ge=0,
        le=1000,
        description="Least time between the starts of two group commits (write + "
        "fdatasync) once more than one request is writing, like PostgreSQL's "
        "commit_delay: spread-out load then shares fewer, larger commits. A lone "
        "request is never delayed; 0 turns pacing off.",
    )
    instance: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="Name of this writer in segment file names; defaults to the host name. "
        "Two processes sharing a data directory need distinct instances.",
    )
    compaction: CompactionSettings = Field(default_factory=CompactionSettings)

    @property
    def max_segment_bytes(self) -> int:
        return self.max_segment_mb * 2**20


class StoreSection(StrictModel):
    """Mixin contributing the top-level `store` key."""

    store: StoreSettings = Field(default_factory=StoreSettings)
