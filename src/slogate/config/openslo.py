"""OpenSLO v1 export and import.

Export writes, as one multi-document YAML stream:
- a `DataSource` named `slogate-events` of type `slogate` whose
  `connectionDetails` carry the event catalog (so an import rebuilds it);
- a `Service` per pillar;
- an `SLO` per SLO that OpenSLO can express, in Occurrences budgeting over the
  configured budget window:
  - ratio (`>=`): `ratioMetric` with good and bad (or total);
  - rate (`<` / `<=`): `ratioMetric` with bad and total, target `1 - t`;
  - distinct ratio: `ratioMetric` over units started (total) and failed (bad);
  - quantile `pXX <= T`: `thresholdMetric` with `op: lte, value: T, target: XX %`
    (XX % of samples at most T is the same statement as pXX <= T);
  - growth `<= T`: `thresholdMetric` with `op: lte, value: T, target: 1`
    (every unit at most T).
  Counts, correlations and monitors have no OpenSLO objective and are skipped
  (reported). Metric sources are of type `slogate` with the selector (events and
  filters) as spec; slogate's own details (pillar, exact operator, unit, soak,
  min_samples, ids) ride in `metadata.annotations` under `slogate.dev/`.

Import reads OpenSLO v1 files (any number of documents) into a slogate
configuration. Sources of type `slogate` map back exactly; other sources (a
Prometheus query, say) cannot be evaluated on event logs, so their SLO is
imported with a planned (not yet emitted) event named after the source and is
classified `blocked` until someone maps it to events. Export then import gives
back an equivalent configuration for every exported SLO.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from slogate.config.load import load_config_text
from slogate.errors import ConfigError

API = "openslo/v1"
A = "slogate.dev/"
SOURCE = "slogate-events"


def _dns(name: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")[:63] or "x"


def _source(spec: dict[str, Any]) -> dict[str, Any]:
    return {"metricSource": {"metricSourceRef": SOURCE, "type": "slogate", "spec": spec}}


def _selector_spec(sel: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"events": list(sel.events)}
    if sel.where:
        out["where"] = [
            f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in sel.where
        ]
    return out


def _time_window(config: Any) -> list[dict[str, Any]]:
    b = config.budget
    if b.period == "rolling":
        return [{"duration": f"{b.days}d", "isRolling": True}]
    month = b.period == "calendar_month"
    return [
        {
            "duration": "1M" if month else "1w",
            "isRolling": False,
            # any month start / any Monday anchors the calendar
            "calendar": {
                "startTime": "2024-01-01 00:00:00" if month else "2024-01-01 00:00:00",
                "timeZone": "UTC",
            },
        }
    ]


def _slo_doc(slo: Any, config: Any) -> dict[str, Any] | str:
    """The SLO document, or the reason it cannot be expressed."""
    sli = slo.sli
    target = slo.target
    common_where = [f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in sli.where]
    annotations = {
        f"{A}id": slo.id,
        f"{A}kind": sli.kind,
        f"{A}pillar": slo.pillar,
    }
    if target is not None:
        annotations[f"{A}op"] = target.op.value
        annotations[f"{A}unit"] = target.unit.value
    if slo.soak:
        annotations[f"{A}soak"] = "true"
    if slo.min_samples != 1:
        annotations[f"{A}min_samples"] = str(slo.min_samples)
    if common_where:
        annotations[f"{A}where"] = yaml.safe_dump(common_where, default_flow_style=True).strip()
    if slo.tags:
        annotations[f"{A}tags"] = ",".join(slo.tags)
    if target is None:
        return "a monitor has no objective"
    objective: dict[str, Any] = {"displayName": slo.name}
    if sli.kind == "ratio":
        if target.op.value != ">=":
            return "OpenSLO ratio objectives are lower bounds (>=)"
        ratio: dict[str, Any] = {"counter": True, "good": _source(_selector_spec(sli.good))}
        if sli.bad is not None:
            # OpenSLO wants good (or bad) over total: total is "good or bad"
            good, bad = _selector_spec(sli.good), _selector_spec(sli.bad)
            ratio["total"] = _source(
                {
                    "events": list(dict.fromkeys([*sli.good.events, *sli.bad.events])),
                    "any_of": [good, bad],
                }
            )
            annotations[f"{A}ratio"] = "good_bad"
        else:
            ratio["total"] = _source(_selector_spec(sli.total))
        indicator: dict[str, Any] = {"ratioMetric": ratio}
        objective["target"] = target.value
    elif sli.kind == "rate":
        if target.op.value not in ("<", "<="):
            return "a rate objective must be an upper bound"
        indicator = {
            "ratioMetric": {
                "counter": True,
                "bad": _source(_selector_spec(sli.bad)),
                "total": _source(_selector_spec(sli.total)),
            }
        }
        objective["target"] = round(1.0 - target.value, 12)
    elif sli.kind == "distinct_ratio":
        if target.op.value != ">=":
            return "OpenSLO ratio objectives are lower bounds (>=)"
        indicator = {
            "ratioMetric": {
                "counter": True,
                "bad": _source({**_selector_spec(sli.failure), "distinct": sli.key}),
                "total": _source({**_selector_spec(sli.start), "distinct": sli.key}),
            }
        }
        objective["target"] = target.value
    elif sli.kind == "quantile":
        if target.op.value not in ("<=", "<"):
            return "a latency objective must be an upper bound"
        indicator = {"thresholdMetric": _source({"events": list(sli.events), "field": sli.field})}
        objective.update(
            {
                "op": "lte" if target.op.value == "<=" else "lt",
                "value": target.value,
                "target": sli.quantile,
            }
        )
    elif sli.kind == "growth":
        indicator = {
            "thresholdMetric": _source(
                {
                    "events": list(sli.events),
                    "field": sli.field,
                    "growth": {
                        "unit_key": sli.unit_key,
                        "progress_field": sli.progress_field,
                        "progress_min": sli.progress_min,
                    },
                }
            )
        }
        objective.update(
            {"op": "lte" if target.op.value == "<=" else "lt", "value": target.value, "target": 1}
        )
    else:
        return f"a {sli.kind} SLI has no OpenSLO objective (counts, joins and monitors)"
    return {
        "apiVersion": API,
        "kind": "SLO",
        "metadata": {
            "name": _dns(slo.id),
            "displayName": slo.name,
            "annotations": annotations,
        },
        "spec": {
            "description": slo.description or slo.name,
            "service": _dns(slo.pillar),
            "indicator": {"metadata": {"name": _dns(slo.id) + "-sli"}, "spec": indicator},
            "timeWindow": _time_window(config),
            "budgetingMethod": "Occurrences",
            "objectives": [objective],
        },
    }


def export_documents(config: Any) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": API,
            "kind": "DataSource",
            "metadata": {"name": SOURCE, "annotations": {f"{A}project": config.project}},
            "spec": {
                "type": "slogate",
                "connectionDetails": {
                    "events": [
                        e.model_dump(mode="json", exclude_defaults=True) for e in config.events
                    ],
                    "planned_events": [
                        p.model_dump(mode="json", exclude_defaults=True)
                        for p in config.planned_events
                    ],
                },
            },
        }
    ]
    skipped: list[tuple[str, str]] = []
    slo_docs: list[dict[str, Any]] = []
    pillars: dict[str, None] = {}
    for slo in config.slos:
        doc = _slo_doc(slo, config)
        if isinstance(doc, str):
            skipped.append((slo.id, doc))
        else:
            slo_docs.append(doc)
            pillars.setdefault(slo.pillar, None)
    for pillar in pillars:
        docs.append(
            {
                "apiVersion": API,
                "kind": "Service",
                "metadata": {"name": _dns(pillar), "annotations": {f"{A}pillar": pillar}},
                "spec": {"description": f"{pillar} pillar of {config.project}"},
            }
        )
    docs.extend(slo_docs)
    return docs, skipped


def export_openslo(config: Any) -> tuple[str, list[tuple[str, str]]]:
    docs, skipped = export_documents(config)
    header = "# OpenSLO v1, generated by slogate.\n" + "".join(
        f"# skipped {slo_id}: {reason}\n" for slo_id, reason in skipped
    )
    return header + yaml.safe_dump_all(docs, sort_keys=False, width=1000), skipped


# --- import -------------------------------------------------------------------


def _id(name: str) -> str:
    ident = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not ident or not ident[0].isalpha():
        ident = "slo_" + ident
    return ident[:100]


def _selector_from(source: Any, planned: dict[str, str], label: str) -> dict[str, Any]:
    """A slogate selector from an OpenSLO metric source; foreign sources become a
    planned event (the SLO is blocked until mapped)."""
    ms = (source or {}).get("metricSource") or {}
    spec = ms.get("spec") or {}
    if ms.get("type") == "slogate" and spec.get("events"):
        out: dict[str, Any] = {"events": list(spec["events"])}
        if spec.get("where"):
            out["where"] = spec["where"]
        return out
    name = _id(f"{label}")
    query = spec.get("query") or spec.get("promql") or str(spec)[:200]
    planned.setdefault(name, f"imported from OpenSLO ({ms.get('type', 'unknown')}): {query}")
    return {"events": [name]}


def _op(text: str | None, default: str) -> str:
    return {"lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}.get(text or "", default)


def import_documents(docs: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A slogate configuration mapping from OpenSLO documents ((file, doc) pairs)."""
    events: list[dict[str, Any]] = []
    planned_from_source: list[dict[str, Any]] = []
    planned: dict[str, str] = {}
    services: dict[str, str] = {}
    project = "imported"
    slos: list[dict[str, Any]] = []
    budget: dict[str, Any] | None = None
    for file, doc in docs:
        if not isinstance(doc, dict) or doc.get("apiVersion") != API:
            raise ConfigError(f"not an OpenSLO {API} document", file=file)
        kind = doc.get("kind")
        meta = doc.get("metadata") or {}
        ann = meta.get("annotations") or {}
        spec = doc.get("spec") or {}
        if kind == "DataSource" and spec.get("type") == "slogate":
            details = spec.get("connectionDetails") or {}
            events.extend(details.get("events") or [])
            planned_from_source.extend(details.get("planned_events") or [])
            project = ann.get(f"{A}project", project)
        elif kind == "Service":
            services[meta.get("name", "")] = ann.get(f"{A}pillar", meta.get("name", ""))
        elif kind == "SLO":
            slo, window = _import_slo(file, meta, ann, spec, services, planned)
            slos.append(slo)
            budget = budget or window
    out: dict[str, Any] = {"version": 1, "project": project}
    if budget:
        out["budget"] = budget
    known = {e["name"] for e in events}
    synthesized = _synthesize_events(slos, known, {p["name"] for p in planned_from_source}, planned)
    out["events"] = events + synthesized
    planned_all = planned_from_source + [
        {"name": n, "note": note} for n, note in planned.items() if n not in known
    ]
    if planned_all:
        out["planned_events"] = planned_all
    out["slos"] = slos
    return out


