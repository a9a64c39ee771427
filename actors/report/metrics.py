"""Response metrics, read from the trace: time to acknowledge and to resolve, the level
reached, pages per responder, escalations and dropped acks, per incident."""

from __future__ import annotations

from dataclasses import dataclass, field

from bus.messages import (
    EscalationExhausted,
    Escalated,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    IncidentTriggered,
    IncidentUpdated,
    Page,
    PageAcked,
)
from bus.trace import Trace

__all__ = ["IncidentMetrics", "response_metrics", "pages_per_responder"]


@dataclass
class IncidentMetrics:
    incident: str
    root: str
    severity: str
    source: str
    opened_at: float
    alerts: int = 0
    triggered_at: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    level: str | None = None
    pages: int = 0
    escalations: int = 0
    dropped_acks: int = 0
    exhausted: bool = False
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


def response_metrics(trace: Trace) -> dict[str, IncidentMetrics]:
    """One :class:`IncidentMetrics` per incident, in the order they opened."""
    out: dict[str, IncidentMetrics] = {}
    rank: dict[str, int] = {}
    for env in trace:
        msg = env.msg
        if isinstance(msg, IncidentOpened):
            out[msg.incident] = IncidentMetrics(
                msg.incident, msg.root_service, msg.severity, msg.source, env.t, alerts=len(msg.alerts)
            )
            continue
        m = out.get(getattr(msg, "incident", "") or "")
        if m is None:
            continue
        if isinstance(msg, IncidentUpdated):
            m.alerts, m.severity, m.tickets = msg.alert_count, msg.severity, list(msg.tickets)
        elif isinstance(msg, IncidentTriggered):
            if m.triggered_at is None:
                m.triggered_at = env.t
        elif isinstance(msg, Page):
            m.pages += 1
            order = rank.setdefault(msg.level, len(rank))
            if m.level is None or order > rank[m.level]:
                m.level = msg.level
        elif isinstance(msg, PageAcked):
            m.dropped_acks += len(env.dropped_for)
        elif isinstance(msg, IncidentAcknowledged):
            if m.acked_at is None:
                m.acked_at, m.acked_by = env.t, msg.by
        elif isinstance(msg, Escalated):
            m.escalations += 1
        elif isinstance(msg, EscalationExhausted):
            m.exhausted = True
        elif isinstance(msg, IncidentResolved):
            if m.resolved_at is None:
                m.resolved_at, m.resolved_by = env.t, msg.by
    return out


def pages_per_responder(trace: Trace) -> dict[str, int]:
    counts: dict[str, int] = {}
    for msg in trace.messages(Page):
        counts[msg.responder] = counts.get(msg.responder, 0) + 1
    return counts
