"""A trainee's scorecard (``--play``): how one person answered their pages, read from a
run's trace, and put beside the simulated responder's answer on the same seed.

- **time to ack**: from each page of theirs to their ack that got through (an incident
  they never acked counts as not acked);
- **time to mitigate**: from the incident's first page to its first runbook step by anyone
  (a mitigation, a fix or a rollback);
- **budget burned while on call**: how much of the error budget of the incident's root
  SLOs went between their first page and the incident's resolution (or the end);
- **steps that did not help**: their steps after which someone had to take another step
  or hand the incident off (the step that ended it helped);
- **escalations caused**: escalations of their incidents while the page was theirs and
  unacknowledged, and the escalations their own hand-offs made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.report.digest import Digest
from bus.messages import Escalated, HandedOff, IncidentResolved, Page, PageAcked, StepTaken
from bus.trace import Trace

__all__ = ["Scorecard", "scorecard"]


@dataclass
class Scorecard:
    person: str
    incidents: list[str] = field(default_factory=list)
    acked: dict[str, float] = field(default_factory=dict)
    not_acked: list[str] = field(default_factory=list)
    mitigated: dict[str, float] = field(default_factory=dict)
    budget_burned: float = 0.0
    steps: int = 0
    steps_not_helping: int = 0
    escalations_caused: int = 0
    handoffs: int = 0

    def lines(self) -> list[str]:
        """The scorecard as report lines."""
        acks = ", ".join(f"{i} {_dur(t)}" for i, t in self.acked.items()) or "none"
        mitig = ", ".join(f"{i} {_dur(t)}" for i, t in self.mitigated.items()) or "none"
        return [
            f"paged for: {', '.join(self.incidents) or 'nothing'}",
            f"time to ack: {acks}" + (f"; never acked: {', '.join(self.not_acked)}" if self.not_acked else ""),
            f"time to mitigate (first step by anyone): {mitig}",
            f"error budget burned while on call: {self.budget_burned:.1%} of the budget",
            f"steps taken: {self.steps}, of which did not help: {self.steps_not_helping}",
            f"escalations caused: {self.escalations_caused} (hand-offs: {self.handoffs})",
        ]


def _dur(seconds: float) -> str:
    from bus.vtime import format_duration

    return format_duration(round(seconds, 3))


def scorecard(trace: Trace, d: Digest, person: str) -> Scorecard:
    """How *person* answered their pages in this run."""
    card = Scorecard(person)
    first_page: dict[str, float] = {}
    for env in trace:
        if isinstance(env.msg, Page) and env.msg.responder == person:
            first_page.setdefault(env.msg.incident, env.t)
    card.incidents = list(first_page)
    for incident, paged_at in first_page.items():
        _incident(card, d, incident, paged_at)
    return card


def _incident(card: Scorecard, d: Digest, incident: str, paged_at: float) -> None:
    """One incident of theirs, added to *card*."""
    person = card.person
    mine = d.by_incident.get(incident, [])
    acked = next(
        (e.t for e in mine if isinstance(e.msg, PageAcked) and e.msg.responder == person and not e.dropped_for), None
    )
    if acked is None:
        card.not_acked.append(incident)
    else:
        card.acked[incident] = acked - paged_at
    m = d.incidents.get(incident)
    trigger = m.triggered_at if m and m.triggered_at is not None else paged_at
    steps = [e for e in mine if isinstance(e.msg, StepTaken)]
    if steps:
        card.mitigated[incident] = steps[0].t - trigger
    resolved = next((e.t for e in mine if isinstance(e.msg, IncidentResolved)), d.last_t)
    if m is not None:
        before = {s.slo: s.budget_remaining for s in d.series.samples(m.root, until=paged_at)}
        after = {s.slo: s.budget_remaining for s in d.series.samples(m.root, until=resolved)}
        card.budget_burned += max((before[k] - after[k] for k in before if k in after), default=0.0)
    handed = [e for e in mine if isinstance(e.msg, HandedOff) and e.msg.responder == person]
    card.handoffs += len(handed)
    for i, step in enumerate(steps):
        if isinstance(step.msg, StepTaken) and step.msg.responder == person:
            card.steps += 1
            card.steps_not_helping += bool(steps[i + 1 :] or any(h.t > step.t for h in handed))
    level = next((e.msg.level for e in mine if isinstance(e.msg, Page) and e.msg.responder == person), None)
    for e in mine:
        if isinstance(e.msg, Escalated) and e.t >= paged_at:
            unacked = acked is None or e.t < acked
            if f"handed off by {person}" in e.msg.reason or (unacked and e.msg.from_level == level):
                card.escalations_caused += 1
