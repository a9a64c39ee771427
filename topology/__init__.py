"""The service dependency graph: load, validate, root cause, blast radius, health."""

from topology.graph import ServiceSpec, Topology, TopologyError

__all__ = ["ServiceSpec", "Topology", "TopologyError"]
