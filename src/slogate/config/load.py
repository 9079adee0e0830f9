"""Read slogate.yaml with line numbers, substitute ${ENV}, validate, and report
the first problems as `ConfigError(file, line, field)`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from slogate.config.models import ConfigIssue, Loc, SlogateConfig, sha256_text
from slogate.errors import ConfigError

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration plus where it came from (for packets and errors)."""

    config: SlogateConfig
    path: str
    sha256: str
    lines: dict[Loc, int] = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, loc: Loc) -> int | None:
        return _nearest_line(self.lines, loc)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (the later one would win silently)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_map(node: yaml.Node, path: Loc = (), out: dict[Loc, int] | None = None) -> dict[Loc, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out)
            out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)
    return out


def _nearest_line(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    for cut in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


def _substitute_env(value: Any, env: Mapping[str, str], file: str) -> Any:
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(f"environment variable ${{{name}}} is not set", file=file)

        return _ENV_REF.sub(repl, value)
    if isinstance(value, list):
        return [_substitute_env(v, env, file) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_env(v, env, file) for k, v in value.items()}
    return value


def _field_name(loc: Loc) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    """Drop pydantic's union-tag segments such as 'ratio' or 'function-after[...]'."""
    cleaned: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            "[" in part
            or part
            in {
                "ratio",
                "rate",
                "quantile",
                "distinct_ratio",
                "count",
                "correlation",
                "growth",
                "monitor",
            }
        ):
            if cleaned and cleaned[-1] == "sli":
                continue
            if "[" in part:
                continue
        cleaned.append(part)
    return tuple(cleaned)


def load_config_text(
    text: str, *, file: str = "<config>", env: Mapping[str, str] | None = None
) -> LoadedConfig:
    env = os.environ if env is None else env
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", file=file, line=line) from exc
    if node is None:
        raise ConfigError("the file is empty", file=file)
    lines = _line_map(node)
    try:
        loader = _Loader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", file=file, line=line) from exc
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of sections", file=file, line=1)
    data = _substitute_env(data, env, file)
    try:
        config = SlogateConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _clean_loc(tuple(first["loc"]))
        message = _pydantic_message(first)
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(
            message, file=file, line=_nearest_line(lines, loc), field=_field_name(loc) or None
        ) from exc
    issues = config.reference_issues()
    if issues:
        raise _issue_error(issues, lines, file)
    return LoadedConfig(config=config, path=file, sha256=sha256_text(text), lines=lines)


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see `slogate schema`)"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if "input" in error and kind not in ("model_type", "dict_type"):
        shown = repr(error["input"])
        if len(shown) <= 60:
            message += f" (got {shown})"
    return message


def _issue_error(issues: list[ConfigIssue], lines: dict[Loc, int], file: str) -> ConfigError:
    first = issues[0]
    message = first.message
    if len(issues) > 1:
        message += f" (and {len(issues) - 1} more problem{'s' if len(issues) > 2 else ''})"
    return ConfigError(
        message, file=file, line=_nearest_line(lines, first.loc), field=_field_name(first.loc)
    )


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> LoadedConfig:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError("file not found", file=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", file=str(path)) from exc
    loaded = load_config_text(text, file=str(path), env=env)
    return LoadedConfig(loaded.config, str(path), sha256_text(raw), loaded.lines)
