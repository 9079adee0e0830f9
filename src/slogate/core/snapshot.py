"""The dated SLO snapshot document (the JSON the seed team wrote by hand).

`build_snapshot` is pure: callers compute results and input statistics first,
then pass plain values in. The window engine reuses it for daily snapshots.
Format (CONTRACTS.md): `generated`, `date`, `window` {since, until}, `inputs`
{files, lines, events, duplicates, rejected}, `config_sha256`, `tool_version`,
`engine`, `classification` {class: count}, and `slos`, one object per SLO in
configuration order. Ratios are fractions in [0, 1]; durations are in ms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from slogate.core.result import SLIResult
from slogate.core.slo import SLO, Classification, Measurability, classification_counts

SNAPSHOT_SCHEMA_VERSION = 1


def iso_utc(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, millisecond precision (None stays None)."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def slo_entry(slo: SLO, classification: Classification, result: SLIResult | None) -> dict[str, Any]:
    """One SLO's line in a snapshot. A blocked SLO, or one without a result,
    has no value and `met: null`."""
    target = (
        {"op": slo.target.op.value, "value": slo.target.value, "unit": slo.target.unit.value}
        if slo.target is not None
        else None
    )
    if classification.status is Measurability.BLOCKED:
        result = None
    return {
        "id": slo.id,
        "pillar": slo.pillar,
        "name": slo.name,
        "kind": slo.kind.value,
        "status": classification.status.value,
        "status_reason": classification.reason,
        "soak": slo.soak,
        "min_samples": slo.min_samples,
        "target": target,
        "value": result.value if result is not None else None,
        "met": result.met(slo) if result is not None else None,
        "good": result.good if result is not None else None,
        "total": result.total if result is not None else None,
        "samples": result.samples if result is not None else 0,
        "counts": dict(result.counts) if result is not None else {},
    }


def build_snapshot(
    *,
    slos: Sequence[SLO],
    classifications: Mapping[str, Classification],
    results: Mapping[str, SLIResult | None],
    inputs: Mapping[str, Any],
    config_sha256: str,
    tool_version: str,
    engine: str,
    generated: datetime,
    day: date,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Assemble the snapshot document.

    - `slos`: in the order the configuration lists them;
    - `classifications`: `classify()` per SLO id;
    - `results`: one whole-range (or one day's) `SLIResult` per SLO id; missing
      or None means no data;
    - `inputs`: {files, lines, events, duplicates, rejected: {reason: n}} (extra
      keys are kept);
    - `day`: the date the snapshot is for (file name `slo_snapshot_YYYY_MM_DD`).
    """
    entries = [slo_entry(s, classifications[s.id], results.get(s.id)) for s in slos]
    counts = classification_counts(classifications[s.id].status for s in slos)
    met = [e["met"] for e in entries]
    return {
        "schema": SNAPSHOT_SCHEMA_VERSION,
        "generated": iso_utc(generated),
        "date": day.isoformat(),
        "window": {"since": iso_utc(since), "until": iso_utc(until)},
        "inputs": {
            "files": int(inputs.get("files", 0)),
            "lines": int(inputs.get("lines", 0)),
            "events": int(inputs.get("events", 0)),
            "duplicates": int(inputs.get("duplicates", 0)),
            "rejected": dict(sorted(dict(inputs.get("rejected", {})).items())),
            **{
                k: v
                for k, v in inputs.items()
                if k not in ("files", "lines", "events", "duplicates", "rejected")
            },
        },
        "config_sha256": config_sha256,
        "tool_version": tool_version,
        "engine": engine,
        "classification": counts,
        "summary": {
            "slos": len(entries),
            "met": sum(1 for m in met if m is True),
            "missed": sum(1 for m in met if m is False),
            "no_data": sum(1 for m in met if m is None),
        },
        "slos": entries,
    }


def snapshot_filename(day: date, suffix: str = "json") -> str:
    return f"slo_snapshot_{day.strftime('%Y_%m_%d')}.{suffix}"
