"""OpenSLO ``SLO`` and ``AlertPolicy`` documents, ``v1`` and ``v1alpha``.

An SLO's objective is ``target`` (0.999) or ``targetPercent`` (99.9); its period is its
rolling ``timeWindow`` (v1: ``duration``; v1alpha: ``timeWindows`` with ``count`` and
``unit``). Calendar windows and the ``Timeslices`` budgeting method are refused with a
warning (the simulation counts occurrences over a rolling period). Each burn-rate
``AlertCondition`` of its alert policies (inline, or a policy of the same files named by
``alertPolicyRef``) becomes a single-window tier: ``lookbackWindow`` is its window,
``threshold`` its factor, ``alertAfter`` its ``for:``, ``severity`` its severity word. An
SLO without a burn-rate condition gets the ``sre-workbook`` tiers for its period, written
out. ``Service`` documents
give stubs with their display names; other kinds are skipped with a warning.
"""

from __future__ import annotations

from typing import Any

from actors.domain.rules import preset
from bus.vtime import format_duration
from scenarios.imports.common import Fragment, prom_duration, slug

__all__ = ["read"]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}


def read(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    kind = doc.get("kind")
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    if kind == "AlertPolicy":
        fragment.openslo_policies[str(meta.get("name"))] = spec
        return
    if kind == "Service":
        if meta.get("name"):
            fragment.service(str(meta["name"]), meta.get("displayName") or str(meta["name"]))
        return
    if kind != "SLO":
        fragment.warn(path, f"kind {kind}", "not an SLO, Service or AlertPolicy; skipped")
        return
    name = str(meta.get("name") or "slo")
    where = f"SLO {name}"
    period = _period(spec, path, where, fragment)
    if period is None:
        return
    if spec.get("budgetingMethod", "Occurrences") != "Occurrences":
        fragment.warn(
            path, f"{where}.budgetingMethod", f"{spec['budgetingMethod']} is not simulated (Occurrences only); skipped"
        )
        return
    objectives = spec.get("objectives") or []
    target = _target(objectives[0]) if objectives else None
    if target is None:
        fragment.warn(path, f"{where}.objectives", "no target (target: 0.999 or targetPercent: 99.9); skipped")
        return
    service = fragment.service(str(spec.get("service") or name))
    tiers = _tiers(spec, path, where, fragment)
    entry: dict[str, Any] = {
        "name": slug(name),
        "service": service,
        "objective": target,
        "period": format_duration(period),
    }
    if not tiers:  # no burn-rate condition: the SRE Workbook's tiers, written out
        tiers = [
            {
                "name": row.name,
                "long": format_duration(row.long),
                "short": format_duration(row.short or 0),
                "factor": round(row.factor, 6),
                "severity": row.severity,
            }
            for row in preset("sre-workbook", period)
        ]
    entry.update(policy="custom", tiers=tiers)
    display = meta.get("displayName")
    if display or slug(name) != name:
        entry["display_name"] = str(display or name)
    fragment.slo(entry, path)


def _period(spec: dict[str, Any], path: str, where: str, fragment: Fragment) -> float | None:
    windows = spec.get("timeWindow") or spec.get("timeWindows") or []
    window = windows[0] if windows else {}
    if window.get("isRolling") is False or (window.get("calendar") is not None and window.get("isRolling") is not True):
        fragment.warn(path, f"{where}.timeWindow", "a calendar window is not simulated (rolling windows only); skipped")
        return None
    try:
        if "duration" in window:
            return prom_duration(window["duration"])
        if "count" in window and "unit" in window:
            return float(window["count"]) * _UNITS[str(window["unit"]).lower().rstrip("s")]
    except (KeyError, ValueError) as exc:
        fragment.warn(path, f"{where}.timeWindow", f"{exc}; skipped")
        return None
    return 30 * 86400.0  # none given: the common default


def _target(objective: dict[str, Any]) -> float | None:
    if "target" in objective:
        return round(float(objective["target"]), 10)
    if "targetPercent" in objective:
        return round(float(objective["targetPercent"]) / 100.0, 10)
    return None


def _tiers(spec: dict[str, Any], path: str, where: str, fragment: Fragment) -> list[dict[str, Any]]:
    tiers: list[dict[str, Any]] = []
    for i, ref in enumerate(spec.get("alertPolicies") or []):
        policy = ref if isinstance(ref, dict) and ref.get("kind") == "AlertPolicy" else None
        if policy is not None:
            policy = policy.get("spec") or {}
        else:
            name = (ref or {}).get("alertPolicyRef") if isinstance(ref, dict) else ref
            policy = fragment.openslo_policies.get(str(name))
            if policy is None:
                fragment.warn(
                    path,
                    f"{where}.alertPolicies[{i}]",
                    f"no AlertPolicy {name!r} in the files imported before it; skipped",
                )
                continue
        for j, cond in enumerate(policy.get("conditions") or []):
            body = (cond.get("spec") or {}) if cond.get("kind") == "AlertCondition" else cond
            condition = body.get("condition") or {}
            if condition.get("kind") != "burnrate":
                fragment.warn(path, f"{where} condition {j}", "not a burnrate condition; skipped")
                continue
            try:
                window = prom_duration(condition["lookbackWindow"])
                factor = float(condition["threshold"])
                hold = prom_duration(condition["alertAfter"]) if condition.get("alertAfter") else 0.0
            except (KeyError, ValueError) as exc:
                fragment.warn(path, f"{where} condition {j}", f"{exc}; skipped")
                continue
            cname = ((cond.get("metadata") or {}).get("name")) or f"burnrate-{j + 1}"
            tier: dict[str, Any] = {
                "name": slug(f"{cname}-{format_duration(window)}-{factor:g}x"),
                "long": format_duration(window),
                "factor": factor,
                "severity": slug(str(body.get("severity") or "page")),
            }
            if hold:
                tier["for"] = format_duration(hold)
            tiers.append(tier)
    return tiers
