"""Cross-checks of a scenario at load: every name one part of it uses is defined in another.

As Alertmanager's ``checkReceiver`` ("undefined receiver used in route"), each error names
the file, the field, what is wrong and the fix. :func:`check_scenario` runs them all and
returns the dependency graph it built on the way; wiring (``actors/pipeline.py``) only
wires what passed.
"""

from __future__ import annotations

from actors.domain.routing import ConfigError, RoutingConfig, parse_config, parse_matchers
from bus.messages import MESSAGE_TYPES
from scenarios.loader import ScenarioError
from scenarios.oncall import oncall_config
from scenarios.schema import Scenario
from topology import ServiceSpec, Topology, TopologyError

__all__ = [
    "BUILT_IN_ACTORS",
    "actor_names",
    "check_scenario",
    "load_topology",
    "routing_config",
    "service_labels",
    "unreachable_routes",
]


#: The actors every run may have besides its responders; no responder may take their names.
BUILT_IN_ACTORS = ("drill", "monitor", "alertmanager", "correlator", "pager", "release-manager", "postmortem")


def actor_names(scenario: Scenario) -> list[str]:
    """The names of the actors a run of *scenario* has, in wiring order."""
    names = ["drill", "monitor", *(["alertmanager"] if scenario.alertmanager is not None else []), "correlator"]
    if scenario.escalation is not None or scenario.pagerduty is not None:
        names += ["pager", *(p.name for p in scenario.responders)]
    if scenario.releases:
        names.append("release-manager")
    names.append("postmortem")
    return names


def check_scenario(scenario: Scenario, path: str) -> Topology:
    """Check every reference in *scenario*; return its dependency graph (warmed)."""
    topology = load_topology(scenario, path).warm()
    check_people(scenario, topology, path)
    names = actor_names(scenario)
    for i, event in enumerate(scenario.events):
        if event.crash is not None and event.crash.actor not in names:
            raise ScenarioError(
                f"{path}: events[{i}].crash.actor: no actor {event.crash.actor!r} (actors: {', '.join(names)})"
            )
    check_fault_rules(scenario, names, path)
    routing_config(scenario, path)
    return topology


def service_labels(scenario: Scenario) -> dict[str, dict[str, str]]:
    """Each service's alert labels: the scenario's, then team and tier, then its own."""
    return {
        s.name: {
            **scenario.labels,
            **{k: str(v) for k, v in (("team", s.team), ("tier", s.tier)) if v is not None},
            **s.labels,
        }
        for s in scenario.services
    }


def unreachable_routes(scenario: Scenario, routing: RoutingConfig) -> list[str]:
    """The routes no alert of *scenario* can reach with the labels it would carry (an
    ``error`` label of fault signatures aside): one line each, for a warning."""
    from actors.domain.rules import alert_labels, preset, rules_of

    by_service = service_labels(scenario)
    reached: set[str] = set()
    for d in scenario.slos:
        rules: list[tuple[str, str, dict[str, str]]]
        if d.policy == "two-window":
            rules = [(d.name, sev, {}) for sev in ("sev1", "sev2", "sev3")]
        elif d.policy == "custom":
            rules = [(t.group or t.name, t.severity, dict(t.labels)) for t in d.tiers]
        else:
            rules = [(r.name, r.severity, dict(r.labels)) for r in rules_of(preset(d.policy, d.period))]
        for service in d.service:
            slo = d.name if len(d.service) == 1 else f"{service}:{d.name}"
            for name, severity, labels in rules:
                alertname = slo if d.policy == "two-window" else name
                full = alert_labels(
                    by_service.get(service, {}), dict(d.labels), labels,
                    alertname=alertname, severity=severity, slo=slo, service=service,
                )  # fmt: skip
                for route in routing.route.match(full):
                    reached.add(route.path)
    # a route is reached when it or any route below it is
    paths = [r.path for r in routing.route.walk()]
    reached |= {p for p in paths if any(q == p or q.startswith(p + ".") for q in reached)}
    return [
        f"alertmanager.{r.path} (receiver {r.receiver}) is reached by no alert of this scenario"
        for r in routing.route.walk()
        if r.path not in reached
    ]


