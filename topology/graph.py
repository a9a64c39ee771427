"""The service dependency graph: a networkx DiGraph with an edge ``a -> b`` when service
``a`` depends on service ``b`` (a calls b).

Cycles happen in production, so they are allowed: a strongly connected component is
treated as one unit for root cause. The condensation (components and their order) is
computed once while the graph is static, so each question is one pass, O(V + E):

- :meth:`Topology.root_causes`: given the alerting services, the roots are the alerting
  components none of whose dependencies (direct or not) alert; every alerting service maps
  to the roots it sits above (its own component's, if it is a root itself).
  :meth:`Topology.first_roots` is the same pass reduced to what the correlator needs: each
  alerting service's first root, and its first root among marked ones.
- :meth:`Topology.blast_radius`: every service that depends, directly or not, on a given one.
- :meth:`Topology.dependencies`: every service a given one depends on, directly or not.
- :meth:`Topology.health`: each service's health from its own and its dependencies'.

Never ``nx.ancestors()`` per alert: on a 10k-node graph that was 90x to 4000x slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

__all__ = ["ServiceSpec", "Topology", "TopologyError"]


class TopologyError(ValueError):
    """A service graph that cannot be built; the message names the field and the fix."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    depends_on: tuple[str, ...] = ()
    team: str | None = None
    tier: int | None = None


