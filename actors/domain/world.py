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

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from topology import Topology

__all__ = ["Fault", "ServiceModel", "draw_good"]


@dataclass(frozen=True)
class Fault:
    name: str
    health: float
    signature: str | None = None


@dataclass
class ServiceModel:
    """What is live, what is broken and what is mitigated, per service."""

    topology: Topology
    quality: dict[str, float] = field(default_factory=dict)
    impact: Mapping[str, float] = field(default_factory=dict)
    faults: dict[str, dict[str, Fault]] = field(default_factory=dict)
    floors: dict[str, float] = field(default_factory=dict)
    _health: dict[str, float] | None = None
    _radius_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

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
        self._health = None
        return cleared

    def mitigate(self, service: str, level: float) -> None:
        """A mitigation lifts the service to at least *level* (the best one in place wins)."""
        self.floors[service] = max(level, self.floors.get(service, 0.0))
        self._health = None

    def own(self, service: str) -> float:
        value = self.quality.get(service, 1.0)
        for fault in self.faults.get(service, {}).values():
            value *= fault.health
        return value

    def health(self) -> dict[str, float]:
        """Every service's health now (cached until something changes)."""
        if self._health is None:
            own = {s: self.own(s) for s in self.topology.services}
            self._health = self.topology.health(own, self.impact, self.floors)
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
    """Good requests among *requests*: drawn one by one from *rng*, or the exact expected
    fraction when *rng* is None (the drills use exact fractions so the lab's figures hold)."""
    health = min(1.0, max(0.0, health))
    if rng is None:
        return requests * health
    return float(sum(1 for _ in range(int(requests)) if rng.random() < health))
