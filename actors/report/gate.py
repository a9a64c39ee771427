"""The eval gate: the scenario's ``expect:`` checks, evaluated on the run's trace.

Each check gives ``[PASS]`` or ``[FAIL]`` with the figure it saw. Durations (``within``)
count from the opening of the incident the check is about (the first paged incident
unless ``incident:`` names one). Each check type is one small function in :data:`CHECKS`
(a test holds the table and the schema's list of check names to each other):

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
from collections.abc import Callable
from dataclasses import dataclass

from actors.report.digest import Digest, IncidentMetrics, pages_per_responder
from actors.report.postmortem import SECTIONS
from bus.vtime import format_duration
from scenarios.schema import Expectation

__all__ = ["CHECKS", "Verdict", "blameless_sections", "evaluate"]

_SLACK = 1e-9  # float slack on compared figures


@dataclass(frozen=True)
class Verdict:
    """One check's outcome: its label, whether it passed, and the figure it saw."""

    name: str
    passed: bool
    figure: str


@dataclass(frozen=True)
class Subject:
    """What every check is given: the expectation, the digested trace, the incident it is
    about (and that incident's metrics), and the responders' names."""

    e: Expectation
    d: Digest
    incident: str | None
    m: IncidentMetrics | None
    people: list[str]


def evaluate(expectations: list[Expectation], d: Digest, people: list[str]) -> list[Verdict]:
    """Every expectation's verdict, in order."""
    return [_check(e, d, people) for e in expectations]


def _check(e: Expectation, d: Digest, people: list[str]) -> Verdict:
    incident = e.incident or d.first_incident
    return CHECKS[e.check](Subject(e, d, incident, d.incidents.get(incident or ""), people))


def _within(e: Expectation, seconds: float | None) -> bool:
    return seconds is not None and (e.within is None or seconds <= e.within + _SLACK)


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


# --- the checks, one function each -------------------------------------------------------


def storm_correlated(s: Subject) -> Verdict:
    e = s.e
    alerts = len(s.d.alerts)
    incidents = sum(1 for env in s.d.opened.values() if env.msg.source == "alerts")
    ok = (e.alerts is None or alerts == e.alerts) and (e.incidents is None or incidents == e.incidents)
    return Verdict(e.name or "AIOps correlated the storm", ok, f"{alerts} alerts -> {incidents} incidents")


def paged(s: Subject) -> Verdict:
    e, incident = s.e, s.incident
    trig = s.d.triggered.get(incident) if incident else None
    opened = s.d.opened.get(incident) if incident else None
    burn = max(opened.msg.burns.values(), default=0.0) if opened else 0.0
    after = trig.t - opened.t if trig and opened else None
    sev = trig.msg.severity if trig else None
    ok = trig is not None and (e.severity is None or sev == e.severity) and _within(e, after)
    ok = ok and (e.burn_at_least is None or burn >= e.burn_at_least - _SLACK)
    sli = f", SLI {opened.msg.sli:.0%}" if opened and opened.msg.sli is not None else ""
    return Verdict(e.name or f"paged {e.severity or ''}".strip(), ok, f"{incident} {sev} at {burn:.1f}x burn{sli}")


def acked(s: Subject) -> Verdict:
    e = s.e
    ack = s.d.acks.get(s.incident) if s.incident else None
    after = ack.after if ack else None
    ok = ack is not None and _within(e, after)
    ok = ok and ack is not None and (e.level is None or ack.level == e.level) and (e.by is None or ack.by == e.by)
    who = f"{ack.by} ({ack.level})" if ack else "nobody"
    return Verdict(e.name or f"acked by {e.by or e.level or 'someone'}", ok, f"{who} after {_time(after)}")


def escalated(s: Subject) -> Verdict:
    e = s.e
    levels = s.d.escalations.get(s.incident or "", [])
    ok = e.level in levels if e.level else bool(levels)
    return Verdict(e.name or f"escalated to {e.level}", ok, f"escalations: {', '.join(levels) or 'none'}")


def no_exhaustion(s: Subject) -> Verdict:
    gone = s.d.exhausted
    return Verdict(s.e.name or "no exhaustion", not gone, f"exhausted: {', '.join(gone) or 'none'}")


def exhausted(s: Subject) -> Verdict:
    gone = s.d.exhausted
    return Verdict(s.e.name or "exhausted", bool(gone), f"exhausted: {', '.join(gone) or 'none'}")


def ticket_linked(s: Subject) -> Verdict:
    e = s.e
    msg = next((t for t in s.d.tickets if not e.ticket or t.ticket == e.ticket), None)
    if msg is None:
        return Verdict(e.name or "ticket triaged and linked", False, "no ticket")
    ok = msg.linked and (e.severity is None or msg.severity == e.severity) and (e.route is None or msg.route == e.route)
    how = "linked to" if msg.linked else "opened"
    return Verdict(
        e.name or "ticket triaged and linked",
        ok,
        f"{msg.ticket} {msg.severity} -> {msg.route or 'queue'}, {how} {msg.incident}",
    )


