"""SLO arithmetic: SLIs, error budgets, burn rates, multi-window alert policies, windows.

Pure functions and small classes with no actor or engine imports (only the shared words of
``bus/vocab.py``). The API reads like the course lab's, so its examples read the same
here::

    >>> slo = SLO("answer-success", 0.99)
    >>> round(burn_rate(slo, [True] * 997 + [False] * 3), 2)
    0.3
    >>> alert(slo, [True] * 50 + [False] * 50, [True] * 920 + [False] * 80)
    ('page', 'sev1', 'fast burn 50.0x (error budget gone in hours)')

A *window* is a sequence of outcomes (True = good) or a ``(good, total)`` count.

Two policies decide ``('ok' | 'ticket' | 'page', severity, reason)``:

- ``two-window`` (the lab's; :class:`TwoWindowPolicy`): a fast window (the last 100
  requests) catches fires, a slow one (the last 1000) confirms they are sustained.
  Page sev1 when fast >= ``page_fast`` (10x) and slow >= ``confirm`` (1x); page sev2 when
  slow >= ``page_slow`` (6x) and fast >= ``confirm``; ticket sev3 when slow >=
  ``ticket_slow`` (1x); otherwise ok.
- ``sre-workbook`` (:class:`WorkbookPolicy`): the Google SRE Workbook's multiwindow,
  multi-burn-rate table for a 30-day period: page when both 1h and 5m burn >= 14.4x (2% of
  the budget), page when both 6h and 30m >= 6x (5%), ticket when both 3d and 6h >= 1x
  (10%). Thresholds derive from budget fraction x period / long window, so other periods
  work too.

Windows (:class:`CountWindow`, :class:`TimeWindow`) keep bucketed counts, O(1) per sample,
never a list of requests.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from bus.vocab import AlertSeverity, PolicyAction

__all__ = [
    "SLO",
    "CountWindow",
    "Decision",
    "Tier",
    "TimeWindow",
    "TwoWindowPolicy",
    "WindowSet",
    "WorkbookPolicy",
    "alert",
    "budget_remaining",
    "burn_rate",
    "counts",
    "describe_budget",
    "sli",
    "window_name",
]

#: What a policy decides: the action, the alert's severity (None when ok), and why.
Decision = tuple[PolicyAction, AlertSeverity | None, str]
Window = Sequence[bool] | tuple[float, float]

# Burn rates are ratios of floats (0.0144 / 0.001 is 14.399999999999999): a threshold
# counts as reached within this relative tolerance.
_TOLERANCE = 1e-9


def reached(value: float, threshold: float) -> bool:
    return value >= threshold * (1 - _TOLERANCE)


@dataclass(frozen=True)
class SLO:
    """A promise: ``objective`` of requests are good. The error budget is the rest."""

    name: str
    objective: float

    def __post_init__(self) -> None:
        if not 0.0 < self.objective < 1.0:
            raise ValueError(f"objective {self.objective!r} must lie strictly between 0 and 1 (e.g. 0.99)")

    @cached_property
    def error_budget(self) -> float:
        return round(1.0 - self.objective, 12)


def counts(window: Window) -> tuple[float, float]:
    """``(good, total)`` of a window given as outcomes or as a count."""
    if isinstance(window, tuple) and len(window) == 2 and not isinstance(window[0], bool):
        good, total = window
        if total < 0 or good < 0 or good > total:
            raise ValueError(f"a (good, total) count needs 0 <= good <= total, got {window!r}")
        return float(good), float(total)
    outcomes = list(window)
    return float(sum(1 for o in outcomes if o)), float(len(outcomes))


def sli(window: Window) -> float:
    """The fraction of good outcomes (1.0 for an empty window: no request failed)."""
    good, total = counts(window)
    return good / total if total else 1.0


def burn_rate(slo: SLO, window: Window) -> float:
    """Bad fraction / error budget: 1.0 spends the budget exactly over the SLO period."""
    good, total = counts(window)
    if not total:
        return 0.0
    return ((total - good) / total) / slo.error_budget


def budget_remaining(slo: SLO, window: Window) -> float:
    """1 - burn: the share of the error budget left. Negative means overspent."""
    return 1.0 - burn_rate(slo, window)


def describe_budget(remaining: float) -> str:
    """``70% remaining``, or ``overspent by 150%`` when negative."""
    if remaining < 0:
        return f"overspent by {-remaining:.0%}"
    return f"{remaining:.0%} remaining"


@dataclass(frozen=True)
class TwoWindowPolicy:
    """The lab's two-window policy; every threshold is a burn rate."""

    page_fast: float = 10.0
    page_slow: float = 6.0
    ticket_slow: float = 1.0
    confirm: float = 1.0

    def decide(self, fast: float, slow: float) -> Decision:
        if reached(fast, self.page_fast) and reached(slow, self.confirm):
            # A fast burn is the fire: at this pace the budget is gone in hours, not days.
            return "page", "sev1", f"fast burn {fast:.1f}x (error budget gone in hours)"
        if reached(slow, self.page_slow) and reached(fast, self.confirm):
            return (
                "page",
                "sev2",
                f"slow burn {slow:.1f}x sustained, fast {fast:.1f}x (error budget gone in days)",
            )
        if reached(slow, self.ticket_slow):
            return "ticket", "sev3", f"slow burn {slow:.1f}x with the fast window cool at {fast:.1f}x (open a ticket)"
        return "ok", None, f"within budget: fast {fast:.1f}x, slow {slow:.1f}x"


