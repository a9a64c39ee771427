"""Burn-rate alerting rules as Prometheus evaluates them, the tier tables of the tools that
generate them, and the error budget over the SLO period. Pure logic.

A **tier** is one multiwindow condition: the burn rate over a long window and over a
short one both above a factor (``>``, strict, as the generated expressions compare), with
an optional minimum request rate. An **alerting rule** is one tier, or several OR-ed into
one alert (Sloth's page = fast tier or slow tier), with a ``for:`` hold, a
``keep_firing_for``, a severity and labels. Each rule goes, at every evaluation, exactly
as a Prometheus alerting rule does (``rules/alerting.go``):

- condition true: inactive -> pending (``active_at`` = now); pending -> firing once
  ``now - active_at >= for`` (at once when ``for`` is 0);
- condition false: pending -> inactive; firing -> resolved, unless ``keep_firing_for``
  has not passed since the condition was last true (then it keeps firing).

A window with no requests has no ratio (0/0): Prometheus returns no sample and the rule's
condition is false, so burn-rate rules go silent when a service stops reporting. An
absent-data tier (``absent_over_time``) holds instead when its window saw no request.

Presets (:data:`PRESETS`), each defined for any period as its tool defines it:

========================  ========================================================  =====
preset                    tiers (factor, long/short, for) at the tool's own period  source
========================  ========================================================  =====
``sre-workbook``          14.4 1h/5m page, 6 6h/30m page, 1 3d/6h ticket at 30d      SRE Workbook ch. 5, table 5-8
``sloth``                 page = 14.4 1h/5m OR 6 6h/30m; ticket = 3 1d/2h OR 1 3d/6h  Sloth's default windows (30d)
``pyrra``                 14 1h/5m for 2m, 7 6h/30m for 15m, 2 1d/2h for 1h,          Pyrra ``Windows()`` (28d)
                          1 4d/6h for 3h
``kube-prometheus``       14.4 1h/5m for 2m, 6 6h/30m for 15m, 3 1d/2h for 1h,        kubernetes-mixin
                          1 3d/6h for 3h                                             KubeAPIErrorBudgetBurn
========================  ========================================================  =====

SRE Workbook and Sloth derive each factor from a budget fraction: ``fraction x period /
long window`` (2%, 5%, 10%, 10%), so at 28d Sloth's fast page is 13.44. Pyrra keeps its
factors and scales its windows and holds with the period (``period / 672`` is 1h at
28d), rounded to the minute. kube-prometheus's factors and windows are fixed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_SEVERITIES",
    "PRESETS",
    "AlertRule",
    "BudgetWindow",
    "RuleState",
    "Tier",
    "TierSpec",
    "alert_labels",
    "preset",
    "rules_of",
    "severity_of",
]

#: Severity words of alerting rules -> our sev1..sev4 (a scenario's ``severities:`` adds
#: to it); sev1 and sev2 page, sev3 and sev4 are tickets.
DEFAULT_SEVERITIES: dict[str, str] = {
    "critical": "sev1",
    "page": "sev1",
    "error": "sev2",
    "high": "sev2",
    "warning": "sev3",
    "ticket": "sev3",
    "info": "sev4",
    "low": "sev4",
    "sev1": "sev1",
    "sev2": "sev2",
    "sev3": "sev3",
    "sev4": "sev4",
}


def alert_labels(
    service_labels: dict[str, str],
    slo_labels: dict[str, str],
    rule_labels: dict[str, str],
    *,
    alertname: str,
    severity: str,
    slo: str,
    service: str,
) -> dict[str, str]:
    """An alert's labels, the one rule for them: the service's (scenario-wide labels, team,
    tier, its own), the SLO's, the rule's, then ``alertname``, ``severity``, ``slo`` and
    ``service``; later ones win."""  # fmt: skip
    return {
        **service_labels,
        **slo_labels,
        **rule_labels,
        "alertname": alertname,
        "severity": severity,
        "slo": slo,
        "service": service,
    }


def severity_of(word: str, mapping: dict[str, str] | None = None) -> str:
    """Our severity for a rule's severity word (unknown words are sev3 tickets)."""
    if mapping and word in mapping:
        return mapping[word]
    return DEFAULT_SEVERITIES.get(word.lower(), "sev3")


HOUR, DAY = 3600.0, 86400.0
MINUTE = 60.0

RuleStatus = Literal["inactive", "pending", "firing"]


