"""Pyrra ``ServiceLevelObjective`` resources (``apiVersion: pyrra.dev/v1alpha1``).

``target`` is a percent string (``"99.5"``), ``window`` the period (``2w``, ``28d``). The
SLO gets Pyrra's own four tiers for that period (``actors/domain/rules.py``: windows and
``for:`` scaled from 28d, factors 14, 7, 2, 1; severities critical and warning), written
out as custom tiers. The indicator sets the symptom: ``ratio`` -> error_rate, ``latency``
/ ``latencyNative`` -> latency, ``bool_gauge`` -> availability. The service is the
resource's ``pyrra.dev/service`` or ``service`` label, else its name. Not imported: the
queries (the simulation makes its own traffic); ``alerting.disabled: true`` skips it.
"""

from __future__ import annotations

from typing import Any

from actors.domain.rules import preset
from bus.vtime import format_duration
from scenarios.files import ScenarioError
from scenarios.imports.common import Fragment, prom_duration, slug

__all__ = ["read"]

SYMPTOMS = {"ratio": "error_rate", "latency": "latency", "latencyNative": "latency", "bool_gauge": "availability"}


def read(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    if doc.get("kind") != "ServiceLevelObjective" or not meta.get("name"):
        raise ScenarioError(f"{path}: kind: a Pyrra ServiceLevelObjective with metadata.name")
    name = str(meta["name"])
    try:
        objective = round(float(str(spec["target"]).rstrip("%")) / 100.0, 10)
        period = prom_duration(spec.get("window", "28d"))
    except (KeyError, ValueError) as exc:
        fragment.warn(path, "spec.target/window", f"{exc}; skipped")
        return
    if not 0 < objective < 1:
        fragment.warn(path, "spec.target", f"{spec['target']!r} is not a percentage below 100; skipped")
        return
    if (spec.get("alerting") or {}).get("disabled"):
        fragment.warn(path, "spec.alerting.disabled", "alerting is disabled: nothing to simulate; skipped")
        return
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    service_name = labels.get("pyrra.dev/service") or labels.get("service") or name
    service = fragment.service(service_name, service_name)
    indicator = next((k for k in (spec.get("indicator") or {}) if k in SYMPTOMS), "ratio")
    tiers = [
        {
            "name": row.name,
            "long": format_duration(row.long),
            "short": format_duration(row.short or 0),
            "factor": row.factor,
            "for": format_duration(row.for_),
            "severity": row.severity,
        }
        for row in preset("pyrra", period)
    ]
    slo_labels = {slug(k.replace("pyrra.dev/", "")).replace("-", "_").replace(".", "_"): v for k, v in labels.items()}
    entry: dict[str, Any] = {
        "name": slug(name),
        "service": service,
        "objective": objective,
        "period": format_duration(period),
        "symptom": SYMPTOMS[indicator],
        "policy": "custom",
        "tiers": tiers,
    }
    if slug(name) != name:
        entry["display_name"] = name
    if slo_labels:
        entry["labels"] = slo_labels
    fragment.slo(entry, path)
