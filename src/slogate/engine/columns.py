"""Column layout of the canonical events table every SLI query runs over.

`ts_us` (BIGINT microseconds since the epoch, UTC) and `event` (VARCHAR), then
for each loaded field a text column `s_<field>` (the JSON value as text, as
`json_extract_string` gives it) and/or, for numeric fields, `n_<field>`
(DOUBLE, NULL unless the value is a finite number or a decimal string).
Integers for time keep both engines exact and free of time-zone conversions.
Only the fields the SLOs read are kept, so the table stays small.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from slogate.core.catalog import Catalog, FieldType
from slogate.core.slo import SLO, GrowthSLI, QuantileSLI, selectors_of

#: Canonical fields loaded as text when no field list is given.
BASE_FIELDS: tuple[str, ...] = ("event_id", "session_id", "user_id", "room_id", "source")
#: Compared to drop repeated events; dropped after loading unless asked for.
DEDUP_FIELD = "event_id"

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True, slots=True)
class Layout:
    """Which fields are extracted, and under which column names they are kept.

    `raw` maps every extracted field to the name of its text value inside the
    load query; `text` and `numeric` are the columns kept in the table.
    """

    raw: dict[str, str]
    text: dict[str, str]
    numeric: dict[str, str] = field(default_factory=dict)
    drop_after_load: tuple[str, ...] = ()

    def text_column(self, name: str) -> str | None:
        return self.text.get(name)

    def numeric_column(self, name: str) -> str | None:
        return self.numeric.get(name)


def _column(prefix: str, name: str, taken: set[str]) -> str:
    base = f"{prefix}_{_UNSAFE.sub('_', name)}".lower()[:60]
    candidate, i = base, 1
    while candidate in taken:
        i += 1
        candidate = f"{base}_{i}"
    taken.add(candidate)
    return candidate


def catalog_numeric(catalog: Catalog) -> set[str]:
    names: set[str] = set()
    for spec in catalog.events.values():
        for name, ftype in spec.fields.items():
            if ftype in (FieldType.NUMBER, FieldType.INTEGER):
                names.add(name)
    return names


def build_layout(
    catalog: Catalog,
    fields: Iterable[str] | None = None,
    numeric: Iterable[str] = (),
) -> Layout:
    """Without `fields`: every canonical and catalog field as text, plus numbers
    for fields the catalog types as number/integer. With `fields`: those as text
    (plus numbers when the catalog types them numeric) and `numeric` as numbers
    only; `event_id` is loaded for deduplication and then dropped."""
    typed = catalog_numeric(catalog)
    wanted_numeric = list(numeric)
    if fields is None:
        text_names = list(BASE_FIELDS)
        for spec in catalog.events.values():
            text_names.extend(spec.fields)
        wanted_numeric += [n for n in text_names if n in typed]
    else:
        text_names = [DEDUP_FIELD, *fields]
        wanted_numeric += [n for n in fields if n in typed]
    skip = {"ts", "event"}
    text_order = [n for n in dict.fromkeys(text_names) if n not in skip]
    num_order = [n for n in dict.fromkeys(wanted_numeric) if n not in skip]
    taken = {"ts_us", "event", "reject"}
    raw = {n: _column("s", n, taken) for n in dict.fromkeys([*text_order, *num_order])}
    text = {n: raw[n] for n in text_order}
    num = {n: _column("n", n, taken) for n in num_order}
    drop: tuple[str, ...] = ()
    if fields is not None and DEDUP_FIELD not in set(fields):
        drop = (raw[DEDUP_FIELD],)
    return Layout(raw, text, num, drop)


def slo_fields(slos: Iterable[SLO]) -> tuple[list[str], list[str]]:
    """Fields SLOs read as text (filters, keys) and as numbers (values), for
    `open_events(fields=..., numeric_fields=...)`: loading only these keeps the
    table small."""
    text: dict[str, None] = {}
    numeric: dict[str, None] = {}
    for slo in slos:
        sli = slo.sli
        for _, selector in selectors_of(sli):
            text.update(dict.fromkeys(f.field for f in selector.where))
        for attr in ("key", "unit_key"):
            value = getattr(sli, attr, None)
            if isinstance(value, str):
                text[value] = None
        if isinstance(sli, QuantileSLI):
            numeric[sli.field] = None
        elif isinstance(sli, GrowthSLI):
            numeric.update(dict.fromkeys((sli.field, sli.progress_field)))
    return list(text), list(numeric)
