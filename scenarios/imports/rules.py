"""Prometheus rule files of burn-rate alerts, as Sloth, Pyrra, kube-prometheus and GitLab
generate them (``groups:``, or a ``PrometheusRule`` resource holding them).

Each ``alert:`` rule's ``expr`` is parsed with a PromQL parser (the ``promql-parser``
package), never evaluated. A burn-rate alert is an OR of ANDs of comparisons
``<error ratio over a window> > <number>``; the window is read from the selector's name
(``...:burnrate1h``, ``slo:sli_error:ratio_rate5m``) or from a range (``rate(x[1h])``),
and the number is ``factor x (1 - objective)``: written as a product, the error budget is
the operand below 1 (or the one written ``1 - objective``). Each AND of a long and a
short window is a tier; an alert with several becomes an OR-group. ``for:`` and the
rule's labels come along (``severity`` as the tier's severity word), and the expression
is kept as provenance. The service is the ``sloth_service`` or ``service`` matcher or
label, else the alert's name; the SLO is the ``sloth_slo`` matcher, else the alert's name.

Rules that are not burn-rate alerts (recording rules, other alerts) are skipped with a
warning each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from actors.domain.rules import DEFAULT_SEVERITIES
from scenarios.files import ScenarioError
from scenarios.imports.common import Fragment, prom_duration, slug

__all__ = ["BurnAlert", "parse_burn_alert", "read"]

_WINDOW_IN_NAME = re.compile(r"(?:burnrate|rate|ratio_rate|error_rate)(\d+(?:ms|[smhdwy]))$")


@dataclass
class BurnAlert:
    """What a burn-rate alert's expression says."""

    #: (long, short or None, factor) per tier, in the order written
    tiers: list[tuple[float, float | None, float]]
    objective: float
    matchers: dict[str, str]
    #: the recording rule's prefix (``apiserver_request`` of ``apiserver_request:burnrate1h``)
    prefix: str | None = None


class NotBurnRate(ValueError):
    """An expression that is not a burn-rate alert (the reason is the message)."""


def parse_burn_alert(expr: str) -> BurnAlert:
    """The tiers, objective and equality matchers of a burn-rate alert expression."""
    try:
        import promql_parser
    except ImportError:  # pragma: no cover - an install without the extra
        raise ScenarioError("the rules importer needs promql-parser: pip install -e '.[imports]'") from None
    try:
        tree = promql_parser.parse(expr)
    except Exception as exc:  # noqa: BLE001 - the parser's own errors are not typed
        raise NotBurnRate(f"not valid PromQL ({str(exc).splitlines()[0][:80]})") from None
    matchers: dict[str, str] = {}
    tiers: list[tuple[float, float | None, float]] = []
    budgets: set[float] = set()
    for conjunction in _split(tree, "or"):
        compared: list[tuple[float, float]] = []  # (window, threshold)
        for term in _split(conjunction, "and"):
            window, factor, budget = _comparison(term, matchers)
            compared.append((window, factor))
            budgets.add(budget)
        factors = {f for _, f in compared}
        if len(factors) != 1:
            raise NotBurnRate("the windows of one AND compare against different factors")
        windows = sorted({w for w, _ in compared}, reverse=True)
        if len(windows) > 2:
            raise NotBurnRate("more than two windows in one AND")
        tiers.append((windows[0], windows[1] if len(windows) == 2 else None, factors.pop()))
    if len(budgets) != 1:
        raise NotBurnRate("its tiers assume different error budgets")
    prefix = matchers.pop("__prefix__", None)
    return BurnAlert(tiers, round(1.0 - budgets.pop(), 9), matchers, prefix)


def _split(node: Any, op: str) -> list[Any]:
    node = _unparen(node)
    if type(node).__name__ == "BinaryExpr" and str(node.op) == op:
        return [*_split(node.lhs, op), *_split(node.rhs, op)]
    return [node]


def _unparen(node: Any) -> Any:
    while type(node).__name__ == "ParenExpr":
        node = node.expr
    return node


def _comparison(node: Any, matchers: dict[str, str]) -> tuple[float, float, float]:
    """(window, factor, budget) of ``<ratio over a window> > factor * budget``, looking
    through aggregations wrapped around it (Sloth writes ``max(x > k) without (...)``)."""
    node = _unparen(node)
    while type(node).__name__ == "AggregateExpr":
        node = _unparen(node.expr)
    if type(node).__name__ != "BinaryExpr" or str(node.op) not in (">", ">="):
        raise NotBurnRate("a term is not a comparison `ratio > threshold`")
    factor, budget = _threshold(node.rhs)
    window = _window(node.lhs, matchers)
    return window, factor, budget


def _threshold(node: Any) -> tuple[float, float]:
    node = _unparen(node)
    if type(node).__name__ == "BinaryExpr" and str(node.op) == "*":
        a, b = _unparen(node.lhs), _unparen(node.rhs)
        if _is_one_minus(b):
            return _number(a), _number(b)
        if _is_one_minus(a):
            return _number(b), _number(a)
        x, y = _number(a), _number(b)
        factor, budget = (x, y) if y < x else (y, x)
        if not 0 < budget < 1:
            raise NotBurnRate("the threshold is not factor x (1 - objective)")
        return factor, budget
    raise NotBurnRate("the threshold is not written factor x (1 - objective)")