def alert(slo: SLO, fast: Window, slow: Window, policy: TwoWindowPolicy | None = None) -> Decision:
    """The two-window alert: ``(action, severity, reason)`` for a fast and a slow window."""
    return (policy or TwoWindowPolicy()).decide(burn_rate(slo, fast), burn_rate(slo, slow))


@dataclass(frozen=True)
class Tier:
    """One row of the SRE Workbook table: both windows must burn at ``threshold`` or more."""

    long: float  # seconds
    short: float  # seconds
    budget_fraction: float
    action: PolicyAction
    severity: AlertSeverity | None

    def threshold(self, period: float) -> float:
        """Burn rate that spends ``budget_fraction`` of the budget within the long window."""
        return self.budget_fraction * period / self.long


HOUR, DAY = 3600.0, 86400.0
WORKBOOK_TIERS = (
    Tier(long=1 * HOUR, short=5 * 60.0, budget_fraction=0.02, action="page", severity="sev1"),
    Tier(long=6 * HOUR, short=30 * 60.0, budget_fraction=0.05, action="page", severity="sev2"),
    Tier(long=3 * DAY, short=6 * HOUR, budget_fraction=0.10, action="ticket", severity="sev3"),
)


@dataclass(frozen=True)
class WorkbookPolicy:
    """The Google SRE Workbook's multiwindow, multi-burn-rate alerts."""

    period: float = 30 * DAY
    tiers: tuple[Tier, ...] = WORKBOOK_TIERS

    @cached_property
    def _rows(self) -> list[tuple[Tier, float, float]]:
        """Each tier with its threshold, lowered by the tolerance once."""
        return [(t, t.threshold(self.period), t.threshold(self.period) * (1 - _TOLERANCE)) for t in self.tiers]

    @property
    def windows(self) -> list[float]:
        """Every window length the tiers need, shortest first."""
        return sorted({t.long for t in self.tiers} | {t.short for t in self.tiers})

    def decide(self, burns: dict[float, float]) -> Decision:
        """*burns* maps a window length in seconds to its burn rate."""
        for tier, threshold, floor in self._rows:
            long, short = burns[tier.long], burns[tier.short]
            if long >= floor and short >= floor:
                return (
                    tier.action,
                    tier.severity,
                    (
                        f"burn {long:.1f}x over {window_name(tier.long)} and {short:.1f}x over {window_name(tier.short)} "
                        f">= {threshold:.1f}x ({tier.budget_fraction:.0%} of the budget in {window_name(tier.long)})"
                    ),
                )
        worst = max(burns.values(), default=0.0)
        return "ok", None, f"within budget: worst window burns {worst:.1f}x"


