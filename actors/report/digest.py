"""What the readers of a run ask of its trace, gathered in one pass.

The eval gate, the invariants, the console's report tables, the sweep and the postmortem
writer all read the trace; :func:`digest` walks it once, dispatching each envelope by its
message class to a small reader, and each of them then answers its questions from the
:class:`Digest` (time to acknowledge and to resolve, the level reached, pages per
responder, escalations, dropped acks, SLI samples per service, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bus.messages import (
    AlertFired,
    CanaryVerdict,
    Deployed,
    Escalated,
    EscalationExhausted,
    FaultCleared,
    FaultStarted,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    IncidentTriggered,
    IncidentUpdated,
    Message,
    Page,
    PageAcked,
    PostmortemWritten,
    RegressionCase,
    RegressionCaseAdded,
    StepTaken,
    TicketTriaged,
)
from bus.series import Series
from bus.trace import Envelope, Trace

__all__ = ["Digest", "IncidentMetrics", "digest", "pages_per_responder", "response_metrics"]


@dataclass
class IncidentMetrics:
    """One incident's response, as the trace tells it."""

    incident: str
    #: Its root service.
    root: str
    #: Its severity now (the last update's).
    severity: str
    #: What opened it: alerts, or a ticket.
    source: str
    opened_at: float
    #: How many alerts it holds.
    alerts: int = 0
    #: The first page (the trigger); None: never paged.
    triggered_at: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    #: The highest level paged (levels rank in the order the run first paged them).
    level: str | None = None
    pages: int = 0
    escalations: int = 0
    #: Copies of its acks that fault rules dropped.
    dropped_acks: int = 0
    exhausted: bool = False
    #: Why the policy ran out, when it is not that nobody acked (a hand-off at the last rule).
    exhausted_why: str = ""
    tickets: list[str] = field(default_factory=list)

    @property
    def time_to_ack(self) -> float | None:
        """From the first page (the trigger) to the ack."""
        if self.acked_at is None or self.triggered_at is None:
            return None
        return self.acked_at - self.triggered_at

    @property
    def time_to_resolve(self) -> float | None:
        """From the incident's opening to its resolution."""
        return None if self.resolved_at is None else self.resolved_at - self.opened_at


@dataclass
class Digest:
    """The trace, indexed for the questions asked after a run (first of each, in trace order)."""

    #: Envelopes read, and the virtual time of the last.
    envelopes: int = 0
    last_t: float = 0.0
    #: Each incident's response, in the order they opened.
    incidents: dict[str, IncidentMetrics] = field(default_factory=dict)
    #: Each incident's ``IncidentOpened``, in the order they opened.
    opened: dict[str, Envelope[IncidentOpened]] = field(default_factory=dict)
    #: Each incident's first ``IncidentTriggered``, in the order they were triggered.
    triggered: dict[str, Envelope[IncidentTriggered]] = field(default_factory=dict)
    #: Each incident's first recorded ack.
    acks: dict[str, IncidentAcknowledged] = field(default_factory=dict)
    #: The levels each incident escalated to, in order.
    escalations: dict[str, list[str]] = field(default_factory=dict)
    #: Incidents whose ladder was exhausted, in order (repeats included).
    exhausted: list[str] = field(default_factory=list)
    #: Each incident's first resolution time.
    resolved_at: dict[str, float] = field(default_factory=dict)
    #: Every envelope that belongs to an incident, by incident.
    by_incident: dict[str, list[Envelope[Message]]] = field(default_factory=dict)
    alerts: list[Envelope[AlertFired]] = field(default_factory=list)
    #: Deploys and faults: what may have triggered an incident.
    changes: list[Envelope[Deployed | FaultStarted]] = field(default_factory=list)
    #: Every fault that ended, in order.
    cleared: list[Envelope[FaultCleared]] = field(default_factory=list)
    #: SLI samples, by service.
    #: the run's SLI series (every SLO at every evaluation), the trace's own
    series: Series = field(default_factory=Series)
    pages: list[Envelope[Page]] = field(default_factory=list)
    tickets: list[TicketTriaged] = field(default_factory=list)
    #: Runbook steps taken, by name, in order.
    steps: list[str] = field(default_factory=list)
    #: Each incident's first postmortem.
    postmortems: dict[str, PostmortemWritten] = field(default_factory=dict)
    cases: list[RegressionCase] = field(default_factory=list)
    canaries: list[CanaryVerdict] = field(default_factory=list)
    #: Whether the pager said anything (a scenario without a ladder has none).
    pager_spoke: bool = False
    #: Sequence numbers where time went backwards, where a parent did not precede its
    #: child, and whether the numbers were dense (1..N; with kinds the trace did not keep,
    #: rising, and as many as were kept and passed through).
    time_backwards: list[int] = field(default_factory=list)
    bad_parents: list[int] = field(default_factory=list)
    dense: bool = True
    last_seq: int = 0
    _rank: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def first_incident(self) -> str | None:
        """The first paged incident, else the first opened: what a check is about by default."""
        for incident in self.triggered:
            return incident
        for incident in self.opened:
            return incident
        return None


def _opened(d: Digest, env: Envelope[Any]) -> None:
    msg: IncidentOpened = env.msg
    if msg.incident not in d.opened:
        d.opened[msg.incident] = env
    d.incidents[msg.incident] = IncidentMetrics(
        msg.incident, msg.root_service, msg.severity, msg.source, env.t, alerts=len(msg.alerts)
    )