def sli_recovered(s: Subject) -> Verdict:
    e = s.e
    start = s.m.opened_at if s.m else 0.0
    reports = s.d.series.samples(e.service or "", since=start - 300)
    low = min((r.sli for r in reports), default=None)
    back = next((r for r in reports if r.t >= start and r.sli >= (e.sli_to or 0) - _SLACK), None)
    after = back.t - start if back else None
    ok = (
        back is not None
        and _within(e, after)
        and (e.sli_from is None or (low is not None and low <= e.sli_from + _SLACK))
    )
    fig = f"SLI {low:.0%} -> {back.sli:.0%} after {_time(after)}" if back and low is not None else "never recovered"
    return Verdict(e.name or f"SLI of {e.service} recovered", ok, fig)


def resolved(s: Subject) -> Verdict:
    ttr = s.m.time_to_resolve if s.m else None
    ok = s.m is not None and s.m.resolved_at is not None and _within(s.e, ttr)
    return Verdict(s.e.name or f"{s.incident} resolved", ok, f"{s.incident} resolved after {_time(ttr)}")


def runbook_step(s: Subject) -> Verdict:
    steps = s.d.steps
    ok = s.e.step in steps
    return Verdict(s.e.name or f"runbook step {s.e.step!r} taken", ok, f"steps: {', '.join(steps) or 'none'}")


def postmortem_written(s: Subject) -> Verdict:
    e = s.e
    pm = s.d.postmortems.get(s.incident) if s.incident else None
    if pm is None:
        return Verdict(e.name or "postmortem written", False, f"no postmortem for {s.incident}")
    missing = [section for section in SECTIONS if f"## {section}" not in pm.markdown]
    named = blameless_sections(pm.markdown, s.people) if e.blameless else []
    fig = f"{len(SECTIONS) - len(missing)}/{len(SECTIONS)} sections" + (
        f", names people in {', '.join(named)}" if named else ", blameless"
    )
    return Verdict(e.name or "blameless postmortem written", not missing and not named, fig)


def regression_case_added(s: Subject) -> Verdict:
    case_id = f"regression-{s.incident}"
    found = [c for c in s.d.cases if c.id == case_id]
    fig = f"{case_id}: {found[0].condition}" if found else f"no {case_id}"
    return Verdict(s.e.name or "incident became a regression case", bool(found), fig)


def canary(s: Subject) -> Verdict:
    e = s.e
    verdicts = [v for v in s.d.canaries if e.release is None or v.release == e.release]
    v = verdicts[-1] if verdicts else None
    ok = (
        v is not None
        and (e.verdict is None or v.verdict == e.verdict)
        and (e.live_after is None or v.live_after == e.live_after)
    )
    fig = f"{v.release}: {v.verdict}, live is {v.live_after} ({v.reason})" if v else "no canary ran"
    return Verdict(e.name or "fix canaried & promoted to live", ok, fig)


def root_cause(s: Subject) -> Verdict:
    """An incident (the one named, else any) is rooted at ``service``."""
    e = s.e
    roots = {i: env.msg.root_service for i, env in s.d.opened.items() if env.msg.source == "alerts"}
    if e.incident is not None:
        ok = roots.get(e.incident) == e.service
    else:
        ok = e.service in roots.values()
    fig = ", ".join(f"{i} at {r}" for i, r in roots.items()) or "no incident"
    return Verdict(e.name or f"an incident rooted at {e.service}", ok, fig)


def not_paged(s: Subject) -> Verdict:
    """Nobody was paged for an incident rooted at ``service`` (or affecting it), or of
    ``severity``."""
    e = s.e
    paged = {env.msg.incident for env in s.d.pages}
    bad = []
    for i, env in s.d.opened.items():
        o = env.msg
        about = e.service is None or o.root_service == e.service or e.service in o.affected
        of = e.severity is None or o.severity == e.severity
        if about and of and i in paged:
            bad.append(i)
    what = " ".join(x for x in (e.service, e.severity) if x) or "anything"
    return Verdict(e.name or f"{what} did not page", not bad, f"paged: {', '.join(bad) or 'none'}")


def pages_per_person(s: Subject) -> Verdict:
    """Nobody (or ``by``) got more than ``at_most`` pages."""
    e = s.e
    counts = pages_per_responder(s.d)
    if e.by is not None:
        counts = {e.by: counts.get(e.by, 0)}
    limit = e.at_most if e.at_most is not None else 0
    over = {p: n for p, n in counts.items() if n > limit}
    fig = ", ".join(f"{p} {n}" for p, n in counts.items()) or "no page"
    return Verdict(e.name or f"at most {limit} page(s) per person", not over, fig)


#: Every check the schema allows, by name.
CHECKS: dict[str, Callable[[Subject], Verdict]] = {
    "storm_correlated": storm_correlated,
    "paged": paged,
    "acked": acked,
    "escalated": escalated,
    "no_exhaustion": no_exhaustion,
    "exhausted": exhausted,
    "ticket_linked": ticket_linked,
    "sli_recovered": sli_recovered,
    "resolved": resolved,
    "runbook_step": runbook_step,
    "postmortem_written": postmortem_written,
    "regression_case_added": regression_case_added,
    "canary": canary,
    "root_cause": root_cause,
    "not_paged": not_paged,
    "pages_per_person": pages_per_person,
}
