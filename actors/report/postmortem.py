"""A blameless postmortem and a regression case, written from the trace of one incident.

:func:`gather` reads what the trace says about the incident (one pass, through the
:class:`~actors.report.digest.Digest`), and :func:`render` writes the Google SRE template,
one small function per section (:data:`RENDERERS`): summary; impact; root cause; trigger;
detection; response; resolution; action items; lessons learned (went well, went wrong,
where we got lucky); timeline. Blameless by construction: causes, triggers and lessons are
written about systems and gaps; people appear only in the response and the timeline, by
their role first.

:func:`regression_case` turns the incident into ``regression-INC-00N``: the condition and
the expectation (and, for an answer regression, the question the bad release got wrong).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actors.report.digest import Digest, IncidentMetrics, digest
from bus.messages import (
    AlertFired,
    Deployed,
    Escalated,
    FaultStarted,
    FixApplied,
    HandedOff,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    Message,
    PageAcked,
    RegressionCase,
    RolledBack,
    StepTaken,
)
from bus.text import printable
from bus.trace import Envelope, Trace, envelopes_of
from bus.vtime import format_duration, format_vtime
from topology import Topology

__all__ = ["RENDERERS", "SECTIONS", "Facts", "gather", "regression_case", "render"]

#: The error budget period the postmortem reports against.
PERIOD = 30 * 86400.0


@dataclass
class Facts:
    """What the trace says about one incident."""

    opened: IncidentOpened
    opened_at: float
    metrics: IncidentMetrics
    #: The last deploy to, or fault on, the root or anything it depends on, before it opened.
    trigger: Envelope[Deployed | FaultStarted] | None
    #: The first of its alerts to fire.
    first_alert: Envelope[AlertFired] | None
    worst_sli: float | None
    #: The share of a 30-day error budget burned from the cause's first bad event (the
    #: first alert's, when no change is found) to the resolution.
    budget_burned: float | None
    affected: list[str]
    steps: list[StepTaken]
    rollback: RolledBack | None
    #: The trigger, the causal chain to the opening, and every message of the incident.
    timeline: list[Envelope[Message]]
    resolved: IncidentResolved | None
    #: The service whose SLO the worst SLI and the budget are read from.
    measured: str = ""
    #: Whether a fix ran, or the fault below the root ended, before it was resolved.
    fixed: bool = False


def gather(trace: Trace, incident: str, topology: Topology, d: Digest | None = None) -> Facts:
    """The :class:`Facts` of *incident* (*d*: the trace's digest, if already made)."""
    d = digest(trace) if d is None else d
    opened_env = d.opened[incident]
    opened = opened_env.msg
    metrics = d.incidents[incident]
    mine = d.by_incident.get(incident, [])
    end = metrics.resolved_at if metrics.resolved_at is not None else d.last_t
    root = opened.root_service
    below = {root} | (topology.dependencies(root) if root in topology else set())
    trigger = None
    for env in d.changes:
        if env.t > opened_env.t:
            break
        if env.msg.service in below:
            trigger = env
    alerts = set(opened.alerts)
    first_alert = next((e for e in d.alerts if e.msg.alert in alerts), None)
    # The budget burned counts from the first bad event of the cause (the samples after the
    # change that triggered it), not from detection: errors before the first alert count.
    series = d.series
    if trigger is not None:
        since = trigger.t
        reports = [
            r for r in series.samples(root, since=since, until=end) if r.symptom == opened.symptom and r.t > since
        ]
    else:
        start = first_alert.t if first_alert else opened_env.t
        reports = [r for r in series.samples(root, since=start - 60, until=end) if r.symptom == opened.symptom]
    measured = root
    if not reports:  # the root has no SLO (a suspected cause): the worst of what it hurt
        after = trigger.t if trigger else opened_env.t - 60
        window = [r for s in opened.affected for r in series.samples(s, since=after, until=end) if r.t > after]
        worst_service = min(window, key=lambda r: r.sli).service if window else None
        reports = [r for r in window if r.service == worst_service]
        measured = worst_service or root
    worst = min((r.sli for r in reports), default=None)
    burned = None
    if reports:
        step = reports[1].t - reports[0].t if len(reports) > 1 else 60.0
        budget = 1 - reports[0].objective
        burned = sum((1 - r.sli) * step for r in reports) / (budget * PERIOD)
    affected = sorted(set(opened.affected) | set(topology.blast_radius(root) if root in topology else []))
    steps = [e.msg for e in mine if isinstance(e.msg, StepTaken)]
    rollback = next((e.msg for e in mine if isinstance(e.msg, RolledBack)), None)
    chain = trace.ancestors(opened_env)
    timeline = sorted(
        {e.seq: e for e in [*([trigger] if trigger else []), *chain, *mine]}.values(), key=lambda e: e.seq
    )
    resolved = next((e.msg for e in mine if isinstance(e.msg, IncidentResolved)), None)
    fixed = any(isinstance(e.msg, FixApplied) for e in mine) or any(
        e.msg.service in below and opened_env.t <= e.t <= end for e in d.cleared
    )
    return Facts(
        opened,
        opened_env.t,
        metrics,
        trigger,
        first_alert,
        worst,
        burned,
        affected,
        steps,
        rollback,
        timeline,
        resolved,
        measured,
        fixed,
    )


@dataclass
class Story:
    """What several sections say alike, worked out once from the facts."""

    f: Facts
    #: What set it off, in a sentence.
    trigger_text: str
    #: The gap in the system that let it happen (never a person).
    gap: str
    duration: float | None
    handoffs: list[HandedOff]
    escalations: list[Envelope[Escalated]]

    @classmethod
    def of(cls, f: Facts) -> Story:
        trig = f.trigger
        if trig is not None and isinstance(trig.msg, Deployed):
            text = f"{trig.msg.release} was deployed to {trig.msg.service} at {format_vtime(trig.t)} without a canary."
            gap = f"no canary on the deploy of {trig.msg.service}"
        elif trig is not None and isinstance(trig.msg, FaultStarted):
            fault = trig.msg
            sig = f" ({fault.signature})" if fault.signature else ""
            text = f"{fault.service} began failing at {format_vtime(trig.t)}{sig}: its health fell to {_pct(fault.health)}."
            gap = f"no automatic failover around {fault.service}"
        else:
            text = "No deploy or fault in the trace precedes the incident; the trigger is unknown."
            gap = "no signal that names the trigger"
        m = f.metrics
        return cls(
            f,
            text,
            gap,
            (m.resolved_at - f.opened_at) if m.resolved_at is not None else None,
            [e.msg for e in f.timeline if isinstance(e.msg, HandedOff)],
            envelopes_of(f.timeline, Escalated),
        )


def _pct(value: float) -> str:
    """A share as a percentage with as many decimals as it takes not to read as a round
    figure it is not (99.72% is not "100%")."""
    for digits in range(5):
        text = f"{value * 100:.{digits}f}"
        if abs(float(text) - value * 100) < 1e-9 or (float(text) not in (0.0, 100.0) and digits >= 1):
            return f"{text}%"
    return f"{value * 100:.4f}%"


def _role(level: str | None) -> str:
    return f"the {level} on-call" if level else "the on-call"


def _summary(s: Story) -> list[str]:
    o, m = s.f.opened, s.f.metrics
    done = f"It was resolved after {format_duration(s.duration)}." if s.duration is not None else "It was not resolved."
    return [
        f"{o.root_service} breached its SLO ({o.symptom}); the correlator paged once about the cause, "
        f"grouping {m.alerts} alert(s). " + done
    ]


def _impact(s: Story) -> list[str]:
    f, o, m = s.f, s.f.opened, s.f.metrics
    took = format_duration(s.duration) if s.duration is not None else "still open"
    lines = [f"- Duration: {took} (opened {format_vtime(f.opened_at)})"]
    if f.worst_sli is not None:
        lines.append(f"- Worst SLI: {f.worst_sli:.1%} ({f.measured})")
    if f.budget_burned is not None:
        lines.append(f"- Error budget burned: {f.budget_burned:.2%} of {f.measured}'s 30-day budget")
    lines.append(f"- Services affected (blast radius of {o.root_service}): {', '.join(f.affected) or 'none'}")
    if m.tickets:
        lines.append(f"- User tickets linked: {', '.join(m.tickets)}")
    return lines


def _root_cause(s: Story) -> list[str]:
    o, m = s.f.opened, s.f.metrics
    return [
        (
            f"The root cause is {o.root_service} ({o.symptom}): the alerting service none of whose dependencies "
            f"alerted. {m.alerts} alert(s) were attributed to it; the symptoms above it were inhibited."
        )
    ]


def _trigger(s: Story) -> list[str]:
    return [s.trigger_text]


def _detection(s: Story) -> list[str]:
    f = s.f
    lines = []
    if f.first_alert is not None:
        a = f.first_alert.msg
        burns = ", ".join(f"{k} {v:.1f}x" for k, v in a.burns.items())
        lag = f", {format_duration(f.first_alert.t - f.trigger.t)} after the trigger" if f.trigger else ""
        lines.append(
            f"- {a.alert} {a.fingerprint} fired at {format_vtime(f.first_alert.t)}{lag}: {a.reason} (burn {burns})."
        )
    lines.append(f"- The incident opened at {format_vtime(f.opened_at)} after group_wait.")
    return lines


def _response(s: Story) -> list[str]:
    f, m = s.f, s.f.metrics
    lines = [f"- Pages: {m.pages}; highest level reached: {m.level or 'none'}."]
    if m.time_to_ack is not None:
        ack_level = next((e.msg.level for e in f.timeline if isinstance(e.msg, IncidentAcknowledged)), None)
        lines.append(f"- Time to acknowledge: {format_duration(m.time_to_ack)} (by {_role(ack_level)}).")
    if m.dropped_acks:
        rules = sorted({v.rule for e in f.timeline if isinstance(e.msg, PageAcked) for v in e.faults})
        lines.append(f"- Dropped acknowledgements: {m.dropped_acks} (fault rules: {', '.join(rules)}).")
    lines += [
        f"- Escalated {e.msg.from_level} -> {e.msg.to_level} at {format_vtime(e.t)}: {e.msg.reason}."
        for e in s.escalations
    ]
    lines += [f"- {_role(h.level).capitalize()} handed off: {h.reason}." for h in s.handoffs]
    if m.exhausted:
        lines.append(f"- The escalation ladder was exhausted: {m.exhausted_why or 'nobody acknowledged'}.")
    if m.time_to_resolve is not None:
        lines.append(f"- Time to resolve: {format_duration(m.time_to_resolve)}.")
    return lines


def _resolution(s: Story) -> list[str]:
    f = s.f
    lines = [f"{i}. {step.step} ({step.action} on {step.service})" for i, step in enumerate(f.steps, 1)]
    if f.rollback is not None:
        lines.append(f"- Rolled back {f.rollback.bad} -> {f.rollback.to}.")
    if f.resolved is not None:
        lines.append(f"- Resolved: {f.resolved.reason}.")
    return lines


def _action_items(s: Story) -> list[str]:
    m = s.f.metrics
    items = [
        f"Close the gap: {s.gap}.",
        f"Keep regression-{s.f.opened.incident} in the eval set (added by this postmortem).",
    ]
    if m.dropped_acks:
        items.append("Test the paging path of every level (acks were lost) and add a backup target per level.")
    elif m.exhausted and not m.exhausted_why:
        items.append("Make sure every level has someone reachable: nobody acknowledged.")
    elif m.exhausted:
        items.append("Give the last level someone who can finish, or a runbook step it may run.")
    if any(h.cause == "min_level" for h in s.handoffs):
        items.append(
            "Let the first level run the runbook's first play, or route this symptom straight to the level that can."
        )
    return [f"- [ ] {item}" for item in items]


def _lessons(s: Story) -> list[str]:
    f, m = s.f, s.f.metrics
    lines = [
        "**What went well**",
        "",
        f"- The correlator collapsed {m.alerts} alert(s) into one incident about the cause.",
    ]
    if m.time_to_ack is not None:
        lines.append(f"- The page was acknowledged in {format_duration(m.time_to_ack)}.")
    if f.steps:
        lines.append("- Mitigation came before diagnosis: the runbook stopped the bleeding first.")
    lines += ["", "**What went wrong**", "", f"- {s.gap[0].upper()}{s.gap[1:]}."]
    if m.dropped_acks:
        lines.append("- Acknowledgements were lost on the way to the pager, so the page escalated.")
    if any(h.cause == "min_level" for h in s.handoffs):
        lines.append("- The runbook's first play needed a higher level than the one first paged.")
    if any(h.cause == "runbook" for h in s.handoffs):
        lines.append("- The runbook ran out before the service recovered.")
    lines += ["", "**Where we got lucky**", ""]
    if f.rollback is not None:
        lines.append(f"- A last good release ({f.rollback.to}) was there to roll back to.")
    if m.tickets:
        lines.append("- A user reported it too, which confirmed the impact.")
    mitigated = any(step.action == "mitigate" for step in f.steps)
    if not f.rollback and not m.tickets and mitigated and not f.fixed:
        lines.append("- The mitigations in the runbook were enough; the dependency itself was not fixed.")
    elif not f.rollback and not m.tickets:
        lines.append("- Nothing the trace shows.")
    return lines


def _timeline(s: Story) -> list[str]:
    return [f"- {format_vtime(e.t)} {e.sender}: {e.kind} {e.msg.summary()}".rstrip() for e in s.f.timeline]


#: The template's sections, in order, each with the function that writes its body.
RENDERERS: tuple[tuple[str, Callable[[Story], list[str]]], ...] = (
    ("Summary", _summary),
    ("Impact", _impact),
    ("Root cause", _root_cause),
    ("Trigger", _trigger),
    ("Detection", _detection),
    ("Response", _response),
    ("Resolution", _resolution),
    ("Action items", _action_items),
    ("Lessons learned", _lessons),
    ("Timeline", _timeline),
)
#: The template's section names, in order.
SECTIONS: list[str] = [name for name, _ in RENDERERS]


def render(facts: Facts) -> tuple[str, str]:
    """``(title, markdown)`` of the postmortem."""
    o = facts.opened
    title = f"{o.incident}: {o.root_service} {o.symptom} ({o.severity})"
    story = Story.of(facts)
    lines = [f"# Postmortem {title}", "", "_Blameless: systems and gaps are causes; people are not._"]
    for name, write in RENDERERS:
        lines += ["", f"## {name}", "", *write(story)]
    return title, "\n".join(map(_markdown_line, lines)) + "\n"


def _markdown_line(line: str) -> str:
    """One line of the postmortem, safe whatever the scenario's texts hold: a newline in a
    step name or a ticket cannot start a heading of its own (it shows as ``\\n``), control
    and bidi characters show escaped, and ``<`` cannot open an HTML tag."""
    return printable(line).replace("<", "&lt;")


def regression_case(facts: Facts, eval_set: dict[str, str]) -> RegressionCase:
    """The eval case the incident becomes: its condition, and the question it got wrong."""
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
