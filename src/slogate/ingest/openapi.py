"""The OpenAPI document of the ingest service (published at /openapi.json).

Written by hand: the routes read raw bodies (streamed size cap, strict JSON),
so there is no model for a framework to derive a schema from.
"""

from __future__ import annotations

from typing import Any

from slogate import __version__
from slogate.config.ingest import IngestSettings


def _error(description: str, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if retry_after:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def openapi_document(settings: IngestSettings) -> dict[str, Any]:
    event = {
        "type": "object",
        "required": ["event"],
        "properties": {
            "event": {"type": "string", "minLength": 1, "maxLength": 128},
            "event_id": {"type": "string", "format": "uuid"},
            "session_id": {"type": "string"},
            "ts": {"type": ["string", "number"]},
            "sent_at": {"type": ["string", "number"]},
        },
        "additionalProperties": True,
    }
    batch = {
        "type": "object",
        "required": ["events"],
        "properties": {
            "events": {"type": "array", "maxItems": settings.max_batch_events, "items": event},
            "token": {"type": "string", "description": "Ingest JWT when no header can be set."},
        },
    }
    ingest_ok = {
        "type": "object",
        "required": ["accepted", "rejected"],
        "properties": {
            "accepted": {"type": "integer", "minimum": 0},
            "rejected": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "reason"],
                    "properties": {"index": {"type": "integer"}, "reason": {"type": "string"}},
                },
            },
        },
    }
    common = {
        "400": _error("Malformed JSON, events not an array, too many events"),
        "401": _error("Bad or expired ingest token, or a token is required"),
        "403": _error("Origin not allowed"),
        "413": _error("Body over the cap (bytes actually read)"),
        "415": _error("Unsupported content type"),
        "429": _error("Rate limited", retry_after=True),
        "503": _error("Kill switch on or storage unavailable", retry_after=True),
    }
    bearer = [{"ingestToken": []}, {}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "slogate ingest", "version": __version__},
        "paths": {
            "/api/telemetry/ingest": {
                "post": {
                    "summary": "Ingest a batch of client events",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": batch},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Accepted; rejected entries listed by index",
                            "content": {"application/json": {"schema": ingest_ok}},
                        },
                        **common,
                    },
                },
            },
            "/v1/logs": {
                "post": {
                    "summary": "OTLP/HTTP JSON logs, mapped to events",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"resourceLogs": {"type": "array"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "ExportLogsServiceResponse",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **common,
                    },
                }
            },
            "/api/admin/kill-switch": {
                "get": {
                    "summary": "Kill switch state",
                    "security": [{"adminToken": []}],
                    "responses": {
                        "200": {"description": "State"},
                        "401": _error("Bad admin token"),
                        "403": _error("Admin endpoint disabled"),
                    },
                },
                "post": {
                    "summary": "Turn ingest off or on (every instance sharing Redis)",
                    "security": [{"adminToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["enabled"],
                                    "properties": {"enabled": {"type": "boolean"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "New state"},
                        "400": _error("Bad body"),
                        "401": _error("Bad admin token"),
                        "403": _error("Admin endpoint disabled"),
                        "413": _error("Body too large"),
                        "415": _error("Unsupported content type"),
                        "503": _error("Shared state unavailable", retry_after=True),
                    },
                },
            },
            "/healthz": {
                "get": {"summary": "Liveness", "responses": {"200": {"description": "Up"}}}
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: storage writable",
                    "responses": {
                        "200": {"description": "Ready"},
                        "503": _error("Storage not writable", retry_after=True),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {"description": "Exposition", "content": {"text/plain": {}}}
                    },
                }
            },
            "/sdk/slogate.js": {
                "get": {
                    "summary": "Browser SDK",
                    "responses": {
                        "200": {
                            "description": "JavaScript",
                            "content": {"application/javascript": {}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                }
            },
            "securitySchemes": {
                "ingestToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "adminToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }
