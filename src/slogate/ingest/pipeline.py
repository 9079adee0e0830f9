"""Entries of an accepted request: normalise, scrub, store, dead-letter.

The 200 is sent only after the store has fsynced the accepted events; a store
that cannot write turns into 503 + Retry-After, which the SDK retries (the
readers drop a repeated `event_id`, so a retried batch is not counted twice).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from slogate.config.ingest import IngestSettings
from slogate.core.catalog import Catalog
from slogate.core.event import AuthContext, Event, Limits, check_shape, normalize_client_event
from slogate.errors import StoreError
from slogate.ingest.errors import ApiError
from slogate.ingest.fastpath import FastNormaliser
from slogate.ingest.metrics import IngestMetrics
from slogate.ingest.otlp import OtlpShapeError, iter_records, record_to_event
from slogate.ingest.shapes import _ISO_TIME, _UUID  # noqa: F401  (parity tests use them)
from slogate.ingest.shapes import is_iso_time as _is_iso_time
from slogate.ingest.shapes import is_uuid as _is_uuid

log = logging.getLogger("slogate.ingest")

_dumps = orjson.dumps
_NEWLINE = orjson.OPT_APPEND_NEWLINE

_RAW_MAX = 2048

_SERVER_FIELDS = ("ts", "source", "v")
_ID_FIELDS = ("event_id", "session_id")
_TIME_FIELDS = ("client_ts", "sent_at")


@dataclass(slots=True)
class Prepared:
    """A judged batch ready for the store: its JSON lines (or, for a store without
    `append_lines`, its records), its dead letters and what the answer says. It
    holds nothing of the parsed request."""

    accepted: int
    rejected: list[dict[str, Any]]
    lines: bytes | None
    first_ts: Any
    events: list[dict[str, Any]] | None
    dead: list[dict[str, Any]]


def split_protected(
    fields: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields kept as they are, fields to scrub). Kept: server-set fields, a catalog
    event name, and ids and times whose shape holds no PII. Scrubbing them would
    cost time and could only break them (deduplication relies on `event_id`)."""
    kept: dict[str, Any] = {}
    for key in _SERVER_FIELDS:
        if key in fields:
            kept[key] = fields[key]
    name = fields.get("event")
    if name in catalog:
        kept["event"] = name
    for key in _ID_FIELDS:
        value = fields.get(key)
        if type(value) is str and _is_uuid(value):
            kept[key] = value
    for key in _TIME_FIELDS:
        value = fields.get(key)
        if value is None:
            continue
        kind = type(value)
        if kind is int or kind is float or (kind is str and _is_iso_time(value)):
            kept[key] = value
    rest = {k: v for k, v in fields.items() if k not in kept}
    return kept, rest


def iso_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    if moment.year >= 1000:
        # isoformat is several times cheaper than strftime and, for 4-digit years,
        # spells the same thing: it also cuts (not rounds) to milliseconds.
        return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def limits_of(settings: IngestSettings) -> Limits:
    return Limits(
        max_depth=settings.max_depth,
        max_fields=settings.max_fields,
        max_string_length=settings.max_string_length,
        max_key_length=settings.max_key_length,
        session_id_max_length=settings.session_id_max_length,
        unknown_events=settings.unknown_events,
        wrong_types=settings.wrong_types,
        schema_version=settings.schema_version,
    )


