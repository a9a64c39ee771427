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

from actors.drill import Drill
from actors.runtime import Runtime
from bus.bus import Bus
from bus.faults import FaultLayer, FaultRule
from bus.messages import MESSAGE_TYPES
from scenarios.loader import ScenarioError
from scenarios.schema import Scenario

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

    runtime.add(Drill("drill", runtime, scenario.events))

    names = [a.name for a in runtime.actors]
    faults.rules.extend(_fault_rules(scenario, names, path))
    faults.rules.extend(options.extra_faults)
    return runtime


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