def _updated(d: Digest, env: Envelope[Any]) -> None:
    msg: IncidentUpdated = env.msg
    m = d.incidents.get(msg.incident)
    if m is not None:
        m.alerts, m.severity, m.tickets = msg.alert_count, msg.severity, list(msg.tickets)


def _triggered(d: Digest, env: Envelope[Any]) -> None:
    msg: IncidentTriggered = env.msg
    if msg.incident not in d.triggered:
        d.triggered[msg.incident] = env
    m = d.incidents.get(msg.incident)
    if m is not None and m.triggered_at is None:
        m.triggered_at = env.t


def _page(d: Digest, env: Envelope[Any]) -> None:
    msg: Page = env.msg
    d.pages.append(env)
    m = d.incidents.get(msg.incident)
    if m is not None:
        m.pages += 1
        rank = d._rank
        order = rank.setdefault(msg.level, len(rank))
        if m.level is None or order > rank[m.level]:
            m.level = msg.level


def _page_acked(d: Digest, env: Envelope[Any]) -> None:
    m = d.incidents.get(env.msg.incident)
    if m is not None:
        m.dropped_acks += len(env.dropped_for)


def _acknowledged(d: Digest, env: Envelope[Any]) -> None:
    msg: IncidentAcknowledged = env.msg
    d.acks.setdefault(msg.incident, msg)
    m = d.incidents.get(msg.incident)
    if m is not None and m.acked_at is None:
        m.acked_at, m.acked_by = env.t, msg.by


def _escalated(d: Digest, env: Envelope[Any]) -> None:
    msg: Escalated = env.msg
    d.escalations.setdefault(msg.incident, []).append(msg.to_level)
    m = d.incidents.get(msg.incident)
    if m is not None:
        m.escalations += 1


def _exhausted(d: Digest, env: Envelope[Any]) -> None:
    msg: EscalationExhausted = env.msg
    d.exhausted.append(msg.incident)
    m = d.incidents.get(msg.incident)
    if m is not None:
        m.exhausted = True
        m.exhausted_why = msg.reason


def _resolved(d: Digest, env: Envelope[Any]) -> None:
    msg: IncidentResolved = env.msg
    d.resolved_at.setdefault(msg.incident, env.t)
    m = d.incidents.get(msg.incident)
    if m is not None and m.resolved_at is None:
        m.resolved_at, m.resolved_by = env.t, msg.by


def _postmortem(d: Digest, env: Envelope[Any]) -> None:
    d.postmortems.setdefault(env.msg.incident, env.msg)


#: The reader of each message class the digest indexes (a class not here is only counted).
_READERS: dict[type[Message], Callable[[Digest, Envelope[Any]], None]] = {
    IncidentOpened: _opened,
    IncidentUpdated: _updated,
    IncidentTriggered: _triggered,
    Page: _page,
    PageAcked: _page_acked,
    IncidentAcknowledged: _acknowledged,
    Escalated: _escalated,
    EscalationExhausted: _exhausted,
    IncidentResolved: _resolved,
    AlertFired: lambda d, env: d.alerts.append(env),
    Deployed: lambda d, env: d.changes.append(env),
    FaultStarted: lambda d, env: d.changes.append(env),
    FaultCleared: lambda d, env: d.cleared.append(env),
    TicketTriaged: lambda d, env: d.tickets.append(env.msg),
    StepTaken: lambda d, env: d.steps.append(env.msg.step),
    PostmortemWritten: _postmortem,
    RegressionCaseAdded: lambda d, env: d.cases.append(env.msg.case),
    CanaryVerdict: lambda d, env: d.canaries.append(env.msg),
}


def digest(trace: Trace, into: Digest | None = None) -> Digest:
    """Read *trace* once, into a :class:`Digest`; with *into*, read only what came after
    the envelopes it has read already (a reader during the run pays for each envelope once)."""
    d = Digest() if into is None else into
    d.series = trace.series
    readers = _READERS
    by_incident = d.by_incident
    envelopes = trace.envelopes
    previous_t = envelopes[d.envelopes - 1].t if d.envelopes else float("-inf")
    for env in envelopes[d.envelopes :] if d.envelopes else envelopes:
        d.envelopes += 1
        seq, t = env.seq, env.t
        if seq <= d.last_seq or (seq != d.envelopes and not trace.passed):
            d.dense = False
        d.last_seq = seq
        if t < previous_t:
            d.time_backwards.append(seq)
        previous_t = t
        if env.parent is not None and not 0 < env.parent < seq:
            d.bad_parents.append(seq)
        if env.sender == "pager":
            d.pager_spoke = True
        if env.incident is not None:
            mine = by_incident.get(env.incident)
            if mine is None:
                mine = by_incident[env.incident] = []
            mine.append(env)
        reader = readers.get(type(env.msg))
        if reader is not None:
            reader(d, env)
    if trace.passed and d.envelopes + trace.passed != max(d.last_seq, trace.last_passed):
        d.dense = False
    if envelopes:
        d.last_t = envelopes[-1].t
    return d


def response_metrics(trace: Trace) -> dict[str, IncidentMetrics]:
    """One :class:`IncidentMetrics` per incident, in the order they opened."""
    return digest(trace).incidents


def pages_per_responder(d: Digest) -> dict[str, int]:
    """How many pages each responder got, in the order they were first paged."""
    counts: dict[str, int] = {}
    for env in d.pages:
        counts[env.msg.responder] = counts.get(env.msg.responder, 0) + 1
    return counts
