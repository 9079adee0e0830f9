"""OTLP/HTTP JSON log records to slogate events (pure mapping, no IO).

The event name comes from the `event.name` attribute, else the record's
`eventName`, else a string body. Attribute keys become snake-ish field names
(`session.id` -> `session_id`), the record time becomes `client_ts`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class OtlpShapeError(ValueError):
    """The document is not an OTLP logs export."""


def any_value(value: Any, depth: int = 0) -> Any:
    if not isinstance(value, dict) or depth > 16:
        raise ValueError("not an AnyValue")
    if not value:
        return None
    if len(value) != 1:
        raise ValueError("an AnyValue has exactly one member")
    ((kind, inner),) = value.items()
    if kind == "stringValue" and isinstance(inner, str):
        return inner
    if kind == "boolValue" and isinstance(inner, bool):
        return inner
    if kind == "intValue":
        if isinstance(inner, int) and not isinstance(inner, bool):
            return inner
        if isinstance(inner, str) and inner.lstrip("-").isdigit() and len(inner) <= 20:
            return int(inner)
    if kind == "doubleValue" and isinstance(inner, int | float) and not isinstance(inner, bool):
        return float(inner)
    if kind == "bytesValue" and isinstance(inner, str):
        return inner
    if kind == "arrayValue" and isinstance(inner, dict):
        values = inner.get("values", [])
        if isinstance(values, list):
            return [any_value(v, depth + 1) for v in values]
    if kind == "kvlistValue" and isinstance(inner, dict):
        return key_values(inner.get("values", []), depth + 1)
    raise ValueError(f"bad {kind}")


def key_values(items: Any, depth: int = 0) -> dict[str, Any]:
    if not isinstance(items, list):
        raise ValueError("attributes must be a list")
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise ValueError("an attribute needs a string key")
        out[item["key"]] = any_value(item.get("value", {}), depth)
    return out


def field_name(key: str) -> str:
    return key.replace(".", "_")


def _nanos_to_iso(value: Any) -> str | None:
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        nanos = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        nanos = value
    else:
        return None
    if nanos <= 0:
        return None
    try:
        moment = datetime.fromtimestamp(nanos / 1e9, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iter_records(document: Any) -> list[tuple[Any, dict[str, Any]]]:
    """(record, resource attributes) pairs; raises OtlpShapeError on a bad skeleton."""
    if not isinstance(document, dict):
        raise OtlpShapeError("the body must be an object")
    resource_logs = document.get("resourceLogs", [])
    if not isinstance(resource_logs, list):
        raise OtlpShapeError("resourceLogs must be an array")
    out: list[tuple[Any, dict[str, Any]]] = []
    for rl in resource_logs:
        if not isinstance(rl, dict):
            raise OtlpShapeError("each resourceLogs entry must be an object")
        resource = rl.get("resource", {})
        try:
            attrs = key_values(resource.get("attributes", [])) if isinstance(resource, dict) else {}
        except ValueError as exc:
            raise OtlpShapeError(f"resource attributes: {exc}") from exc
        scope_logs = rl.get("scopeLogs", [])
        if not isinstance(scope_logs, list):
            raise OtlpShapeError("scopeLogs must be an array")
        for sl in scope_logs:
            if not isinstance(sl, dict):
                raise OtlpShapeError("each scopeLogs entry must be an object")
            records = sl.get("logRecords", [])
            if not isinstance(records, list):
                raise OtlpShapeError("logRecords must be an array")
            out.extend((record, attrs) for record in records)
    return out


def record_to_event(record: Any, resource: dict[str, Any]) -> dict[str, Any]:
    """One log record as a raw client event (normalised afterwards like any other).
    Raises ValueError with a reason when the record cannot be mapped."""
    if not isinstance(record, dict):
        raise ValueError("a log record must be an object")
    attributes = key_values(record.get("attributes", []))
    body = any_value(record["body"]) if "body" in record else None
    name = (
        attributes.pop("event.name", None)
        or record.get("eventName")
        or (body if isinstance(body, str) else None)
    )
    if not isinstance(name, str) or not name:
        raise ValueError("no event name (event.name attribute, eventName or a string body)")
    event: dict[str, Any] = {"event": name}
    for key, value in attributes.items():
        event.setdefault(field_name(key), value)
    if body is not None and body != name:
        event.setdefault("message", body)
    when = _nanos_to_iso(record.get("timeUnixNano")) or _nanos_to_iso(
        record.get("observedTimeUnixNano")
    )
    if when is not None:
        event["client_ts"] = when
    severity = record.get("severityText")
    if isinstance(severity, str) and severity:
        event.setdefault("severity", severity[:32])
    for key, out_key in (("traceId", "trace_id"), ("spanId", "span_id")):
        value = record.get(key)
        if isinstance(value, str) and value:
            event.setdefault(out_key, value[:64])
    service = resource.get("service.name")
    if isinstance(service, str):
        event.setdefault("service", service)
    return event
