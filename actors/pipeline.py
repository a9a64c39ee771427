"""The whole pipeline, wired in one place.

::

    scenario events ──> world/service model ──> monitor ──Alert──> correlator ──IncidentOpened──> pager
                                                            ^  Ticket ─┘                              │ Page
                                                            │                                         v
     release manager <──RollbackRequested── responders L1/L2/L3 <──────── Page / Ack / Escalated ─────┘
            │  Deployed / CanaryVerdict                 │ Mitigated / Resolved
            v                                           v
       (service health changes)              postmortem writer ──RegressionCase──> release manager
                                                        │
                                                 eval gate (expectations of the scenario) -> exit code
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from actors.correlator import Correlator
from actors.drill import Drill
from actors.monitor import Monitor, make_slo_states
from actors.runtime import Runtime
from actors.service_model import ServiceModel
from bus.bus import Bus
from bus.faults import FaultLayer, FaultRule
from bus.messages import MESSAGE_TYPES
from scenarios.loader import ScenarioError
from scenarios.schema import Scenario
from topology import ServiceSpec, Topology, TopologyError

__all__ = ["Options", "build"]


@dataclass
class Options:
    """Run options from the command line that change the simulation itself."""

    seed: int | None = None
    until: float | None = None
    extra_faults: list[FaultRule] = field(default_factory=list)


def build(scenario: Scenario, options: Options | None = None, path: str = "<scenario>") -> Runtime:
    """Make the bus, the fault layer and every actor of *scenario*, wired together."""
    options = options or Options()
    seed = scenario.seed if options.seed is None else options.seed
    until = scenario.until if options.until is None else options.until
    faults = FaultLayer(rng=random.Random(f"{seed}:faults"))
    bus = Bus(faults=faults)
    runtime = Runtime(seed, bus, until=until, restart=scenario.supervision.restart)

    topology = load_topology(scenario, path).warm()
    model = ServiceModel(
        topology,
        quality={s.name: s.quality for s in scenario.services},
        impact={s.name: s.impact for s in scenario.services},
    )
    rpm = {s.name: s.requests_per_minute or scenario.traffic.requests_per_minute for s in scenario.services}
    labels = {
        s.name: {k: str(v) for k, v in (("team", s.team), ("tier", s.tier)) if v is not None}
        for s in scenario.services
    }

    runtime.add(Drill("drill", runtime, scenario.events))
    runtime.add(
        Monitor(
            "monitor",
            runtime,
            model,
            make_slo_states(scenario.slos, scenario.monitor.sample_every, rpm),
            sample_every=scenario.monitor.sample_every,
            exact=scenario.traffic.outcomes == "exact",
            labels=labels,
        )
    )
    runtime.add(Correlator("correlator", runtime, topology, group_wait=scenario.correlator.group_wait))

    names = [a.name for a in runtime.actors]
    faults.rules.extend(_fault_rules(scenario, names, path))
    faults.rules.extend(options.extra_faults)
    return runtime


def load_topology(scenario: Scenario, path: str) -> Topology:
    """The dependency graph of *scenario*, with every service reference checked."""
    try:
        topology = Topology.build(
            ServiceSpec(s.name, tuple(s.depends_on), s.team, s.tier) for s in scenario.services
        )
    except TopologyError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    known = set(topology.services)
    hint = ", ".join(topology.services[:12]) or "none are defined: add services:"
    refs = [(f"slos[{i}].service", name) for i, d in enumerate(scenario.slos) for name in d.service]
    for i, event in enumerate(scenario.events):
        for label, action in (("fault", event.fault), ("recover", event.recover), ("ticket", event.ticket)):
            if action is not None and action.service is not None:
                refs.append((f"events[{i}].{label}.service", action.service))
    for where, name in refs:
        if name not in known:
            raise ScenarioError(f"{path}: {where}: unknown service {name!r} (one of: {hint})")
    return topology


def _fault_rules(scenario: Scenario, actor_names: list[str], path: str) -> list[FaultRule]:
    rules = []
    for i, spec in enumerate(scenario.faults):
        for kind in spec.kind:
            if kind not in MESSAGE_TYPES:
                raise ScenarioError(
                    f"{path}: faults[{i}].kind: unknown message kind {kind!r} "
                    f"(one of: {', '.join(sorted(MESSAGE_TYPES))})"
                )
        for field_name in ("sender", "recipient"):
            for who in getattr(spec, field_name):
                if who not in actor_names:
                    raise ScenarioError(
                        f"{path}: faults[{i}].{field_name}: no actor is named {who!r} "
                        f"(actors: {', '.join(actor_names)})"
                    )
        rules.append(
            FaultRule(
                name=spec.name or f"{spec.action}-{i + 1}",
                action=spec.action,
                kinds=tuple(spec.kind),
                senders=tuple(spec.sender),
                recipients=tuple(spec.recipient),
                probability=spec.probability,
                start=spec.start,
                end=spec.end,
                delay=spec.delay,
            )
        )
    return rules
