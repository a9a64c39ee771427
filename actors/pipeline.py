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
from datetime import UTC, datetime
from typing import Any, Literal

from actors.alertmanager import Alertmanager, Silence
from actors.correlator import Correlator, RoutedCorrelator
from actors.domain.routing import parse_matchers
from actors.domain.world import ServiceModel
from actors.drill import Drill
from actors.engine.runtime import Runtime
from actors.monitor import Monitor, make_slo_states
from actors.pager import Pager
from actors.postmortem_writer import PostmortemWriter
from actors.release_manager import ReleaseManager
from actors.responder import Responder, Seat
from bus.bus import DEFAULT_INSTANT_LIMIT, Bus
from bus.faults import FaultLayer, FaultRule
from bus.messages import SliReported
from scenarios.checks import actor_names, check_scenario, routing_config, service_labels
from scenarios.loader import ScenarioError
from scenarios.oncall import oncall_config
from scenarios.schema import Scenario

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
    #: --instant-limit: messages or timers at one virtual instant that make a livelock
    instant_limit: int = DEFAULT_INSTANT_LIMIT
    #: the monitor's SLI reports: only when a reader acts on them ("changes", the default) or
    #: one per SLO per evaluation as before ("every": tests compare the two)
    sli_reports: Literal["changes", "every"] = "changes"
    #: skip the rule evaluation of an SLO no rule of which can change state (identical
    #: results; off: every rule evaluated every time, as a test compares)
    skip_quiet: bool = True
    #: keep the SLI reports in the trace's memory (off: they go to the sinks, a
    #: --trace-out file and the console, only; their figures are in the series): the
    #: command line keeps them out, so a long run's memory stays bounded
    keep_reports: bool = True
    #: --play: (the responder a person replaces, their seat at the keyboard)
    seat: tuple[str, Seat] | None = None


def build(scenario: Scenario, options: Options | None = None, path: str = "<scenario>") -> Runtime:
    """Make the bus, the fault layer and every actor of *scenario*, wired together."""
    options = options or Options()
    seed = scenario.seed if options.seed is None else options.seed
    until = scenario.until if options.until is None else options.until
    faults = FaultLayer(rng=random.Random(f"{seed}:faults"))
    bus = Bus(faults=faults)
    if not options.keep_reports:
        bus.trace.pass_through(SliReported)
    bus.instant_limit = options.instant_limit
    runtime = Runtime(seed, bus, until=until, restart=scenario.supervision.restart)

    topology = check_scenario(scenario, path)
    model = ServiceModel(
        topology,
        quality={s.name: s.quality for s in scenario.services},
        impact={s.name: s.impact for s in scenario.services},
    )
    rpm = {s.name: s.requests_per_minute or scenario.traffic.requests_per_minute for s in scenario.services}
    labels = service_labels(scenario)

    runtime.add(Drill("drill", runtime, scenario.events))
    runtime.add(
        Monitor(
            "monitor",
            runtime,
            model,
            make_slo_states(
                scenario.slos, scenario.monitor.sample_every, rpm, until=until, severities=dict(scenario.severities)
            ),
            sample_every=scenario.monitor.sample_every,
            exact=scenario.traffic.outcomes == "exact",
            labels=labels,
            start=_instant(scenario.start),
            diurnal=scenario.traffic.diurnal,
            noise=scenario.traffic.noise,
            reports=options.sli_reports,
            skip_quiet=options.skip_quiet,
        )
    )
    routing = routing_config(scenario, path)
    if routing is not None:
        runtime.add(
            Alertmanager(
                "alertmanager",
                runtime,
                routing,
                start=_instant(scenario.start),
                silences=[
                    Silence(
                        tuple(parse_matchers(e.silence.matchers, "silence")),
                        e.silence.start if e.silence.start is not None else e.at,
                        e.silence.end,
                        e.silence.comment,
                    )
                    for e in scenario.events
                    if e.silence is not None
                ],
                send_resolved=_send_resolved(scenario.alertmanager or {}),
                paging=dict(scenario.paging),
            )
        )
    monitored = {service for d in scenario.slos for service in d.service}
    unmonitored = frozenset(s.name for s in scenario.services if s.name not in monitored)
    inhibit = scenario.correlator.topology_inhibition
    if routing is None:
        runtime.add(
            Correlator(
                "correlator",
                runtime,
                topology,
                group_wait=scenario.correlator.group_wait,
                unmonitored=unmonitored,
                topology_inhibition=inhibit,
            )
        )
    else:  # behind Alertmanager the groups have waited already: it takes them as they come
        runtime.add(
            RoutedCorrelator(
                "correlator", runtime, topology, group_wait=0.0, unmonitored=unmonitored, topology_inhibition=inhibit
            )
        )
    oncall = oncall_config(scenario, path)
    if oncall is not None:
        start = _instant(scenario.start)
        runtime.add(Pager("pager", runtime, oncall, start=start))
        capacity = None if scenario.pagerduty is None else 1  # the seeds' people work any number at once
        for person in scenario.responders:
            seat = options.seat[1] if options.seat is not None and options.seat[0] == person.name else None
            runtime.add(
                Responder(
                    person.name,
                    runtime,
                    person,
                    oncall.levels,
                    scenario.runbooks,
                    start=start,
                    capacity=capacity,
                    seat=seat,
                )
            )
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

    assert [a.name for a in runtime.actors] == actor_names(scenario), "wiring and scenarios.checks disagree"
    faults.rules.extend(_fault_rules(scenario))
    faults.rules.extend(options.extra_faults)
    faults.rules.extend(ack_drop_rules(scenario, options.drop_ack, options.ack_loss, path))
    return runtime


