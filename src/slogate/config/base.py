"""Shared pydantic base: unknown keys are errors, so typos never pass silently."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

Loc = tuple[str | int, ...]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class ConfigIssue:
    """A cross-section problem at `loc` (a path of keys and indexes); the loader
    turns it into file:line: field: message."""

    loc: Loc
    message: str
