"""The eval gate: the scenario's ``expect:`` checks, evaluated on the run's trace.

Each check gives ``[PASS]`` or ``[FAIL]`` with the figure it saw. Durations (``within``)
count from the opening of the incident the check is about (the first paged incident
unless ``incident:`` names one). Check types:

- ``storm_correlated``: ``alerts`` alerts fired and became ``incidents`` incidents.
- ``paged``: an incident paged at ``severity`` within ``within``, its alert burning at
  least ``burn_at_least``.
- ``acked``: acknowledged at ``level`` (or ``by`` a responder) within ``within``.
- ``escalated``: the incident escalated to ``level``.
- ``no_exhaustion`` / ``exhausted``: no ladder was (or one was) exhausted.
- ``ticket_linked``: ``ticket`` triaged at ``severity``, routed to ``route``, linked to an
  incident.
- ``sli_recovered``: ``service``'s SLI went from ``sli_from`` (or below) to ``sli_to`` (or
  above) within ``within``.
- ``resolved``: resolved within ``within``.
- ``runbook_step``: a step named ``step`` was taken.
- ``postmortem_written``: with every template section, and blameless (no responder's name
  in its root cause, trigger or lessons).
- ``regression_case_added``: ``regression-<incident>`` was added.
- ``canary``: ``release``'s canary ended in ``verdict`` and ``live_after`` was live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors.report.metrics import response_metrics
from actors.postmortem_writer import SECTIONS
from bus.messages import (
    AlertFired,
    CanaryVerdict,
    EscalationExhausted,
    Escalated,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentTriggered,
    PostmortemWritten,
    RegressionCaseAdded,
    SliReported,
    StepTaken,
    TicketTriaged,
)
from bus.trace import Trace
from bus.vtime import format_duration
from scenarios.schema import Expectation

__all__ = ["Verdict", "blameless_sections", "evaluate"]


@dataclass(frozen=True)
class Verdict:
    name: str
    passed: bool
    figure: str


def evaluate(expectations: list[Expectation], trace: Trace, people: list[str]) -> list[Verdict]:
    return [_check(e, trace, people) for e in expectations]


def _incident(e: Expectation, trace: Trace) -> str | None:
    if e.incident:
        return e.incident
    first = trace.first(IncidentTriggered)
    if first is not None:
        return first.msg.incident  # type: ignore[attr-defined,no-any-return]
    opened = trace.first(IncidentOpened)
    return opened.msg.incident if opened else None  # type: ignore[attr-defined]


def _within(e: Expectation, seconds: float | None) -> bool:
    return seconds is not None and (e.within is None or seconds <= e.within + 1e-9)


def _time(seconds: float | None) -> str:
    return "never" if seconds is None else format_duration(seconds)


def blameless_sections(markdown: str, people: list[str]) -> list[str]:
    """The sections (root cause, trigger, lessons) that name a person; empty when blameless."""
    named = []
    for section in ("Root cause", "Trigger", "Lessons learned"):
        match = re.search(rf"^## {section}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
        body = match.group(1) if match else ""
        if any(re.search(rf"\b{re.escape(p)}\b", body, re.I) for p in people):
            named.append(section)
    return named


def _check(e: Expectation, trace: Trace, people: list[str]) -> Verdict:  # noqa: C901 - one branch per check type
    incident = _incident(e, trace)
    metrics = response_metrics(trace)
    m = metrics.get(incident or "")
    kind = e.check
    if kind == "storm_correlated":
        alerts = len(trace.of(AlertFired))
        incidents = len([i for i in trace.messages(IncidentOpened) if i.source == "alerts"])
        ok = (e.alerts is None or alerts == e.alerts) and (e.incidents is None or incidents == e.incidents)
        return Verdict(e.name or "AIOps correlated the storm", ok, f"{alerts} alerts -> {incidents} incidents")
    if kind == "paged":
        trig = trace.first(IncidentTriggered, incident=incident) if incident else None
        opened = trace.first(IncidentOpened, incident=incident) if incident else None
        burn = max(opened.msg.burns.values(), default=0.0) if opened else 0.0  # type: ignore[attr-defined]
        after = trig.t - opened.t if trig and opened else None
        sev = trig.msg.severity if trig else None  # type: ignore[attr-defined]
        ok = trig is not None and (e.severity is None or sev == e.severity) and _within(e, after)
        ok = ok and (e.burn_at_least is None or burn >= e.burn_at_least - 1e-9)
        sli = f", SLI {opened.msg.sli:.0%}" if opened and opened.msg.sli is not None else ""  # type: ignore[attr-defined]
        return Verdict(e.name or f"paged {e.severity or ''}".strip(), ok, f"{incident} {sev} at {burn:.1f}x burn{sli}")
    if kind == "acked":
        acks = [a for a in trace.of(IncidentAcknowledged) if a.msg.incident == incident]  # type: ignore[attr-defined]
        ack = acks[0] if acks else None
        after = ack.msg.after if ack else None  # type: ignore[attr-defined]
        ok = ack is not None and _within(e, after)
        ok = ok and (e.level is None or ack.msg.level == e.level) and (e.by is None or ack.msg.by == e.by)  # type: ignore[union-attr]
        who = f"{ack.msg.by} ({ack.msg.level})" if ack else "nobody"  # type: ignore[attr-defined]
        return Verdict(e.name or f"acked by {e.by or e.level or 'someone'}", ok, f"{who} after {_time(after)}")
    if kind == "escalated":
        levels = [x.msg.to_level for x in trace.of(Escalated) if x.msg.incident == incident]  # type: ignore[attr-defined]
        ok = e.level in levels if e.level else bool(levels)
        return Verdict(e.name or f"escalated to {e.level}", ok, f"escalations: {', '.join(levels) or 'none'}")
    if kind in ("no_exhaustion", "exhausted"):
        gone = [x.msg.incident for x in trace.of(EscalationExhausted)]  # type: ignore[attr-defined]
        ok = not gone if kind == "no_exhaustion" else bool(gone)
        return Verdict(e.name or kind.replace("_", " "), ok, f"exhausted: {', '.join(gone) or 'none'}")
    if kind == "ticket_linked":
        t = trace.first(TicketTriaged, ticket=e.ticket) if e.ticket else trace.first(TicketTriaged)
        msg = t.msg if t else None
        ok = msg is not None and msg.linked and (e.severity is None or msg.severity == e.severity)  # type: ignore[attr-defined]
        ok = ok and (e.route is None or msg.route == e.route)  # type: ignore[union-attr]
        fig = f"{msg.ticket} {msg.severity} -> {msg.route or 'queue'}, {'linked to' if msg.linked else 'opened'} {msg.incident}" if msg else "no ticket"  # type: ignore[attr-defined]
        return Verdict(e.name or "ticket triaged and linked", ok, fig)
    if kind == "sli_recovered":
        start = m.opened_at if m else 0.0
        reports = [r for r in trace.of(SliReported) if r.msg.service == e.service]  # type: ignore[attr-defined]
        low = min((r.msg.sli for r in reports if r.t >= start - 300), default=None)  # type: ignore[attr-defined]
        back = next((r for r in reports if r.t >= start and r.msg.sli >= (e.sli_to or 0) - 1e-9), None)  # type: ignore[attr-defined]
        after = back.t - start if back else None
        ok = back is not None and _within(e, after) and (e.sli_from is None or (low is not None and low <= e.sli_from + 1e-9))
        fig = f"SLI {low:.0%} -> {back.msg.sli:.0%} after {_time(after)}" if back and low is not None else "never recovered"  # type: ignore[attr-defined]
        return Verdict(e.name or f"SLI of {e.service} recovered", ok, fig)
    if kind == "resolved":
        ttr = m.time_to_resolve if m else None
        ok = m is not None and m.resolved_at is not None and _within(e, ttr)
        return Verdict(e.name or f"{incident} resolved", ok, f"{incident} resolved after {_time(ttr)}")
    if kind == "runbook_step":
        steps = [s.step for s in trace.messages(StepTaken)]
        ok = e.step in steps
        return Verdict(e.name or f"runbook step {e.step!r} taken", ok, f"steps: {', '.join(steps) or 'none'}")
    if kind == "postmortem_written":
        pm = trace.first(PostmortemWritten, incident=incident)
        if pm is None:
            return Verdict(e.name or "postmortem written", False, f"no postmortem for {incident}")
        missing = [s for s in SECTIONS if f"## {s}" not in pm.msg.markdown]  # type: ignore[attr-defined]
        named = blameless_sections(pm.msg.markdown, people) if e.blameless else []  # type: ignore[attr-defined]
        ok = not missing and not named
        fig = f"{len(SECTIONS) - len(missing)}/{len(SECTIONS)} sections" + (f", names people in {', '.join(named)}" if named else ", blameless")
        return Verdict(e.name or "blameless postmortem written", ok, fig)
    if kind == "regression_case_added":
        case_id = f"regression-{incident}"
        found = [c.case for c in trace.messages(RegressionCaseAdded) if c.case.id == case_id]
        fig = f"{case_id}: {found[0].condition}" if found else f"no {case_id}"
        return Verdict(e.name or "incident became a regression case", bool(found), fig)
    if kind == "canary":
        verdicts = [v for v in trace.messages(CanaryVerdict) if e.release is None or v.release == e.release]
        v = verdicts[-1] if verdicts else None
        ok = v is not None and (e.verdict is None or v.verdict == e.verdict) and (e.live_after is None or v.live_after == e.live_after)
        fig = f"{v.release}: {v.verdict}, live is {v.live_after} ({v.reason})" if v else "no canary ran"
        return Verdict(e.name or "fix canaried & promoted to live", ok, fig)
    raise AssertionError(kind)  # the schema allows no other
