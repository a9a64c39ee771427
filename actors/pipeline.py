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
from actors.domain.world import ServiceModel
from actors.drill import Drill
from actors.engine.runtime import Runtime
from actors.monitor import Monitor, make_slo_states
from actors.pager import Level, Pager
from actors.postmortem_writer import PostmortemWriter
from actors.release_manager import ReleaseManager
from actors.responder import Responder
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
    #: --drop-ack: levels whose acks are all dropped
    drop_ack: list[str] = field(default_factory=list)
    #: --ack-loss: the chance any ack is dropped
    ack_loss: float = 0.0


def build(scenario: Scenario, options: Options | None = None, path: str = "<scenario>") -> Runtime:
    """Make the bus, the fault layer and every actor of *scenario*, wired together."""
    options = options or Options()
    seed = scenario.seed if options.seed is None else options.seed
    until = scenario.until if options.until is None else options.until
    faults = FaultLayer(rng=random.Random(f"{seed}:faults"))
    bus = Bus(faults=faults)
    runtime = Runtime(seed, bus, until=until, restart=scenario.supervision.restart)

    topology = load_topology(scenario, path).warm()
    check_people(scenario, topology, path)
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
    if scenario.escalation is not None:
        ladder = scenario.escalation
        levels = [Level(lv.name, tuple(lv.targets), lv.escalate_after) for lv in ladder.levels]
        runtime.add(Pager("pager", runtime, levels, repeat=ladder.repeat, ack_timeout=ladder.ack_timeout))
        for person in scenario.responders:
            runtime.add(Responder(person.name, runtime, person, [lv.name for lv in levels], scenario.runbooks))
    eval_set = {c.question: c.answer for c in scenario.eval_set}
    if scenario.releases:
        objectives: dict[str, float] = {}
        for d in scenario.slos:
            for service in d.service:
                objectives[service] = max(objectives.get(service, 0.0), d.objective)
        runtime.add(
            ReleaseManager(
                "release-manager", runtime, scenario.releases, eval_set, scenario.live, scenario.canary, objectives
            )
        )
    runtime.add(PostmortemWriter("postmortem", runtime, topology, eval_set))

    names = [a.name for a in runtime.actors]
    for i, event in enumerate(scenario.events):
        if event.crash is not None and event.crash.actor not in names:
            raise ScenarioError(f"{path}: events[{i}].crash.actor: no actor {event.crash.actor!r} (actors: {', '.join(names)})")
    faults.rules.extend(_fault_rules(scenario, names, path))
    faults.rules.extend(options.extra_faults)
    faults.rules.extend(ack_drop_rules(scenario, options.drop_ack, options.ack_loss, path))
    return runtime


def ack_drop_rules(scenario: Scenario, levels: list[str], loss: float, path: str) -> list[FaultRule]:
    """The fault rules of ``--drop-ack L1`` (every ack from L1's responders) and
    ``--ack-loss P`` (any ack, with probability P)."""
    rules = []
    ladder = scenario.escalation
    known = [lv.name for lv in ladder.levels] if ladder else []
    for level in levels:
        if level not in known:
            raise ScenarioError(f"--drop-ack {level}: no such level in {path} (levels: {', '.join(known) or 'none'})")
        senders = tuple(p.name for p in scenario.responders if p.level == level)
        rules.append(FaultRule(name=f"drop-ack-{level}", action="drop", kinds=("PageAcked",), senders=senders))
    if loss > 0:
        rules.append(FaultRule(name=f"ack-loss-{loss:g}", action="drop", kinds=("PageAcked",), probability=loss))
    return rules


def check_people(scenario: Scenario, topology: Topology, path: str) -> None:
    """Every name the ladder, the responders and the runbooks use must exist."""
    ladder = scenario.escalation
    people = {p.name: p for p in scenario.responders}
    if ladder is None:
        if scenario.responders:
            raise ScenarioError(f"{path}: responders: there is no escalation: ladder to page them (add escalation:)")
        return
    levels = [lv.name for lv in ladder.levels]
    seen: set[str] = set()
    for i, person in enumerate(scenario.responders):
        if person.name in seen:
            raise ScenarioError(f"{path}: responders[{i}].name: {person.name!r} is listed twice (names are unique)")
        seen.add(person.name)
        if person.level not in levels:
            raise ScenarioError(
                f"{path}: responders[{i}].level: no level {person.level!r} in escalation.levels (one of: {', '.join(levels)})"
            )
    for i, level in enumerate(ladder.levels):
        for target in level.targets:
            if target not in people:
                raise ScenarioError(
                    f"{path}: escalation.levels[{i}].targets: no responder named {target!r} "
                    f"(add it under responders:, or use one of: {', '.join(people) or 'none defined'})"
                )
    for key, steps in scenario.runbooks.items():
        for j, step in enumerate(steps):
            if step.min_level is not None and step.min_level not in levels:
                raise ScenarioError(
                    f"{path}: runbooks.{key}[{j}].min_level: no level {step.min_level!r} (one of: {', '.join(levels)})"
                )
            if step.service is not None and step.service not in topology.services:
                raise ScenarioError(f"{path}: runbooks.{key}[{j}].service: unknown service {step.service!r}")
        if not steps:
            raise ScenarioError(f"{path}: runbooks.{key}: a runbook needs at least one step")


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
    refs += [(f"releases.{name}.service", r.service) for name, r in scenario.releases.items()]
    refs += [(f"live.{service}", service) for service in scenario.live]
    for where, name in refs:
        if name not in known:
            raise ScenarioError(f"{path}: {where}: unknown service {name!r} (one of: {hint})")
    releases = ", ".join(scenario.releases) or "none are defined: add releases:"
    for service, release in scenario.live.items():
        if release not in scenario.releases:
            raise ScenarioError(f"{path}: live.{service}: unknown release {release!r} (one of: {releases})")
        if scenario.releases[release].service != service:
            raise ScenarioError(f"{path}: live.{service}: {release} is a release of {scenario.releases[release].service}")
    for i, event in enumerate(scenario.events):
        if event.deploy is not None and event.deploy.release not in scenario.releases:
            raise ScenarioError(
                f"{path}: events[{i}].deploy.release: unknown release {event.deploy.release!r} (one of: {releases})"
            )
    questions = {c.question for c in scenario.eval_set}
    for name, r in scenario.releases.items():
        for q in r.answers:
            if q not in questions:
                raise ScenarioError(f"{path}: releases.{name}.answers: {q!r} is not a question of eval_set")
    for name, r in scenario.releases.items():
        if r.service not in scenario.live:
            raise ScenarioError(f"{path}: releases.{name}: no release is live on {r.service} (add live: {{{r.service}: ...}})")
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