class Pipeline:
    def __init__(
        self,
        settings: IngestSettings,
        catalog: Catalog,
        store: Any,
        metrics: IngestMetrics,
        scrub_event: Callable[[dict[str, Any]], dict[str, Any]],
        scrub_text: Callable[[str], str],
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.metrics = metrics
        self.scrub_event = scrub_event
        self.scrub_text = scrub_text
        self.limits = limits_of(settings)
        # The compiled fast path builds records with the default scrubber's rules
        # (`scrub_texts`); with any other scrubber everything takes the reference path.
        from slogate import privacy

        self._scrub_texts = privacy.scrub_texts
        self.fast: FastNormaliser | None = None
        if scrub_event is privacy.scrub_event and scrub_text is privacy.scrub_text:
            self.fast = FastNormaliser(catalog, self.limits)
            if not self.fast.enabled:
                self.fast = None
        # Stores that take pre-serialised lines (`SegmentStore.append_lines`, and the
        # dashboard's `ObservedStore`, which reads them back off the request path)
        # get them; looked up on the class, so a wrapper that only delegates unknown
        # attributes still sees every event through `append`.
        self._append_lines = (
            store.append_lines if callable(getattr(type(store), "append_lines", None)) else None
        )

    def otlp_events(self, document: Any) -> tuple[list[Any], dict[int, str]]:
        """Raw events of an OTLP document, and the records that could not be mapped
        (by index) which are rejected like bad entries."""
        try:
            records = iter_records(document)
        except OtlpShapeError as exc:
            raise ApiError(400, "invalid_otlp", str(exc)) from exc
        if len(records) > self.settings.otlp_max_records:
            raise ApiError(
                400, "too_many_events", f"at most {self.settings.otlp_max_records} log records"
            )
        out: list[Any] = []
        bad: dict[int, str] = {}
        for i, (record, resource) in enumerate(records):
            try:
                out.append(record_to_event(record, resource))
            except (ValueError, RecursionError) as exc:
                out.append(record)
                bad[i] = f"invalid_otlp_record: {str(exc)[:120]}"
        return out, bad

    async def ingest(
        self,
        entries: Sequence[Any],
        auth: AuthContext,
        now: datetime,
        *,
        source: str,
        pre_rejected: Mapping[int, str] | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """`prepare` then `commit`: (accepted count, rejected entries)."""
        prepared = self.prepare(entries, auth, now, source=source, pre_rejected=pre_rejected)
        return await self.commit(prepared)

    def prepare(
        self,
        entries: Sequence[Any],
        auth: AuthContext,
        now: datetime,
        *,
        source: str,
        pre_rejected: Mapping[int, str] | None = None,
    ) -> Prepared:
        """Judge, normalise, scrub and serialise a batch; nothing is stored yet.

        The result holds no reference to the entries, so a caller can let go of the
        parsed request before it waits for the group commit (see `commit`)."""
        received = iso_ms(now)
        accepted: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        dead: list[dict[str, Any]] = []
        pre = pre_rejected or {}
        fast = self.fast
        records = (
            fast.batch(entries, received, auth.user_id, auth.room_id) if fast is not None else None
        )
        if records is not None and not pre and None not in records:
            accepted = records  # the common case: every entry took the compiled path
            entries = ()
        for index, raw in enumerate(entries):
            if index in pre:
                outcome: Any = None
                reason, label = pre[index], pre[index].split(":", 1)[0]
            else:
                if records is not None:
                    record = records[index]
                    if record is not None:
                        accepted.append(record)
                        continue
                outcome = normalize_client_event(
                    raw,
                    catalog=self.catalog,
                    auth=auth,
                    received_ts=received,
                    limits=self.limits,
                )
                if isinstance(outcome, Event):
                    kept, rest = split_protected(outcome.fields, self.catalog)
                    kept.update(self.scrub_event(rest))
                    accepted.append(kept)
                    continue
                reason, label = outcome.text(), outcome.reason
            reason = self.scrub_text(reason)
            rejected.append({"index": index, "reason": reason})
            self.metrics.rejected.labels(label).inc()
            dead.append(self._dead_letter(raw, reason, index, received, source))
        if accepted and self._append_lines is not None:
            # Serialised here, once, as the store would: one orjson call per event.
            lines = b"".join([_dumps(e, option=_NEWLINE) for e in accepted])
            return Prepared(len(accepted), rejected, lines, accepted[0].get("ts"), None, dead)
        return Prepared(len(accepted), rejected, None, None, accepted or None, dead)

    async def commit(self, prepared: Prepared) -> tuple[int, list[dict[str, Any]]]:
        """Store a prepared batch (fsynced) and its dead letters: (accepted, rejected).
        Any failed write refuses the whole request with 503 + Retry-After."""
        lines = prepared.lines
        if lines is not None and not prepared.dead:
            # The common case (nothing rejected): one store call, awaited directly.
            assert self._append_lines is not None
            try:
                await self._append_lines(lines, prepared.first_ts)
            except Exception as exc:
                self._failed([("events", exc)])
        else:
            await self._write(prepared)
        self.metrics.accepted.inc(prepared.accepted)
        return prepared.accepted, prepared.rejected

    def _dead_letter(
        self, raw: Any, reason: str, index: int, received: str, source: str
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "received_at": received,
            "reason": reason,
            "index": index,
            "event": None,
            "raw": None,
            "source": source,
        }
        if isinstance(raw, dict) and check_shape(raw, self.limits) is None:
            record["event"] = self.scrub_event(raw)
        else:
            # Scrub the whole text, then cut: a cut first could split a secret so that
            # no rule matches the half that is kept.
            text = json.dumps(raw, ensure_ascii=False, default=str)
            record["raw"] = self.scrub_text(text)[:_RAW_MAX]
        return record

    async def _write(self, prepared: Prepared) -> None:
        lines, dead = prepared.lines, prepared.dead
        jobs = []
        targets = []
        if lines is not None:
            assert self._append_lines is not None
            jobs.append(self._append_lines(lines, prepared.first_ts))
            targets.append("events")
        elif prepared.events:
            jobs.append(self.store.append(prepared.events))
            targets.append("events")
        if dead:
            jobs.append(self.store.append_dead_letters(dead))
            targets.append("deadletter")
        if not jobs:
            return
        if len(jobs) == 1:
            try:
                await jobs[0]
                results: list[Any] = [None]
            except Exception as exc:
                results = [exc]
        else:
            results = await asyncio.gather(*jobs, return_exceptions=True)
        failures = [
            (target, result)
            for target, result in zip(targets, results, strict=True)
            if isinstance(result, BaseException)
        ]
        if failures:
            self._failed(failures)

    def _failed(self, failures: list[tuple[str, BaseException]]) -> None:
        """Count and log failed writes, then refuse the whole request with 503."""
        for target, result in failures:
            self.metrics.store_failures.labels(target).inc()
            log.error("store write failed (%s): %s", target, type(result).__name__)
        failure = failures[0][1]
        if not isinstance(failure, StoreError | OSError):
            log.error("unexpected store failure", exc_info=failure)
        # Whatever broke, nothing is acknowledged: the client keeps the batch and retries.
        raise ApiError(
            503,
            "storage_unavailable",
            "the event store cannot write now",
            headers={"Retry-After": str(self.settings.retry_after_seconds)},
        ) from failure