def routing_config(scenario: Scenario, path: str) -> RoutingConfig | None:
    """The scenario's Alertmanager config, checked (None: it has none); its silences' matchers too."""
    for i, event in enumerate(scenario.events):
        if event.silence is not None:
            try:
                parse_matchers(event.silence.matchers, f"events[{i}].silence.matchers")
            except ConfigError as exc:
                raise ScenarioError(f"{path}: {exc}") from None
    if scenario.alertmanager is None:
        return None
    try:
        return parse_config(scenario.alertmanager)
    except ConfigError as exc:
        raise ScenarioError(f"{path}: alertmanager.{exc}") from None


def check_people(scenario: Scenario, topology: Topology, path: str) -> None:  # noqa: PLR0912 - one check per reference
    """Every name the ladder or the PagerDuty config, the responders and the runbooks use
    must exist."""
    ladder = scenario.escalation
    people = {p.name: p for p in scenario.responders}
    if ladder is not None and scenario.pagerduty is not None:
        raise ScenarioError(f"{path}: escalation: give either escalation: or pagerduty:, not both")
    config = oncall_config(scenario, path)
    if config is None:
        acting = next(
            (i for i, e in enumerate(scenario.events) if e.ack or e.resolve or e.escalate or e.reassign), None
        )
        if acting is not None:
            raise ScenarioError(f"{path}: events[{acting}]: a person's action needs someone to page (add escalation:)")
        if scenario.responders:
            raise ScenarioError(
                f"{path}: responders: there is no escalation: ladder or pagerduty: config to page them (add one)"
            )
        return
    levels = config.levels
    seen: set[str] = set()
    for i, person in enumerate(scenario.responders):
        if person.name in BUILT_IN_ACTORS:
            raise ScenarioError(
                f"{path}: responders[{i}].name: {person.name!r} is the name of a built-in actor (rename the responder)"
            )
        if person.name in seen:
            raise ScenarioError(f"{path}: responders[{i}].name: {person.name!r} is listed twice (names are unique)")
        seen.add(person.name)
        if person.level is None and ladder is not None:
            raise ScenarioError(
                f"{path}: responders[{i}].level: say which level they hold (one of: {', '.join(levels)})"
            )
        if person.level is not None and person.level not in levels:
            where = "escalation.levels" if ladder is not None else "the policies' rules"
            raise ScenarioError(
                f"{path}: responders[{i}].level: no level {person.level!r} in {where} (one of: {', '.join(levels)})"
            )
    if ladder is not None:
        for i, level in enumerate(ladder.levels):
            for target in level.targets:
                if target not in people:
                    raise ScenarioError(
                        f"{path}: escalation.levels[{i}].targets: no responder named {target!r} "
                        f"(add it under responders:, or use one of: {', '.join(people) or 'none defined'})"
                    )
    for i, event in enumerate(scenario.events):
        for name in ("ack", "resolve", "escalate", "reassign"):
            action = getattr(event, name)
            if action is None:
                continue
            for field in ("by", "to"):
                who = getattr(action, field)
                if who is not None and who not in people:
                    raise ScenarioError(
                        f"{path}: events[{i}].{name}.{field}: no responder named {who!r} "
                        f"(one of: {', '.join(people) or 'none defined'})"
                    )
    if scenario.pagerduty is not None:
        for receiver, service in scenario.paging.items():
            if service not in config.services:
                raise ScenarioError(
                    f"{path}: paging.{receiver}: no PagerDuty service {service!r} "
                    f"(one of: {', '.join(config.services)})"
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


def load_topology(scenario: Scenario, path: str) -> Topology:  # noqa: PLR0912 - one check per reference
    """The dependency graph of *scenario*, with every service reference checked."""
    try:
        topology = Topology.build(ServiceSpec(s.name, tuple(s.depends_on), s.team, s.tier) for s in scenario.services)
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
            raise ScenarioError(
                f"{path}: live.{service}: {release} is a release of {scenario.releases[release].service}"
            )
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
            raise ScenarioError(
                f"{path}: releases.{name}: no release is live on {r.service} (add live: {{{r.service}: ...}})"
            )
    return topology


def check_fault_rules(scenario: Scenario, actor_names: list[str], path: str) -> None:
    """Every fault rule names known message kinds and actors."""
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