def _import_slo(
    file: str,
    meta: dict[str, Any],
    ann: dict[str, str],
    spec: dict[str, Any],
    services: dict[str, str],
    planned: dict[str, str],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    name = meta.get("name", "")
    slo_id = ann.get(f"{A}id") or _id(name)
    pillar = ann.get(f"{A}pillar") or services.get(spec.get("service", ""), spec.get("service", ""))
    objectives = spec.get("objectives") or []
    if not objectives:
        raise ConfigError(f"SLO {name!r} has no objectives", file=file)
    obj = objectives[0]
    indicator = spec.get("indicator") or {}
    ind = indicator.get("spec") or indicator
    kind = ann.get(f"{A}kind")
    target_value = obj.get("target")
    if target_value is None and obj.get("targetPercent") is not None:
        target_value = float(obj["targetPercent"]) / 100
    if target_value is None:
        raise ConfigError(f"SLO {name!r}: objective has no target", file=file)
    sli: dict[str, Any]
    target: dict[str, Any]
    if "ratioMetric" in ind:
        rm = ind["ratioMetric"]
        if kind == "rate":
            sli = {
                "kind": "rate",
                "bad": _selector_from(rm.get("bad"), planned, f"{slo_id}_bad"),
                "total": _selector_from(rm.get("total"), planned, f"{slo_id}_total"),
            }
            target = {
                "op": ann.get(f"{A}op", "<="),
                "value": round(1 - target_value, 12),
                "unit": "ratio",
            }
        elif kind == "distinct_ratio":
            key = (
                ((rm.get("total") or {}).get("metricSource") or {})
                .get("spec", {})
                .get("distinct", "session_id")
            )
            start = _selector_from(rm.get("total"), planned, f"{slo_id}_start")
            failure = _selector_from(rm.get("bad"), planned, f"{slo_id}_failure")
            sli = {"kind": "distinct_ratio", "start": start, "failure": failure, "key": key}
            target = {"op": ">=", "value": target_value, "unit": "ratio"}
        else:
            sli = {
                "kind": "ratio",
                "good": _selector_from(rm.get("good"), planned, f"{slo_id}_good"),
            }
            any_of = (((rm.get("total") or {}).get("metricSource") or {}).get("spec") or {}).get(
                "any_of"
            )
            if ann.get(f"{A}ratio") == "good_bad" and isinstance(any_of, list) and len(any_of) == 2:
                sli["bad"] = _selector_from(
                    {"metricSource": {"type": "slogate", "spec": any_of[1]}}, planned, slo_id
                )
            elif rm.get("bad") is not None:
                sli["bad"] = _selector_from(rm.get("bad"), planned, f"{slo_id}_bad")
            elif rm.get("good") is not None and rm.get("total") is not None:
                sli["total"] = _selector_from(rm.get("total"), planned, f"{slo_id}_total")
            else:
                raise ConfigError(
                    f"SLO {name!r}: ratioMetric needs good and bad or total", file=file
                )
            target = {"op": ">=", "value": target_value, "unit": "ratio"}
    elif "thresholdMetric" in ind:
        source = ind["thresholdMetric"]
        ms = (source or {}).get("metricSource") or {}
        sspec = ms.get("spec") or {}
        selector = _selector_from(source, planned, f"{slo_id}_value")
        field = sspec.get("field", "value")
        op = _op(obj.get("op"), "<=")
        unit = ann.get(f"{A}unit", "ms")
        if kind == "growth" or "growth" in sspec:
            g = sspec.get("growth") or {}
            sli = {"kind": "growth", "events": selector["events"], "field": field, **g}
            target = {"op": ann.get(f"{A}op", op), "value": obj.get("value"), "unit": unit}
        else:
            sli = {
                "kind": "quantile",
                "events": selector["events"],
                "field": field,
                "quantile": target_value,
            }
            target = {"op": ann.get(f"{A}op", op), "value": obj.get("value"), "unit": unit}
            if selector.get("where"):
                sli["where"] = selector["where"]
    else:
        raise ConfigError(
            f"SLO {name!r}: only ratioMetric and thresholdMetric are supported", file=file
        )
    if ann.get(f"{A}where"):
        sli["where"] = yaml.safe_load(ann[f"{A}where"])
    slo: dict[str, Any] = {
        "id": slo_id,
        "pillar": pillar or "default",
        "name": meta.get("displayName") or obj.get("displayName") or name,
        "sli": sli,
        "target": target,
    }
    description = spec.get("description")
    if description and description != slo["name"]:
        slo["description"] = description
    if ann.get(f"{A}soak") == "true":
        slo["soak"] = True
    if ann.get(f"{A}min_samples"):
        slo["min_samples"] = int(ann[f"{A}min_samples"])
    if ann.get(f"{A}tags"):
        slo["tags"] = ann[f"{A}tags"].split(",")
    return slo, _budget_from(spec.get("timeWindow") or [])


def _budget_from(windows: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not windows:
        return None
    w = windows[0]
    duration = str(w.get("duration", "30d"))
    if w.get("isRolling", True):
        m = re.match(r"^(\d+)([dwh])$", duration)
        if not m:
            return None
        n = int(m.group(1))
        days = n * 7 if m.group(2) == "w" else (max(1, n // 24) if m.group(2) == "h" else n)
        return {"period": "rolling", "days": days}
    if duration.endswith("w"):
        return {"period": "calendar_week"}
    return {"period": "calendar_month"}


def _synthesize_events(
    slos: list[dict[str, Any]], known: set[str], planned_names: set[str], planned: dict[str, str]
) -> list[dict[str, Any]]:
    """Catalog entries for events the SLOs name that no DataSource defined."""
    out: dict[str, dict[str, Any]] = {}
    for slo in slos:
        sli = slo["sli"]
        names: list[str] = []
        for role in ("good", "bad", "total", "start", "failure"):
            if role in sli:
                names.extend(sli[role]["events"])
        names.extend(sli.get("events", []))
        for n in names:
            if n in known or n in planned_names or n in planned or n in out:
                continue
            fields = {sli["field"]: "number"} if "field" in sli else {}
            out[n] = {"name": n, "family": slo["pillar"], "origin": "server", "fields": fields}
    return list(out.values())


def import_openslo(files: Sequence[tuple[str, str]]) -> str:
    """slogate.yaml text from OpenSLO files ((name, text) pairs), validated first."""
    docs: list[tuple[str, dict[str, Any]]] = []
    for name, text in files:
        try:
            for doc in yaml.safe_load_all(text):
                if doc is not None:
                    docs.append((name, doc))
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", file=name) from exc
    mapping = import_documents(docs)
    text = "# Imported from OpenSLO by slogate; review before use.\n" + yaml.safe_dump(
        mapping, sort_keys=False, width=1000
    )
    load_config_text(text, file="<imported>", env={})
    return text