def _is_one_minus(node: Any) -> bool:
    node = _unparen(node)
    return type(node).__name__ == "BinaryExpr" and str(node.op) == "-" and _number(node.lhs) == 1.0


def _number(node: Any) -> float:
    node = _unparen(node)
    name = type(node).__name__
    if name == "NumberLiteral":
        return float(node.val)
    if name == "BinaryExpr" and str(node.op) in "+-*/":
        a, b = _number(node.lhs), _number(node.rhs)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else float("nan")}[str(node.op)]
    raise NotBurnRate("the threshold is not a number")


def _window(node: Any, matchers: dict[str, str]) -> float:
    """The window of the ratio: from a selector's name or a range, wherever it is."""
    found: list[float] = []

    def visit(n: Any) -> None:
        kind = type(n).__name__
        if kind == "VectorSelector":
            for m in n.matchers.matchers:
                if str(m.op) in ("MatchOp.Equal", "="):
                    matchers.setdefault(m.name, m.value)
            match = _WINDOW_IN_NAME.search(n.name or "")
            if match:
                found.append(prom_duration(match.group(1)))
                if ":" in n.name and not n.name.startswith("slo:"):
                    matchers.setdefault("__prefix__", n.name.split(":", 1)[0])
            return
        if kind == "MatrixSelector":
            found.append(n.range.total_seconds())
            visit(n.vector_selector)
            return
        for attr in ("expr", "lhs", "rhs"):
            child = getattr(n, attr, None)
            if child is not None:
                visit(child)
        for arg in getattr(n, "args", None) or []:
            visit(arg)

    visit(node)
    windows = set(found)
    if len(windows) != 1:
        raise NotBurnRate("cannot tell the window of a ratio (no rate[...] or ...rate<window> name)")
    return windows.pop()


def read(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    groups = doc.get("spec", {}).get("groups") if doc.get("kind") == "PrometheusRule" else doc.get("groups")
    if not isinstance(groups, list):
        raise ScenarioError(f"{path}: groups: a rule file lists groups of rules")
    slos: dict[tuple[str, str], dict[str, Any]] = {}
    for gi, group in enumerate(groups):
        for ri, rule in enumerate((group or {}).get("rules") or []):
            where = f"groups[{gi}].rules[{ri}]"
            if not isinstance(rule, dict) or "alert" not in rule:
                continue  # recording rules: the simulation makes its own series
            _alert(rule, where, path, fragment, slos)
    for entry in slos.values():
        fragment.slo(entry, path)


def _alert(
    rule: dict[str, Any], where: str, path: str, fragment: Fragment, slos: dict[tuple[str, str], dict[str, Any]]
) -> None:
    name = str(rule["alert"])
    expr = str(rule.get("expr", ""))
    try:
        found = parse_burn_alert(expr)
    except NotBurnRate as exc:
        fragment.warn(path, f"{where} ({name})", f"not a burn-rate alert: {exc}; skipped")
        return
    labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
    try:
        hold = prom_duration(rule["for"]) if rule.get("for") else 0.0
        keep = prom_duration(rule["keep_firing_for"]) if rule.get("keep_firing_for") else 0.0
    except ValueError as exc:
        fragment.warn(path, f"{where}.for", f"{exc}; skipped")
        return
    service_name = (
        found.matchers.get("sloth_service")
        or found.matchers.get("service")
        or labels.get("service")
        or found.prefix
        or name
    )
    slo_name = found.matchers.get("sloth_slo") or found.matchers.get("slo") or name
    service = fragment.service(service_name, service_name)
    key = (service, slug(slo_name))
    entry = slos.setdefault(
        key,
        {
            "name": slug(slo_name),
            "service": service,
            "objective": found.objective,
            "period": "30d",
            "policy": "custom",
            "tiers": [],
        },
    )
    if entry["objective"] != found.objective:
        fragment.warn(
            path,
            f"{where} ({name})",
            f"objective {found.objective} differs from {entry['objective']} of the same SLO; skipped",
        )
        return
    word = slug(labels.pop("severity", "page"))
    if word not in DEFAULT_SEVERITIES:  # a word of the team's own: Sloth says which alert it is
        fragment.severity(word, "sev3" if labels.get("sloth_severity") == "ticket" else "sev1")
    labels.pop("long", None), labels.pop("short", None)
    from bus.vtime import format_duration

    group = slug(f"{name}-{labels.get('sloth_severity', word)}") if len(found.tiers) > 1 else None
    for long, short, factor in found.tiers:
        tier: dict[str, Any] = {"name": slug(f"{name}-{format_duration(long)}"), "long": format_duration(long)}
        if short is not None:
            tier["short"] = format_duration(short)
        tier.update(factor=round(factor, 6), severity=word)
        if hold:
            tier["for"] = format_duration(hold)
        if keep:
            tier["keep_firing_for"] = format_duration(keep)
        if group:
            tier["group"] = group
        if labels:
            tier["labels"] = dict(labels)
        tier["expr"] = " ".join(expr.split())
        entry["tiers"].append(tier)
