"""Configuration: YAML with line numbers, pydantic validation, JSON Schema.

`load_config(path)` is the one way in; it returns a validated `SlogateConfig`
whose `to_core()` hands the pure domain its plain dataclasses.
"""

from slogate.config.load import LoadedConfig, load_config, load_config_text
from slogate.config.models import SlogateConfig

__all__ = ["LoadedConfig", "SlogateConfig", "load_config", "load_config_text"]
