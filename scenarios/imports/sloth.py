"""Sloth: ``version: prometheus/v1`` specs, the ``PrometheusServiceLevel`` CRD, and
``AlertWindows`` (custom windows for a period).

Each SLO becomes a ``custom`` SLO of its service with Sloth's two alerts as two OR-groups
of tiers: ``page`` (quick OR slow) and ``ticket`` (quick OR slow), each tier's factor
derived as Sloth derives it, ``errorBudgetPercent / 100 x period / long window``. Sloth's
default windows (for 30d and 28d alike): page 2% over 1h/5m and 5% over 6h/30m; ticket
10% over 1d/2h and 10% over 3d/6h. An ``AlertWindows`` document replaces them for the
SLOs of its ``sloPeriod``. The period is Sloth's default, 30d (specs carry none).

Severity words come from ``page_alert.labels.severity`` / ``ticket_alert.labels.severity``
(``page`` / ``ticket`` when absent); the fragment maps them to sev1 (page) and sev3
(ticket). Labels: the spec's, the SLO's, the alerting's and the alert's, plus
``sloth_severity``. Not imported: the SLI queries (the simulation makes its own traffic),
annotations, plugins.
"""

from __future__ import annotations

from typing import Any

from scenarios.files import ScenarioError
from scenarios.imports.common import Fragment, prom_duration, slug

__all__ = ["DEFAULT_WINDOWS", "read"]

DAY = 86400.0
#: (alert, speed, errorBudgetPercent, long, short): Sloth's defaults.
DEFAULT_WINDOWS: list[tuple[str, str, float, float, float]] = [
    ("page", "quick", 2.0, 3600.0, 300.0),
    ("page", "slow", 5.0, 6 * 3600.0, 1800.0),
    ("ticket", "quick", 10.0, DAY, 2 * 3600.0),
    ("ticket", "slow", 10.0, 3 * DAY, 6 * 3600.0),
]
PERIOD = 30 * DAY


def read(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    if doc.get("kind") == "AlertWindows":
        _windows(doc, path, fragment)
        return
    spec = doc.get("spec", {}) if doc.get("kind") == "PrometheusServiceLevel" else doc
    if not isinstance(spec, dict) or not isinstance(spec.get("service"), str):
        raise ScenarioError(f"{path}: service: a Sloth spec names its service (service: myservice)")
    service = fragment.service(spec["service"], spec["service"])
    common = _labels(spec.get("labels"))
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        raise ScenarioError(f"{path}: slos: a Sloth spec lists its SLOs")
    for i, slo in enumerate(slos):
        _slo(slo, f"slos[{i}]", service, common, path, fragment)


def _slo(slo: Any, where: str, service: str, common: dict[str, str], path: str, fragment: Fragment) -> None:
    if not isinstance(slo, dict) or "name" not in slo or "objective" not in slo:
        fragment.warn(path, where, "an SLO needs a name and an objective; skipped")
        return
    try:
        objective = round(float(slo["objective"]) / 100.0, 10)
    except (TypeError, ValueError):
        fragment.warn(path, f"{where}.objective", f"{slo['objective']!r} is not a percentage; skipped")
        return
    alerting = slo.get("alerting") or {}
    tiers = []
    windows = fragment.sloth_windows.get(PERIOD, DEFAULT_WINDOWS)
    for alert in ("page", "ticket"):
        own = alerting.get(f"{alert}_alert") or {}
        if own.get("disable"):
            continue
        labels = {**_labels(alerting.get("labels")), **_labels(own.get("labels"))}
        word = slug(labels.pop("severity", alert))
        fragment.severity(word, "sev1" if alert == "page" else "sev3")
        labels["sloth_severity"] = alert
        tiers += [
            {
                "name": f"{alert}-{speed}",
                "group": alert,
                "long": _dur(long),
                "short": _dur(short),
                "factor": round(percent / 100.0 * PERIOD / long, 6),
                "severity": word,
                "labels": dict(labels),
            }
            for name, speed, percent, long, short in windows
            if name == alert
        ]
    if not tiers:
        fragment.warn(path, f"{where}.alerting", "both alerts are disabled: nothing to simulate; skipped")
        return
    entry: dict[str, Any] = {
        "name": slug(str(slo["name"])),
        "service": service,
        "objective": objective,
        "period": _dur(PERIOD),
        "policy": "custom",
        "tiers": tiers,
    }
    if alerting.get("name"):
        entry["display_name"] = str(alerting["name"])
    labels = {**common, **_labels(slo.get("labels"))}
    if labels:
        entry["labels"] = labels
    fragment.slo(entry, path)


def _windows(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    spec = doc.get("spec") or {}
    try:
        period = prom_duration(spec["sloPeriod"])
        rows = []
        for alert in ("page", "ticket"):
            for speed in ("quick", "slow"):
                w = spec[alert][speed]
                rows.append(
                    (
                        alert,
                        speed,
                        float(w["errorBudgetPercent"]),
                        prom_duration(w["longWindow"]),
                        prom_duration(w["shortWindow"]),
                    )
                )
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(
            f"{path}: spec: an AlertWindows document with page/ticket quick/slow windows ({exc})"
        ) from None
    fragment.sloth_windows[period] = rows


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _dur(seconds: float) -> str:
    from bus.vtime import format_duration

    return format_duration(seconds)
