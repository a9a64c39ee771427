"""Honest statistics for sweeps: censored times, intervals, paired differences.

A run cut off before its page was acknowledged does not say "never acked": it says
"not acked within the time it ran". Such a time is *right-censored*, and dropping it
makes every percentile look better than it is. Here:

- :func:`km_curve` is the Kaplan-Meier estimate of P(done by t) from observed and
  censored times (each censored run leaves the risk set at its cut-off);
- :func:`km_quantile` is the first time the curve reaches a share, or None when it never
  does (more runs were censored than the share leaves room for): the report prints "never"
  or "> the longest cut-off" there;
- :func:`wilson` is the Wilson score interval of a rate (sound near 0 and 1, where the
  normal approximation is not);
- :func:`bootstrap` and :func:`paired_bootstrap` give percentile intervals by resampling
  seeds (jointly, for a difference between variants on the same seeds), from a seeded
  random source: the same sweep prints the same intervals.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["Timed", "bootstrap", "km_at", "km_band", "km_curve", "km_quantile", "paired_bootstrap", "wilson"]

#: (time, observed): observed False means censored at that time (not done by then).
Timed = tuple[float, bool]
T = TypeVar("T")

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of *k* successes in *n* trials (95% by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def km_curve(data: Sequence[Timed]) -> list[tuple[float, float]]:
    """The Kaplan-Meier estimate of P(done by t): the (t, share) steps, one per distinct
    observed time, in order. At a time with both, observed times count before censored
    ones (a run cut off at t was still at risk at t)."""
    ordered = sorted(data, key=lambda d: (d[0], not d[1]))
    at_risk = len(ordered)
    survival = 1.0
    out: list[tuple[float, float]] = []
    i = 0
    while i < len(ordered):
        t = ordered[i][0]
        done = cut = 0
        while i < len(ordered) and ordered[i][0] == t:
            if ordered[i][1]:
                done += 1
            else:
                cut += 1
            i += 1
        if done:
            survival *= 1 - done / at_risk
            out.append((t, 1 - survival))
        at_risk -= done + cut
    return out


def km_band(data: Sequence[Timed], z: float = Z95) -> list[tuple[float, float, float]]:
    """The 95% pointwise band of :func:`km_curve` by Greenwood's formula: (t, low, high)
    of P(done by t) at each observed time (the variance of S is S^2 times the sum of
    d / (n (n - d)) so far; the band is clipped to 0..1)."""
    ordered = sorted(data, key=lambda d: (d[0], not d[1]))
    at_risk = len(ordered)
    survival, greenwood = 1.0, 0.0
    out: list[tuple[float, float, float]] = []
    i = 0
    while i < len(ordered):
        t = ordered[i][0]
        done = cut = 0
        while i < len(ordered) and ordered[i][0] == t:
            done += ordered[i][1]
            cut += not ordered[i][1]
            i += 1
        if done:
            survival *= 1 - done / at_risk
            if at_risk > done:
                greenwood += done / (at_risk * (at_risk - done))
            half = z * survival * math.sqrt(greenwood)
            out.append((t, max(0.0, 1 - survival - half), min(1.0, 1 - survival + half)))
        at_risk -= done + cut
    return out


def km_at(curve: Sequence[tuple[float, float]], t: float) -> float:
    """P(done by *t*) on a curve from :func:`km_curve`."""
    share = 0.0
    for when, value in curve:
        if when > t:
            break
        share = value
    return share


def km_quantile(data: Sequence[Timed], q: float) -> float | None:
    """The first time P(done by t) reaches *q* (0..1), or None if it never does."""
    for t, share in km_curve(data):
        if share >= q - 1e-12:
            return t
    return None


def bootstrap(
    data: Sequence[T],
    stat: Callable[[Sequence[T]], Sequence[float | None]],
    rng: random.Random,
    rounds: int = 400,
    level: float = 0.95,
) -> list[tuple[float | None, float | None]]:
    """Percentile intervals of each figure *stat* returns, over *rounds* resamples of
    *data* (with replacement). A resample whose figure is None (a quantile never reached)
    counts as beyond every value: the upper bound is None once those pass the upper tail."""
    if not data:
        return []
    n = len(data)
    draws = [list(stat([data[rng.randrange(n)] for _ in range(n)])) for _ in range(rounds)]
    return [_interval([d[k] for d in draws], level) for k in range(len(draws[0]))]


def paired_bootstrap(
    pairs: Sequence[tuple[T, T]],
    stat: Callable[[Sequence[T]], Sequence[float | None]],
    rng: random.Random,
    rounds: int = 400,
    level: float = 0.95,
) -> list[tuple[float | None, float | None]]:
    """Percentile intervals of each figure of stat(B) - stat(A), over resamples of the
    seeds, each drawn with both its variants (the same nights)."""
    if not pairs:
        return []
    n = len(pairs)
    draws: list[list[float | None]] = []
    for _ in range(rounds):
        idx = [rng.randrange(n) for _ in range(n)]
        a = stat([pairs[i][0] for i in idx])
        b = stat([pairs[i][1] for i in idx])
        draws.append([None if x is None or y is None else y - x for x, y in zip(a, b, strict=True)])
    return [_interval([d[k] for d in draws], level) for k in range(len(draws[0]))]


def _interval(draws: list[float | None], level: float) -> tuple[float | None, float | None]:
    """The (1 - level)/2 and (1 + level)/2 nearest-rank points, None (beyond every value)
    sorting last."""
    rounds = len(draws)
    ordered = sorted(draws, key=lambda v: (v is None, v if v is not None else 0.0))
    tail = (1 - level) / 2
    lo = ordered[max(0, math.ceil(tail * rounds) - 1)]
    hi = ordered[min(rounds - 1, math.ceil((1 - tail) * rounds) - 1)]
    return lo, hi
