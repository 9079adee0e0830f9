"""The published JSON Schema of slogate.yaml (`slogate schema`)."""

from __future__ import annotations

from typing import Any

from slogate.config.models import SlogateConfig

SCHEMA_ID = "https://slogate.dev/schema/slogate.schema.json"


def config_json_schema() -> dict[str, Any]:
    schema = SlogateConfig.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "slogate.yaml"
    return schema