#: When a scenario gives no ``start:``, the instant its virtual time 0 stands for (time
#: intervals need a real instant): 2026-01-01T00:00:00Z, a Thursday.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


def _instant(start: datetime | None) -> datetime:
    """The scenario's start as an instant: naive means UTC; none means DEFAULT_START."""
    if start is None:
        return DEFAULT_START
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def _send_resolved(config: dict[str, Any]) -> dict[str, bool]:
    """Per receiver, whether it is told of resolved alerts: its configs' ``send_resolved``,
    else Alertmanager's defaults (true for PagerDuty, Opsgenie, VictorOps and webhooks;
    false for email and Slack)."""
    defaults = {"pagerduty": True, "opsgenie": True, "victorops": True, "webhook": True}
    out = {}
    for receiver in config.get("receivers") or []:
        flags = [
            bool(c.get("send_resolved", defaults.get(key.removesuffix("_configs"), False)))
            for key, configs in receiver.items()
            if key.endswith("_configs") and isinstance(configs, list)
            for c in configs
            if isinstance(c, dict)
        ]
        out[str(receiver.get("name"))] = any(flags) if flags else True
    return out


def ack_drop_rules(scenario: Scenario, levels: list[str], loss: float, path: str) -> list[FaultRule]:
    """The fault rules of ``--drop-ack L1`` (every ack from L1's responders) and
    ``--ack-loss P`` (any ack, with probability P)."""
    rules = []
    oncall = oncall_config(scenario, path)
    known = oncall.levels if oncall is not None else []
    people = [p.name for p in scenario.responders]
    for level in levels:
        if level in known and scenario.pagerduty is not None:
            # the people a policy's rule at that position may page
            senders = tuple(oncall.users_at_rule(known.index(level))) if oncall is not None else ()
        elif level in known:
            senders = tuple(p.name for p in scenario.responders if p.level == level)
        elif level in people:
            senders = (level,)
        else:
            raise ScenarioError(
                f"--drop-ack {level}: no such level or responder in {path} "
                f"(levels: {', '.join(known) or 'none'}; responders: {', '.join(people) or 'none'})"
            )
        rules.append(FaultRule(name=f"drop-ack-{level}", action="drop", kinds=("PageAcked",), senders=senders))
    if loss > 0:
        rules.append(FaultRule(name=f"ack-loss-{loss:g}", action="drop", kinds=("PageAcked",), probability=loss))
    return rules


def _fault_rules(scenario: Scenario) -> list[FaultRule]:
    """The scenario's own fault rules (their references checked at load)."""
    return [
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
        for i, spec in enumerate(scenario.faults)
    ]
