"""PII scan of a sample of stored events (G1 evidence).

Each sampled event is run through the same scrubber ingest uses: an event that
scrubbing would change carries raw PII or a token the store should never have
kept. Events missing the correlation fields their catalog entry declares are
counted too. Only field names go into the evidence, never the values.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from slogate.core.catalog import Catalog
from slogate.errors import InputError
from slogate.evidence.records import dump_json
from slogate.fileio import atomic_write

_MAX_FINDINGS = 100


def _segments(data_dir: Path) -> list[Path]:
    root = data_dir / "events"
    if not root.is_dir():
        raise InputError("no events/ directory (is this a slogate store?)", file=str(data_dir))
    files: list[Path] = []
    for part in sorted(root.glob("date=*")):
        parquet = {p.stem for p in part.glob("*.parquet")}
        files.extend(sorted(part.glob("*.parquet")))
        files.extend(p for p in sorted(part.glob("*.jsonl")) if p.stem not in parquet)
    return sorted(files, key=lambda p: (p.parent.name, p.name), reverse=True)  # newest first


def _events(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for row in pq.read_table(path).to_pylist():
            attrs = row.pop("attrs", None)
            event = {k: v for k, v in row.items() if v is not None}
            if isinstance(attrs, str) and attrs:
                try:
                    extra = json.loads(attrs)
                except json.JSONDecodeError:
                    extra = {}
                if isinstance(extra, dict):
                    event.update(extra)
            if "ts" in event and not isinstance(event["ts"], str):
                event["ts"] = str(event["ts"])
            yield event
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                yield obj


def _changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    keys = set(before) | set(after)
    return sorted(str(k) for k in keys if before.get(k) != after.get(k))


def scan_store(data_dir: Path, catalog: Catalog, *, sample: int, day: date) -> dict[str, Any]:
    from slogate.privacy.scrub import scrub_event

    scanned = 0
    findings: list[dict[str, Any]] = []
    finding_count = 0
    missing: Counter[str] = Counter()
    files_read: list[str] = []
    for path in _segments(data_dir):
        if scanned >= sample:
            break
        files_read.append(path.relative_to(data_dir).as_posix())
        for event in _events(path):
            if scanned >= sample:
                break
            scanned += 1
            name = str(event.get("event") or event.get("name") or event.get("type") or "?")
            changed = _changed_keys(event, scrub_event(event))
            if changed:
                finding_count += 1
                if len(findings) < _MAX_FINDINGS:
                    findings.append({"event": name, "fields": changed, "file": files_read[-1]})
            spec = catalog.get(name)
            if spec is not None and any(not event.get(f) for f in spec.correlation):
                missing[name] += 1
    return {
        "kind": "pii_scan",
        "date": day.isoformat(),
        "source": str(data_dir),
        "events_scanned": scanned,
        "findings_total": finding_count,
        "findings": findings,
        "missing_correlation": dict(sorted(missing.items())),
        "files": files_read,
    }


def write_pii_scan(doc: dict[str, Any], evidence_dir: Path) -> Path:
    path = evidence_dir / "pii" / f"pii_scan_{doc['date'].replace('-', '_')}.json"
    atomic_write(path, dump_json(doc))
    return path