@dataclass(frozen=True)
class Tier:
    """One multiwindow condition: burn over ``long`` and over ``short`` both > ``factor``."""

    long: float
    #: The short window (None: a single-window condition, as OpenSLO's lookbackWindow).
    short: float | None
    factor: float
    #: Requests per second the long window must average, or the condition is false.
    min_rate: float | None = None
    #: An absent-data rule instead: true when the long window saw no request at all.
    absent: bool = False

    def holds(self, burns: dict[float, float | None], rates: dict[float, float]) -> bool:
        """Whether the condition is true, given burns (None: no data) and request rates per window."""
        if self.absent:
            return rates[self.long] <= 0
        long = burns[self.long]
        if long is None or not long > self.factor:
            return False
        if self.min_rate is not None and not rates[self.long] >= self.min_rate:
            return False
        if self.short is None:
            return True
        short = burns[self.short]
        return short is not None and short > self.factor

    def burning(self, burns: dict[float, float | None]) -> bool:
        """Whether its short window (its only one, if single) is above the threshold: what
        keeps a paging rule active. An absent-data condition never counts."""
        if self.absent:
            return False
        burn = burns[self.short if self.short is not None else self.long]
        return burn is not None and burn > self.factor


@dataclass(frozen=True)
class AlertRule:
    """A Prometheus alerting rule over one or more tiers (OR-ed)."""

    name: str
    tiers: tuple[Tier, ...]
    severity: str
    for_: float = 0.0
    keep_firing_for: float = 0.0
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def windows(self) -> set[float]:
        out: set[float] = set()
        for tier in self.tiers:
            out.add(tier.long)
            if tier.short is not None:
                out.add(tier.short)
        return out

    def holds(self, burns: dict[float, float | None], rates: dict[float, float]) -> bool:
        return any(tier.holds(burns, rates) for tier in self.tiers)


@dataclass
class RuleState:
    """Where one rule stands on one SLO instance."""

    status: RuleStatus = "inactive"
    active_at: float | None = None
    last_true: float | None = None
    #: The alert id while it is pending or firing.
    alert: str | None = None

    def step(  # noqa: PLR0911 - one return per transition of Prometheus's state machine
        self, rule: AlertRule, now: float, condition: bool
    ) -> RuleStatus | Literal["resolved"] | None:
        """Evaluate at *now*; return the new status if it changed ("resolved" when a firing
        alert stops), else None."""
        if condition:
            self.last_true = now
            if self.status == "inactive":
                self.status, self.active_at = "pending", now
                if rule.for_ <= 0:
                    self.status = "firing"
                    return "firing"
                return "pending"
            if self.status == "pending":
                assert self.active_at is not None
                if now - self.active_at >= rule.for_:
                    self.status = "firing"
                    return "firing"
            return None
        if self.status == "pending":
            self.status, self.active_at = "inactive", None
            return "inactive"
        if self.status == "firing":
            if rule.keep_firing_for > 0 and self.last_true is not None and now - self.last_true < rule.keep_firing_for:
                return None
            self.status, self.active_at = "inactive", None
            return "resolved"
        return None


# --- presets -------------------------------------------------------------------------


@dataclass(frozen=True)
class TierSpec:
    """A row of a preset's table, before it becomes rules."""

    name: str
    long: float
    short: float | None
    factor: float
    severity: str
    for_: float = 0.0
    group: str | None = None
    labels: tuple[tuple[str, str], ...] = field(default=())
    min_rate: float | None = None
    keep_firing_for: float = 0.0
    absent: bool = False


def _fraction(fraction: float, period: float, long: float) -> float:
    return fraction * period / long


def _sre_workbook(period: float) -> list[TierSpec]:
    return [
        TierSpec("page-1h", HOUR, 5 * MINUTE, _fraction(0.02, period, HOUR), "sev1"),
        TierSpec("page-6h", 6 * HOUR, 30 * MINUTE, _fraction(0.05, period, 6 * HOUR), "sev2"),
        TierSpec("ticket-3d", 3 * DAY, 6 * HOUR, _fraction(0.10, period, 3 * DAY), "sev3"),
    ]


def _sloth(period: float) -> list[TierSpec]:
    page, ticket = (("sloth_severity", "page"),), (("sloth_severity", "ticket"),)
    return [
        TierSpec("page", HOUR, 5 * MINUTE, _fraction(0.02, period, HOUR), "page", group="page", labels=page),
        TierSpec("page", 6 * HOUR, 30 * MINUTE, _fraction(0.05, period, 6 * HOUR), "page", group="page", labels=page),
        TierSpec("ticket", DAY, 2 * HOUR, _fraction(0.10, period, DAY), "ticket", group="ticket", labels=ticket),
        TierSpec(
            "ticket", 3 * DAY, 6 * HOUR, _fraction(0.10, period, 3 * DAY), "ticket", group="ticket", labels=ticket
        ),
    ]


def _pyrra(period: float) -> list[TierSpec]:
    def scaled(divisor: float) -> float:  # Go's Duration.Round(time.Minute): halves away from zero
        return max(MINUTE, math.floor(period / divisor / MINUTE + 0.5) * MINUTE)

    # (period / long, period / short, period / for, factor, severity): 1h, 5m, 2m at 28d ...
    rows = [
        (28 * 24, 28 * 24 * 12, 28 * 24 * 30, 14.0, "critical"),
        (28 * 4, 28 * 24 * 2, 28 * 24 * 4, 7.0, "critical"),
        (28, 28 * 12, 28 * 24, 2.0, "warning"),
        (7, 28 * 4, 28 * 8, 1.0, "warning"),
    ]
    return [
        TierSpec(f"{severity}-{_name(scaled(long))}", scaled(long), scaled(short), factor, severity, for_=scaled(hold))
        for long, short, hold, factor, severity in rows
    ]