def window_name(seconds: float) -> str:
    """A window's name from its length: ``5m``, ``1h``, ``3d``."""
    if seconds >= DAY and seconds % DAY == 0:
        return f"{seconds / DAY:g}d"
    if seconds >= HOUR and seconds % HOUR == 0:
        return f"{seconds / HOUR:g}h"
    return f"{seconds / 60:g}m"


# --- rolling windows ---------------------------------------------------------------


@dataclass
class CountWindow:
    """The last ``size`` requests, kept as (good, total) chunks: O(1) amortized per sample."""

    size: int
    good: float = 0.0
    total: float = 0.0
    _chunks: deque[list[float]] = field(default_factory=deque)

    def add(self, good: float, total: float) -> None:
        if total <= 0:
            return
        if total >= self.size:  # the new chunk alone fills the window
            self._chunks.clear()
            self.good, self.total = good * self.size / total, float(self.size)
            self._chunks.append([self.good, self.total])
            return
        self._chunks.append([good, total])
        self.good += good
        self.total += total
        excess = self.total - self.size
        while excess > 0:
            oldest = self._chunks[0]
            if oldest[1] <= excess:
                self._chunks.popleft()
                self.good -= oldest[0]
                self.total -= oldest[1]
                excess -= oldest[1]
            else:  # trim the oldest chunk in proportion
                drop_good = oldest[0] * excess / oldest[1]
                oldest[0] -= drop_good
                oldest[1] -= excess
                self.good -= drop_good
                self.total -= excess
                excess = 0

    def burn(self, slo: SLO) -> float:
        return burn_rate(slo, (max(0.0, min(self.good, self.total)), self.total))

    def prefill(self, fraction: float) -> None:
        """Start full of history at *fraction* good (monitors have a past)."""
        self.add(self.size * fraction, float(self.size))


@dataclass
class TimeWindow:
    """The samples of the last ``length`` seconds, in buckets of ``step``: a ring of sums."""

    length: float
    step: float
    good: float = 0.0
    total: float = 0.0
    _ring: list[list[float]] = field(default_factory=list)
    _head: int | None = None

    def __post_init__(self) -> None:
        self._slots = max(1, math.ceil(self.length / self.step - 1e-9))
        self._ring = [[0.0, 0.0] for _ in range(self._slots)]

    def add(self, t: float, good: float, total: float) -> None:
        index = math.floor(t / self.step + 1e-9)
        head = self._head
        if head is not None and index == head + 1:  # the usual case: the next bucket
            slot = self._ring[index % self._slots]
            self.good += good - slot[0]
            self.total += total - slot[1]
            slot[0], slot[1] = good, total
            self._head = index
            return
        if self._head is None:
            self._head = index
        elif index > self._head:
            # Clear the buckets that fell out of the window (at most one full turn).
            for skipped in range(self._head + 1, min(index, self._head + self._slots) + 1):
                slot = self._ring[skipped % self._slots]
                self.good -= slot[0]
                self.total -= slot[1]
                slot[0] = slot[1] = 0.0
            self._head = index
        elif index < self._head - self._slots + 1:
            return  # older than the window
        slot = self._ring[index % self._slots]
        slot[0] += good
        slot[1] += total
        self.good += good
        self.total += total

    def burn(self, slo: SLO) -> float:
        total = self.total
        if total <= 0:
            return 0.0
        bad = min(total, max(0.0, total - self.good))
        return bad / total / slo.error_budget

    def prefill(self, fraction: float, per_step: float, now: float = 0.0) -> None:
        """Start full of history at *fraction* good, *per_step* requests a bucket, up to *now*."""
        self._head = math.floor(now / self.step + 1e-9)
        for slot in self._ring:
            slot[0], slot[1] = per_step * fraction, per_step
        self.good = per_step * fraction * self._slots
        self.total = per_step * self._slots