@dataclass
class Topology:
    """A static dependency graph and its cached condensation."""

    graph: nx.DiGraph = field(default_factory=nx.DiGraph)

    @classmethod
    def build(cls, services: Iterable[ServiceSpec], where: str = "services") -> Topology:
        """Validate *services* and build the graph; errors name ``where[i].field``."""
        specs = list(services)
        graph = nx.DiGraph()
        index: dict[str, int] = {}
        for i, spec in enumerate(specs):
            if spec.name in index:
                raise TopologyError(
                    f"{where}[{i}].name: {spec.name!r} is already defined at {where}[{index[spec.name]}] "
                    "(service names must be unique)"
                )
            index[spec.name] = i
            graph.add_node(spec.name, team=spec.team, tier=spec.tier)
        for i, spec in enumerate(specs):
            for dep in spec.depends_on:
                if dep == spec.name:
                    raise TopologyError(f"{where}[{i}].depends_on: {spec.name!r} depends on itself (remove it)")
                if dep not in index:
                    raise TopologyError(
                        f"{where}[{i}].depends_on: unknown service {dep!r} (define it under {where}, "
                        f"or use one of: {', '.join(sorted(index)[:12])})"
                    )
                graph.add_edge(spec.name, dep)
        return cls(graph)

    # --- the cached condensation ------------------------------------------------------

    @cached_property
    def _condensation(self) -> tuple[dict[str, int], list[list[str]], list[int], list[list[int]]]:
        """(component of each service, members of each component, components with every
        dependency before its dependents, the dependency components of each component)."""
        cond = nx.condensation(self.graph)
        mapping: dict[str, int] = cond.graph["mapping"]
        members = [sorted(cond.nodes[c]["members"]) for c in range(cond.number_of_nodes())]
        order = list(reversed(list(nx.lexicographical_topological_sort(cond))))
        deps = [sorted(cond.successors(c)) for c in range(cond.number_of_nodes())]
        return mapping, members, order, deps

    @cached_property
    def _dependents(self) -> list[list[int]]:
        _, members, _, deps = self._condensation
        up: list[list[int]] = [[] for _ in members]
        for c, ds in enumerate(deps):
            for d in ds:
                up[d].append(c)
        return up

    @property
    def services(self) -> list[str]:
        return list(self.graph.nodes)

    def component(self, service: str) -> list[str]:
        """The services in *service*'s strongly connected component (itself, if no cycle)."""
        mapping, members, _, _ = self._condensation
        return members[mapping[service]]

    # --- questions ------------------------------------------------------------------

    def root_bits(self, alerting: Iterable[str]) -> dict[str, int]:
        """Each alerting service's root components as a bitset (bit i: component i in
        :meth:`component_order`), in one pass over the condensation, dependencies first.

        Bitsets make the pass O(V + E) word operations even when every service alerts and
        the sets of roots are large; :meth:`roots_in` decodes them.
        """
        mapping, members, order, deps = self._condensation
        bit = self._bit
        alerting_set = set(alerting)
        hot = {mapping[s] for s in alerting_set}
        reach = [0] * len(members)
        for c in order:
            below = 0
            for d in deps[c]:
                below |= reach[d]
            reach[c] = (1 << bit[c]) if (c in hot and not below) else below
        return {service: reach[mapping[service]] for service in alerting_set}

    def roots_in(self, bits: int) -> list[list[str]]:
        """The components whose bits are set, lowest bit first (members sorted by name)."""
        _, members, _, _ = self._condensation
        by_bit = self._by_bit
        out = []
        while bits:
            low = bits & -bits
            out.append(members[by_bit[low.bit_length() - 1]])
            bits ^= low
        return out

    def first_roots(self, alerting: Iterable[str], marked: Iterable[str] = ()) -> dict[str, tuple[int, int | None]]:
        """For each alerting service, the rank (:meth:`rank`) of its first root component,
        and of its first root component that holds a *marked* service (None: none does).

        These are the lowest set bits of :meth:`root_bits` and of its intersection with the
        marked components, which is all the correlator asks of a batch. The same one pass,
        but it carries two small integers (minimums) per component instead of a bitset
        (unions), so its cost does not grow with the number of roots.
        """
        mapping, members, order, deps = self._condensation
        bit = self._bit
        none = len(members)  # past every rank
        alerting_set = set(alerting)
        hot = {mapping[s] for s in alerting_set}
        marks = {mapping[s] for s in marked}
        first = [none] * len(members)
        first_marked = [none] * len(members)
        for c in order:
            low = low_marked = none
            for d in deps[c]:
                low = min(low, first[d])
                low_marked = min(low_marked, first_marked[d])
            if low == none and c in hot:  # an alerting component with no root below: a root
                low = bit[c]
                low_marked = low if c in marks else none
            first[c], first_marked[c] = low, low_marked
        out: dict[str, tuple[int, int | None]] = {}
        for service in alerting_set:
            c = mapping[service]
            out[service] = (first[c], first_marked[c] if first_marked[c] != none else None)
        return out

    def rank(self, service: str) -> int:
        """The rank of *service*'s component among all components by first member's name
        (its bit in :meth:`root_bits`)."""
        return self._bit[self._condensation[0][service]]

    def first_member(self, rank: int) -> str:
        """The first service, by name, of the component of that *rank*."""
        return self._condensation[1][self._by_bit[rank]][0]

    @cached_property
    def _by_bit(self) -> list[int]:
        """Component of each bit: components ordered by their first member's name."""
        _, members, _, _ = self._condensation
        return sorted(range(len(members)), key=lambda c: members[c][0])

    @cached_property
    def _bit(self) -> list[int]:
        bit = [0] * len(self._by_bit)
        for i, c in enumerate(self._by_bit):
            bit[c] = i
        return bit

    def warm(self) -> Topology:
        """Compute the cached condensation now (it is static), not at the first question."""
        _ = self._condensation, self._bit, self._dependents
        return self

    def root_causes(self, alerting: Iterable[str]) -> dict[str, list[str]]:
        """Map each alerting service to the root-cause services it sits above.

        A root is a service in an alerting component none of whose dependencies, direct or
        not, is alerting. A root maps to the alerting services of its own component.
        """
        alerting_set = set(alerting)
        result: dict[str, list[str]] = {}
        for service, bits in sorted(self.root_bits(alerting_set).items()):
            result[service] = sorted(s for comp in self.roots_in(bits) for s in comp if s in alerting_set)
        return result

    def __contains__(self, service: object) -> bool:
        """Whether *service* is in the graph."""
        return service in self.graph

    def dependencies(self, service: str) -> set[str]:
        """Every service *service* depends on, directly or not (itself excluded)."""
        return set(nx.descendants(self.graph, service))

    def blast_radius(self, service: str) -> list[str]:
        """Every service that depends on *service*, directly or not (itself excluded)."""
        mapping, members, _, _ = self._condensation
        up = self._dependents
        start = mapping[service]
        seen = {start}
        stack = [start]
        while stack:
            c = stack.pop()
            for u in up[c]:
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
        return sorted(s for c in seen for s in members[c] if s != service)

    def health(
        self,
        own: Mapping[str, float],
        impact: Mapping[str, float] | None = None,
        floor: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Each service's health: its own, times one factor per service it depends on.

        A dependency at health h costs its dependent a factor ``1 - k * (1 - h)``, where
        ``k`` (the dependent's ``impact``, default 1) is how much of its work needs its
        dependencies; several failed dependencies multiply (two at 0.5 with k = 1 leave
        0.25). A ``floor`` (a mitigation in place) lifts a service to at least that health,
        and its dependents see the lifted value.

        Inside a cycle (a strongly connected component) every member depends on every
        other: each member takes one factor per other member, from that member's own
        health (after its floor), and one factor per dependency outside the cycle that any
        member has, from that dependency's final health. Each factor is taken once, so a
        cycle cannot make itself worse forever, and a failure anywhere in or below the
        cycle reaches every member, as the blast radius says.
        """
        mapping, members, order, _ = self._condensation
        impact = impact or {}
        floor = floor or {}
        result: dict[str, float] = {}
        graph = self.graph
        for c in order:
            group = members[c]
            if len(group) == 1:
                (service,) = group
                value = own.get(service, 1.0)
                k = impact.get(service, 1.0)
                for dep in graph.successors(service):
                    if dep != service:
                        value *= 1.0 - k * (1.0 - result[dep])
                lifted = floor.get(service)
                result[service] = value if lifted is None else max(value, lifted)
                continue
            outside = sorted({d for m in group for d in graph.successors(m) if mapping[d] != c})
            inner = {m: max(own.get(m, 1.0), floor.get(m, 0.0)) for m in group}
            for service in group:
                k = impact.get(service, 1.0)
                value = own.get(service, 1.0)
                for other in group:
                    if other != service:
                        value *= 1.0 - k * (1.0 - inner[other])
                for dep in outside:
                    value *= 1.0 - k * (1.0 - result[dep])
                lifted = floor.get(service)
                result[service] = value if lifted is None else max(value, lifted)
        return result
