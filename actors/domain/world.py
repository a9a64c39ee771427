"""The world: the simulated services (the lab's MockSystem made real), pure logic.

The monitor owns one :class:`ServiceModel` and changes it as the world's messages say
(faults from the scenario, releases from the release manager, mitigations and fixes from
responders); nothing else reads it.

Each service's own health is the live release's quality times the health factor of each
active fault; a mitigation in place lifts it to at least the mitigation's level; and the
dependencies' health reaches it through the topology (:meth:`Topology.health`), so one
failing dependency degrades everything above it: an alert storm.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from topology import Topology

__all__ = ["Fault", "ServiceModel", "binomial", "draw_good"]


@dataclass(frozen=True)
class Fault:
    name: str
    health: float
    signature: str | None = None
    #: The share of the service's requests the monitor still sees (0: it stops reporting).
    traffic: float = 1.0
    #: Seconds to reach its full effect, linearly from when it began (0: at once).
    ramp: float = 0.0
    began: float = 0.0

    def factor(self, now: float) -> float:
        """Its health factor at virtual time *now* (a ramp moves from 1 to ``health``)."""
        if self.ramp <= 0 or now >= self.began + self.ramp:
            return self.health
        done = max(0.0, now - self.began) / self.ramp
        return 1.0 - (1.0 - self.health) * done


@dataclass
class ServiceModel:
    """What is live, what is broken and what is mitigated, per service."""

    topology: Topology
    quality: dict[str, float] = field(default_factory=dict)
    impact: Mapping[str, float] = field(default_factory=dict)
    faults: dict[str, dict[str, Fault]] = field(default_factory=dict)
    floors: dict[str, float] = field(default_factory=dict)
    #: service -> the faults (service, name) its mitigation answers; it ends with the last
    floor_causes: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    _health: dict[str, float] | None = None
    #: the cached health was computed mid-ramp (it must be computed again)
    _ramped: bool = False
    _radius_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._initial_quality = dict(self.quality)

    def reset(self) -> None:
        """Back to how it was made: the first releases' quality, no fault, no mitigation."""
        self.quality = dict(self._initial_quality)
        self.faults = {}
        self.floors = {}
        self.floor_causes = {}
        self._health = None

    def set_quality(self, service: str, quality: float) -> None:
        self.quality[service] = quality
        self._health = None

    def start_fault(self, service: str, fault: Fault) -> None:
        self.faults.setdefault(service, {})[fault.name] = fault
        self._health = None

    def clear_fault(self, service: str, name: str | None = None) -> list[str]:
        """End one fault (or all of the service's); mitigations end when no fault is left."""
        active = self.faults.get(service, {})
        cleared = list(active) if name is None else [name] if name in active else []
        for n in cleared:
            del active[n]
        if not active:
            self.faults.pop(service, None)
            self.floors.pop(service, None)
            self.floor_causes.pop(service, None)
        ended = {(service, n) for n in cleared}
        for floored, causes in list(self.floor_causes.items()):
            left = causes - ended
            self.floor_causes[floored] = left
            if not left:  # every fault it answered is over: the mitigation ends too
                del self.floor_causes[floored]
                self.floors.pop(floored, None)
        self._health = None
        return cleared

    def mitigate(self, service: str, level: float) -> None:
        """A mitigation lifts the service to at least *level* (the best one in place wins)
        while the faults active now last: it ends with the last of them (a mitigation
        applied when no fault is active changes nothing)."""
        causes = {(s, n) for s, faults in self.faults.items() for n in faults}
        if not causes:
            return
        self.floors[service] = max(level, self.floors.get(service, 0.0))
        self.floor_causes.setdefault(service, set()).update(causes)
        self._health = None

    def own(self, service: str, now: float | None = None) -> float:
        value = self.quality.get(service, 1.0)
        for fault in self.faults.get(service, {}).values():
            value *= fault.health if now is None else fault.factor(now)
        return value

    def traffic(self, service: str) -> float:
        """The share of *service*'s requests the monitor sees (its faults' product)."""
        value = 1.0
        for fault in self.faults.get(service, {}).values():
            value *= fault.traffic
        return value

    def health(self, now: float | None = None) -> dict[str, float]:
        """Every service's health at virtual time *now* (cached until something changes,
        or while a fault is still ramping)."""
        ramping = now is not None and any(
            f.ramp > 0 and now < f.began + f.ramp for faults in self.faults.values() for f in faults.values()
        )
        if self._health is None or ramping or self._ramped:
            own = {s: self.own(s, now) for s in self.topology.services}
            self._health = self.topology.health(own, self.impact, self.floors)
            self._ramped = ramping
        return self._health

    def clear_signature(self, service: str, signature: str) -> list[str]:
        """A fix: end the faults on *service* that have *signature*."""
        names = [n for n, f in self.faults.get(service, {}).items() if f.signature == signature]
        for name in names:
            self.clear_fault(service, name)
        return names

    def signatures(self, service: str) -> list[str]:
        """What *service*'s logs show: the signatures of faults on it or on anything it
        depends on (a provider's 503s show up in its callers' logs)."""
        found: list[str] = []
        for where, faults in self.faults.items():
            if where == service or service in self._radius(where):
                found.extend(f.signature for f in faults.values() if f.signature and f.signature not in found)
        return found

    def _radius(self, service: str) -> frozenset[str]:
        cache = self._radius_cache
        if service not in cache:
            cache[service] = frozenset(self.topology.blast_radius(service))
        return cache[service]


def draw_good(rng: random.Random | None, requests: float, health: float) -> float:
    """Good requests among *requests*: a binomial draw from *rng* (each request good with
    probability *health*), or the exact expected fraction when *rng* is None (the drills
    use exact fractions so the lab's figures hold). A draw costs O(1) however many
    requests there are."""
    health = min(1.0, max(0.0, health))
    if rng is None:
        return requests * health
    return float(binomial(rng, int(requests), health))


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A draw of Binomial(n, p) from *rng*, in O(1) expected time for any *n*.

    Small means (n*p < 10, after taking p <= 1/2 by symmetry) count geometric gaps between
    successes (Devroye, *Non-Uniform Random Variate Generation*, ch. X.4); larger ones use
    Hörmann's transformed rejection with squeeze, BTRS ("The generation of binomial
    random variates", 1993). Only ``rng.random()`` is drawn, so a seed gives the same
    draws on every Python version.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        # successes = how many geometric gaps (trials up to and including a success) fit in n
        log_q = math.log(1.0 - p)
        if log_q == 0.0:
            return 0
        successes = trials = 0
        while True:
            u = rng.random()
            trials += math.floor(math.log(u) / log_q) + 1 if u > 0.0 else n + 1
            if trials > n:
                return successes
            successes += 1
    return _btrs(rng, n, p)


def _btrs(rng: random.Random, n: int, p: float) -> int:
    """Hörmann's BTRS for n*p >= 10 and p <= 1/2."""
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    log_odds = math.log(p / (1.0 - p))
    mode = math.floor((n + 1) * p)
    h = math.lgamma(mode + 1) + math.lgamma(n - mode + 1)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        if us <= 0.0:
            continue
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = v * alpha / (a / (us * us) + b)
        if v > 0.0 and math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - mode) * log_odds:
            return k