def _name(seconds: float) -> str:
    from actors.domain.slo import window_name

    return window_name(seconds)


def _kube_prometheus(_period: float) -> list[TierSpec]:  # fixed: the mixin's table is for 30d
    return [
        TierSpec("critical-1h", HOUR, 5 * MINUTE, 14.4, "critical", for_=2 * MINUTE, labels=(("long", "1h"),)),
        TierSpec("critical-6h", 6 * HOUR, 30 * MINUTE, 6.0, "critical", for_=15 * MINUTE, labels=(("long", "6h"),)),
        TierSpec("warning-1d", DAY, 2 * HOUR, 3.0, "warning", for_=HOUR, labels=(("long", "1d"),)),
        TierSpec("warning-3d", 3 * DAY, 6 * HOUR, 1.0, "warning", for_=3 * HOUR, labels=(("long", "3d"),)),
    ]


#: Tier tables by tool, as functions of the SLO period (seconds).
PRESETS: dict[str, Callable[[float], list[TierSpec]]] = {
    "sre-workbook": _sre_workbook,
    "sloth": _sloth,
    "pyrra": _pyrra,
    "kube-prometheus": _kube_prometheus,
}


def preset(name: str, period: float) -> list[TierSpec]:
    """The tiers of preset *name* for an SLO *period*."""
    return PRESETS[name](period)


def rules_of(specs: list[TierSpec]) -> list[AlertRule]:
    """Alerting rules from tier rows: rows sharing a ``group`` become one OR-ed rule (its
    name, severity, holds and labels are its first row's)."""
    rules: list[AlertRule] = []
    grouped: dict[str, int] = {}
    for spec in specs:
        tier = Tier(spec.long, spec.short, spec.factor, spec.min_rate, spec.absent)
        if spec.group is not None and spec.group in grouped:
            i = grouped[spec.group]
            first = rules[i]
            rules[i] = AlertRule(
                first.name, (*first.tiers, tier), first.severity, first.for_, first.keep_firing_for, first.labels
            )
            continue
        if spec.group is not None:
            grouped[spec.group] = len(rules)
        name = spec.group or spec.name
        rules.append(AlertRule(name, (tier,), spec.severity, spec.for_, spec.keep_firing_for, spec.labels))
    return rules


# --- the budget over the period ------------------------------------------------------


class BudgetWindow:
    """Good and total requests over the rolling SLO period, O(1) per sample.

    The period before the run is assumed full of traffic at the SLO's own rate and
    baseline quality (``history_rate`` requests a second, ``history_good`` of them good):
    at time t, ``period - t`` seconds of it are still inside the window. The run's own
    samples are summed; only a run longer than the period keeps a ring of them, bucketed by
    the sample step, to let the oldest fall out.

    The budget is the bad ratio over the period against the error budget, as Sloth and
    Pyrra compute it: ``remaining = 1 - (bad / total) / (1 - objective)``. At constant
    traffic it never rises while the bad requests are inside the period; with traffic
    growing, good requests dilute the ratio and it can.
    """

    __slots__ = (
        "_head",
        "_ring",
        "bad",
        "budget",
        "history_good",
        "history_rate",
        "period",
        "step",
        "total",
        "until",
    )

    def __init__(
        self, period: float, step: float, objective: float, history_rate: float, history_good: float, until: float
    ) -> None:
        self.period = period
        self.step = step
        self.until = until
        self.budget = round(1.0 - objective, 12)
        self.history_rate = history_rate
        self.history_good = history_good
        self.bad = 0.0
        self.total = 0.0
        # A ring only when the run outlives the period (then its oldest samples fall out).
        self._ring: list[list[float]] | None = (
            [[0.0, 0.0] for _ in range(max(1, math.ceil(period / step - 1e-9)))] if until > period else None
        )
        self._head = -1

    def add(self, t: float, good: float, total: float) -> None:
        bad = max(0.0, total - good)
        ring = self._ring
        if ring is not None:
            index = math.floor(t / self.step + 1e-9)
            for skipped in range(max(self._head + 1, index - len(ring) + 1), index + 1):
                slot = ring[skipped % len(ring)]
                self.bad -= slot[0]
                self.total -= slot[1]
                slot[0] = slot[1] = 0.0
            self._head = max(self._head, index)
            slot = ring[index % len(ring)]
            slot[0] += bad
            slot[1] += total
        self.bad += bad
        self.total += total

    def spent(self, now: float) -> float:
        """The share of the budget spent over the period at *now* (above 1: overspent)."""
        history = max(0.0, self.period - now) * self.history_rate
        total = self.total + history
        if total <= 0:
            return 0.0
        bad = self.bad + history * (1.0 - self.history_good)
        return bad / total / self.budget

    def remaining(self, now: float) -> float:
        return 1.0 - self.spent(now)
