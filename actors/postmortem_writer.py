"""The postmortem writer: a blameless postmortem and a regression case per paged incident.

On an incident's resolution it reads the trace (every message of the incident, and the
causal chain behind it) and renders the Google SRE template: summary; impact; root
cause; trigger; detection; response; resolution; action items; lessons learned (went well,
went wrong, where we got lucky); timeline. Blameless by construction: causes, triggers and
lessons are written about systems and gaps; people appear only in the response and the
timeline, by their role first.

It also emits ``regression-INC-00N``: the condition and the expectation (and, for an answer
regression, the question the bad release got wrong), which the release manager adds to its
eval set so the fix's canary must pass it. Nothing is written to disk here: the CLI
writes the Markdown and the cases under ``--out``.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.engine.actor import Actor, Host
from actors.report.metrics import IncidentMetrics, response_metrics
from bus.messages import (
    AlertFired,
    Deployed,
    FaultStarted,
    HandedOff,
    IncidentOpened,
    IncidentResolved,
    IncidentTriggered,
    PageAcked,
    PostmortemWritten,
    RegressionCase,
    RegressionCaseAdded,
    RolledBack,
    SliReported,
    StepTaken,
)
from bus.trace import Envelope, Trace
from bus.vtime import format_duration, format_vtime
from topology import Topology

__all__ = ["SECTIONS", "PostmortemWriter", "render"]

SECTIONS = [
    "Summary",
    "Impact",
    "Root cause",
    "Trigger",
    "Detection",
    "Response",
    "Resolution",
    "Action items",
    "Lessons learned",
    "Timeline",
]
PERIOD = 30 * 86400.0


@dataclass
class Facts:
    """What the trace says about one incident."""

    opened: IncidentOpened
    opened_at: float
    metrics: IncidentMetrics
    trigger: Envelope | None
    first_alert: Envelope | None
    worst_sli: float | None
    budget_burned: float | None
    affected: list[str]
    steps: list[StepTaken]
    rollback: RolledBack | None
    timeline: list[Envelope]
    resolved: IncidentResolved | None


def gather(trace: Trace, incident: str, topology: Topology) -> Facts:
    opened_env = next(e for e in trace.of(IncidentOpened) if e.msg.incident == incident)  # type: ignore[attr-defined]
    opened: IncidentOpened = opened_env.msg  # type: ignore[assignment]
    metrics = response_metrics(trace)[incident]
    mine = trace.for_incident(incident)
    end = metrics.resolved_at if metrics.resolved_at is not None else (trace.envelopes[-1].t if trace.envelopes else 0)
    root = opened.root_service
    # The trigger: the last deploy to, or fault on, the root or anything it depends on.
    below = {root} | (_descendants(topology, root) if root in topology.graph else set())
    trigger = None
    for env in trace:
        if env.t > opened_env.t:
            break
        m = env.msg
        if isinstance(m, Deployed) and m.service in below or isinstance(m, FaultStarted) and m.service in below:
            trigger = env
    alerts = set(opened.alerts)
    first_alert = next((e for e in trace.of(AlertFired) if e.msg.alert in alerts), None)  # type: ignore[attr-defined]
    start = first_alert.t if first_alert else opened_env.t
    reports = [
        e for e in trace.of(SliReported)
        if e.msg.service == root and e.msg.symptom == opened.symptom and start - 60 <= e.t <= end  # type: ignore[attr-defined]
    ]
    worst = min((e.msg.sli for e in reports), default=None)  # type: ignore[attr-defined]
    burned = None
    if reports:
        step = reports[1].t - reports[0].t if len(reports) > 1 else 60.0
        budget = 1 - reports[0].msg.objective  # type: ignore[attr-defined]
        burned = sum((1 - e.msg.sli) * step for e in reports) / (budget * PERIOD)  # type: ignore[attr-defined]
    affected = sorted(set(opened.affected) | set(topology.blast_radius(root) if root in topology.graph else []))
    steps = [e.msg for e in mine if isinstance(e.msg, StepTaken)]
    rollback = next((e.msg for e in mine if isinstance(e.msg, RolledBack)), None)
    chain = trace.ancestors(opened_env)
    timeline = sorted({e.seq: e for e in [*([trigger] if trigger else []), *chain, *mine]}.values(), key=lambda e: e.seq)
    resolved = next((e.msg for e in mine if isinstance(e.msg, IncidentResolved)), None)
    return Facts(opened, opened_env.t, metrics, trigger, first_alert, worst, burned, affected, steps, rollback, timeline, resolved)  # type: ignore[arg-type]


def _descendants(topology: Topology, service: str) -> set[str]:
    import networkx as nx

    return set(nx.descendants(topology.graph, service))


def _role(level: str | None) -> str:
    return f"the {level} on-call" if level else "the on-call"


def render(facts: Facts) -> tuple[str, str]:
    """``(title, markdown)`` of the postmortem."""
    o, m = facts.opened, facts.metrics
    title = f"{o.incident}: {o.root_service} {o.symptom} ({o.severity})"
    trig = facts.trigger.msg if facts.trigger else None
    if isinstance(trig, Deployed):
        trigger_text = f"{trig.release} was deployed to {trig.service} at {format_vtime(facts.trigger.t)} without a canary."  # type: ignore[union-attr]
        gap = f"no canary on the deploy of {trig.service}"
    elif isinstance(trig, FaultStarted):
        sig = f" ({trig.signature})" if trig.signature else ""
        trigger_text = f"{trig.service} began failing at {format_vtime(facts.trigger.t)}{sig}: its health fell to {trig.health:.0%}."  # type: ignore[union-attr]
        gap = f"no automatic failover around {trig.service}"
    else:
        trigger_text = "No deploy or fault in the trace precedes the incident; the trigger is unknown."
        gap = "no signal that names the trigger"
    duration = (m.resolved_at - facts.opened_at) if m.resolved_at is not None else None
    dropped = m.dropped_acks
    handoffs = [e.msg for e in facts.timeline if isinstance(e.msg, HandedOff)]
    escalations = [e for e in facts.timeline if e.msg.kind == "Escalated"]
    exhausted = m.exhausted
    lines = [f"# Postmortem {title}", "", "_Blameless: systems and gaps are causes; people are not._", ""]

    lines += ["## Summary", ""]
    lines.append(
        f"{o.root_service} breached its SLO ({o.symptom}); the correlator paged once about the cause, "
        f"grouping {m.alerts} alert(s). "
        + (f"It was resolved after {format_duration(duration)}." if duration is not None else "It was not resolved.")
    )
    lines += ["", "## Impact", ""]
    lines.append(f"- Duration: {format_duration(duration) if duration is not None else 'still open'} "
                 f"(opened {format_vtime(facts.opened_at)})")
    if facts.worst_sli is not None:
        lines.append(f"- Worst SLI: {facts.worst_sli:.1%}")
    if facts.budget_burned is not None:
        lines.append(f"- Error budget burned: {facts.budget_burned:.2%} of a 30-day budget")
    lines.append(f"- Services affected (blast radius of {o.root_service}): {', '.join(facts.affected) or 'none'}")
    if m.tickets:
        lines.append(f"- User tickets linked: {', '.join(m.tickets)}")
    lines += ["", "## Root cause", ""]
    lines.append(
        f"The root cause is {o.root_service} ({o.symptom}): the alerting service none of whose dependencies "
        f"alerted. {m.alerts} alert(s) were attributed to it; the symptoms above it were inhibited."
    )
    lines += ["", "## Trigger", "", trigger_text]
    lines += ["", "## Detection", ""]
    if facts.first_alert is not None:
        a: AlertFired = facts.first_alert.msg  # type: ignore[assignment]
        burns = ", ".join(f"{k} {v:.1f}x" for k, v in a.burns.items())
        lag = f", {format_duration(facts.first_alert.t - facts.trigger.t)} after the trigger" if facts.trigger else ""
        lines.append(f"- {a.alert} {a.fingerprint} fired at {format_vtime(facts.first_alert.t)}{lag}: {a.reason} (burn {burns}).")
    lines.append(f"- The incident opened at {format_vtime(facts.opened_at)} after group_wait.")
    lines += ["", "## Response", ""]
    lines.append(f"- Pages: {m.pages}; highest level reached: {m.level or 'none'}.")
    if m.time_to_ack is not None:
        lines.append(f"- Time to acknowledge: {format_duration(m.time_to_ack)} (by {_role(_ack_level(facts))}).")
    if dropped:
        rules = sorted({f.rule for e in facts.timeline if isinstance(e.msg, PageAcked) for f in e.faults})
        lines.append(f"- Dropped acknowledgements: {dropped} (fault rules: {', '.join(rules)}).")
    for e in escalations:
        lines.append(f"- Escalated {e.msg.from_level} -> {e.msg.to_level} at {format_vtime(e.t)}: {e.msg.reason}.")  # type: ignore[attr-defined]
    for h in handoffs:
        lines.append(f"- {_role(h.level).capitalize()} handed off: {h.reason}.")
    if exhausted:
        lines.append("- The escalation ladder was exhausted: nobody acknowledged.")
    if m.time_to_resolve is not None:
        lines.append(f"- Time to resolve: {format_duration(m.time_to_resolve)}.")
    lines += ["", "## Resolution", ""]
    for i, step in enumerate(facts.steps, 1):
        lines.append(f"{i}. {step.step} ({step.action} on {step.service})")
    if facts.rollback is not None:
        lines.append(f"- Rolled back {facts.rollback.bad} -> {facts.rollback.to}.")
    if facts.resolved is not None:
        lines.append(f"- Resolved: {facts.resolved.reason}.")
    lines += ["", "## Action items", ""]
    items = [f"Close the gap: {gap}.", f"Keep regression-{o.incident} in the eval set (added by this postmortem)."]
    if dropped or exhausted:
        items.append("Test the paging path of every level (acks were lost) and add a backup target per level.")
    if handoffs:
        items.append("Let the first level run the runbook's first play, or route this symptom straight to the level that can.")
    lines += [f"- [ ] {item}" for item in items]
    lines += ["", "## Lessons learned", "", "**What went well**", ""]
    lines.append(f"- The correlator collapsed {m.alerts} alert(s) into one incident about the cause.")
    if m.time_to_ack is not None:
        lines.append(f"- The page was acknowledged in {format_duration(m.time_to_ack)}.")
    if facts.steps:
        lines.append("- Mitigation came before diagnosis: the runbook stopped the bleeding first.")
    lines += ["", "**What went wrong**", "", f"- {gap[0].upper()}{gap[1:]}."]
    if dropped:
        lines.append("- Acknowledgements were lost on the way to the pager, so the page escalated.")
    if handoffs:
        lines.append("- The runbook's first play needed a higher level than the one first paged.")
    lines += ["", "**Where we got lucky**", ""]
    if facts.rollback is not None:
        lines.append(f"- A last good release ({facts.rollback.to}) was there to roll back to.")
    if m.tickets:
        lines.append("- A user reported it too, which confirmed the impact.")
    if not facts.rollback and not m.tickets:
        lines.append("- The mitigations in the runbook were enough; the dependency itself was not fixed.")
    lines += ["", "## Timeline", ""]
    for e in facts.timeline:
        lines.append(f"- {format_vtime(e.t)} {e.sender}: {e.kind} {e.msg.summary()}".rstrip())
    return title, "\n".join(lines) + "\n"


def _ack_level(facts: Facts) -> str | None:
    for e in facts.timeline:
        if e.kind == "IncidentAcknowledged":
            return e.msg.level  # type: ignore[attr-defined,no-any-return]
    return None


def regression_case(facts: Facts, eval_set: dict[str, str]) -> RegressionCase:
    o = facts.opened
    trig = facts.trigger.msg if facts.trigger else None
    if isinstance(trig, Deployed):
        condition = f"{trig.release} deployed to {trig.service} without a canary"
    elif isinstance(trig, FaultStarted):
        condition = f"{trig.signature or 'a fault'} on {trig.service} (health {trig.health:.0%})"
    else:
        condition = f"{o.symptom} on {o.root_service}"
    question = facts.rollback.regressed[0] if facts.rollback and facts.rollback.regressed else None
    return RegressionCase(
        id=f"regression-{o.incident}",
        incident=o.incident,
        condition=condition,
        service=o.root_service,
        question=question,
        answer=eval_set.get(question) if question else None,
    )


class PostmortemWriter(Actor):
    """Writes a postmortem and a regression case when a paged incident resolves."""

    family = "postmortem"
    subscribes = (IncidentResolved,)

    def __init__(self, name: str, host: Host, topology: Topology, eval_set: dict[str, str]) -> None:
        self.topology = topology
        self.eval_set = eval_set
        super().__init__(name, host)

    def setup(self) -> None:
        self.written: set[str] = set()

    def on_incident_resolved(self, msg: IncidentResolved, env: Envelope) -> None:
        trace = self.bus.trace
        if msg.incident in self.written or trace.first(IncidentTriggered, incident=msg.incident) is None:
            return  # tickets that never paged get no postmortem
        self.written.add(msg.incident)
        facts = gather(trace, msg.incident, self.topology)
        title, markdown = render(facts)
        self.send(PostmortemWritten(incident=msg.incident, title=title, sections=list(SECTIONS), markdown=markdown))
        self.send(RegressionCaseAdded(case=regression_case(facts, self.eval_set)))
