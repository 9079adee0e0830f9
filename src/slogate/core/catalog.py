"""The event catalog: which events exist, where they come from, what they carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

#: Fields every canonical event may carry whatever its catalog entry says.
CANONICAL_FIELDS: frozenset[str] = frozenset(
    {
        "ts",
        "event",
        "source",
        "v",
        "event_id",
        "session_id",
        "user_id",
        "room_id",
        "client_ts",
        "sent_at",
    }
)


class Origin(StrEnum):
    """Who emits an event. Client events only reach the store through the relay."""

    SERVER = "server"
    CLIENT = "client"
    BOTH = "both"


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    OBJECT = "object"
    ARRAY = "array"


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    family: str
    origin: Origin
    fields: dict[str, FieldType] = field(default_factory=dict)
    correlation: tuple[str, ...] = ()
    description: str = ""

    @property
    def client_only(self) -> bool:
        return self.origin is Origin.CLIENT


@dataclass(frozen=True, slots=True)
class Catalog:
    """Defined events by name, plus events named by SLOs but not defined yet."""

    events: dict[str, EventSpec]
    planned: dict[str, str] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.events

    def get(self, name: str) -> EventSpec | None:
        return self.events.get(name)

    def families(self) -> list[str]:
        return sorted({spec.family for spec in self.events.values()})

    def field_type(self, event: str, field_name: str) -> FieldType | None:
        spec = self.events.get(event)
        return spec.fields.get(field_name) if spec else None