class WindowSet:
    """Time windows of several lengths over one SLO's samples, as running totals: the
    cumulative good, bad and total requests at each ``step`` bucket, for as many buckets
    as the longest window (and one more). A sample is one write whatever the number of
    windows; a window's sums are two reads (the totals now, less the totals ``slots``
    buckets back), taken only when a rule is evaluated. A window with no bad request
    reads exactly 0 bad (the same cumulative value twice): no rounding residue is left
    when errors leave it.

    The history a monitor starts with (:meth:`prefill`) is not stored: before the first
    sample the totals are a straight line (``k`` buckets back: ``-k`` times one bucket), so
    memory grows with the samples taken, up to the longest window, not with its length.
    """

    __slots__ = ("_fill", "_origin", "bad_at", "cbad", "cgood", "ctotal", "head", "lengths", "ring", "slots", "step")

    def __init__(self, lengths: list[float], step: float) -> None:
        self.lengths = tuple(lengths)
        self.step = step
        self.slots = tuple(max(1, math.ceil(length / step - 1e-9)) for length in lengths)
        #: cumulative totals are kept for the last ``ring`` buckets
        self.ring = max(self.slots, default=1) + 1
        self.cgood: list[float] = []
        self.cbad: list[float] = []
        self.ctotal: list[float] = []
        self.head: int | None = None
        #: the bucket before the first sample (the totals are 0 there), and the history
        #: per bucket before it (good, bad, total)
        self._origin: int | None = None
        self._fill = (0.0, 0.0, 0.0)
        #: the newest bucket that took a bad request
        self.bad_at = -(1 << 62)

    def at(self, index: int) -> tuple[float, float, float]:
        """The cumulative (good, bad, total) at bucket *index* (at most ``ring`` back)."""
        origin = self._origin
        if origin is None or index <= origin:
            k = 0 if origin is None else index - origin
            g, b, n = self._fill
            return g * k, b * k, n * k
        p = (index - origin - 1) % self.ring
        return self.cgood[p], self.cbad[p], self.ctotal[p]

    def add(self, t: float, good: float, total: float) -> None:
        index = math.floor(t / self.step + 1e-9)
        bad = total - good if total > good else 0.0
        if bad:
            self.bad_at = max(self.bad_at, index)
        head = self.head
        if head is None or self._origin is None:
            self.head = self._origin = index - 1
            head = index - 1
        if index < head:
            return  # the past is written (the monitor samples in order)
        g, b, n = self.at(head)
        if index == head:  # more in the newest bucket
            self._put(index, g + good, b + bad, n + total)
            return
        for j in range(max(head + 1, index - self.ring + 1), index):  # skipped buckets: nothing came
            self._put(j, g, b, n)
        self._put(index, g + good, b + bad, n + total)
        self.head = index

    def _put(self, index: int, g: float, b: float, n: float) -> None:
        assert self._origin is not None
        p = (index - self._origin - 1) % self.ring
        if p >= len(self.cgood):  # the ring fills up as samples come
            if p > len(self.cgood):  # a jump of more than the ring: the rest is written next
                pad = [0.0] * (p - len(self.cgood))
                self.cgood += pad
                self.cbad += pad
                self.ctotal += pad
            self.cgood.append(g)
            self.cbad.append(b)
            self.ctotal.append(n)
        else:
            self.cgood[p], self.cbad[p], self.ctotal[p] = g, b, n

    def sums(self, k: int) -> tuple[float, float, float]:
        """(good, bad, total) over window *k*."""
        head = self.head
        if head is None:
            return 0.0, 0.0, 0.0
        g1, b1, n1 = self.at(head)
        g0, b0, n0 = self.at(head - self.slots[k])
        return g1 - g0, b1 - b0, n1 - n0

    def clean(self, k: int) -> bool:
        """Whether window *k* holds no bad request (tracked per bucket, exactly)."""
        return self.head is None or self.bad_at <= self.head - self.slots[k]

    def burn(self, k: int, slo: SLO) -> float:
        _, bad, total = self.sums(k)
        if total <= 0:
            return 0.0
        return min(total, max(0.0, bad)) / total / slo.error_budget

    def prefill(self, fraction: float, per_step: float, now: float = 0.0) -> None:
        """Start full of history at *fraction* good, *per_step* requests a bucket, up to *now*."""
        self.head = self._origin = math.floor(now / self.step + 1e-9)
        good = per_step * fraction
        bad = per_step - good if per_step > good else 0.0
        self._fill = (good, bad, per_step)
        if bad:
            self.bad_at = self.head
        self.cgood, self.cbad, self.ctotal = [], [], []
