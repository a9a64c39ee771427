"""The AIOps correlator: page on causes, not symptoms.

Alerts are deduplicated by fingerprint (service/symptom) and held for ``group_wait``
(30 s, as Alertmanager) before anything is decided, so a storm arrives as one batch.
Each batch is decided in one pass over the topology (:meth:`Topology.root_causes`):

- an alert on a service whose root cause already has an open incident joins it
  (``IncidentUpdated``), inhibited by that cause;
- otherwise the batch's alerts are grouped by root cause and each root opens one incident
  (``IncidentOpened``), its own alerts as the root and the rest inhibited by it;
- an alert on a service in the blast radius of an open incident joins that incident even
  when the root's own alert has already resolved.

Every alert's fate is in the trace: a placement ``(alert, fingerprint, role)`` in the
``IncidentOpened`` or ``IncidentUpdated`` it joined with (the cause is the incident's
root), or an ``AlertCorrelated`` for a
duplicate or an alert that resolved before it was grouped. One message per incident per
batch, not per alert: a storm reads as one line.
An incident's severity is the worst of its alerts. It resolves when a responder says so,
or when all its alerts have resolved (auto-resolve); a resolved incident takes no new
alerts. Tickets are triaged by :func:`actors.triage.triage` and linked to the open
incident whose root or blast radius holds the ticket's service, or open a ticket-only
incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING

from actors.base import Actor, Timer
from actors.triage import triage
from bus.messages import (
    AlertCorrelated,
    AlertFired,
    AlertResolved,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    Placement,
    TicketFiled,
    TicketTriaged,
    placement_reason,
)
from bus.trace import Envelope, Trace
from topology import Topology

if TYPE_CHECKING:
    from actors.runtime import Runtime

__all__ = ["Correlator", "Incident", "Placed", "placements_in", "worst"]

_SEVERITY_RANK = {"sev1": 0, "sev2": 1, "sev3": 2, "sev4": 3}
#: What the flush reads of each alert, in one C-level call per alert.
_FIELDS = attrgetter("alert", "fingerprint", "symptom", "severity", "action")
#: Alerts held for one service: (service, its alerts in arrival order).
Group = tuple[str, list[AlertFired]]


def worst(*severities: str) -> str:
    return min(severities, key=_SEVERITY_RANK.__getitem__)


@dataclass
class Incident:
    id: str
    root: str
    symptom: str
    severity: str
    action: str
    opened_at: float
    alerts: list[str] = field(default_factory=list)
    firing: set[str] = field(default_factory=set)
    affected: dict[str, None] = field(default_factory=dict)  # ordered set
    tickets: list[str] = field(default_factory=list)
    source: str = "alerts"
    radius: frozenset[str] | None = None
    resolved: bool = False


class Correlator(Actor):
    """Collapses alert storms into incidents over the dependency graph; triages tickets."""

    family = "correlator"
    subscribes = (AlertFired, AlertResolved, TicketFiled, IncidentResolved)

    def __init__(self, name: str, runtime: Runtime, topology: Topology, group_wait: float = 30.0) -> None:
        self.topology = topology
        self.group_wait = group_wait
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.count = 0
        self.incidents: dict[str, Incident] = {}
        self.open: dict[str, Incident] = {}
        #: fingerprint -> the envelope of its AlertFired, for every firing alert
        self.firing: dict[str, Envelope] = {}
        #: fingerprint -> incident id, for firing alerts that belong to an incident
        self.placed: dict[str, str] = {}
        #: alerts held for group_wait, by service (alerts of one service share their roots)
        self.pending: dict[str, list[AlertFired]] = {}
        self.held = 0
        self._flush_timer: Timer | None = None
        #: how many alerts fire per service
        self.firing_services: dict[str, int] = {}

    def busy(self) -> str | None:
        # Called at every instant the clock jumps: O(1) but for the open incidents' scan,
        # which stops at the first that pages.
        if self.held:
            return f"{self.held} alert(s) waiting to be grouped"
        for incident in self.open.values():
            if incident.action == "page":
                return f"incident {incident.id} open"
        return None

    # --- alerts ---------------------------------------------------------------------

    def on_alert_fired(self, msg: AlertFired, env: Envelope) -> None:
        fingerprint = msg.fingerprint
        firing = self.firing
        known = firing.get(fingerprint)
        firing[fingerprint] = env
        if known is not None:  # the same alert again, e.g. a ticket that became a page
            self._duplicate(msg, known)
            return
        service = msg.service
        counts = self.firing_services
        counts[service] = counts.get(service, 0) + 1
        group = self.pending.get(service)
        if group is None:
            self.pending[service] = [msg]
        else:
            group.append(msg)
        self.held += 1
        if self._flush_timer is None:  # the batch's first alert starts its group_wait
            self._flush_timer = self.call_later(self.group_wait, self._flush)

    def _duplicate(self, msg: AlertFired, known: Envelope) -> None:
        incident = self.incidents.get(self.placed.get(msg.fingerprint, ""))
        reason = f"duplicate of {known.msg.alert} ({msg.fingerprint}), now {msg.action} {msg.severity}"
        self.send(
            AlertCorrelated(
                alert=msg.alert,
                fingerprint=msg.fingerprint,
                incident=incident.id if incident else None,
                role="duplicate",
                cause=incident.root if incident else None,
                reason=reason,
            ),
            to=(),
            incident=incident.id if incident else None,
        )
        if incident is not None and not incident.resolved:
            self._escalate(incident, msg.severity, msg.action, reason)

    def on_alert_resolved(self, msg: AlertResolved, env: Envelope) -> None:
        if self.firing.pop(msg.fingerprint, None) is None:
            return
        left = self.firing_services[msg.service] - 1
        if left:
            self.firing_services[msg.service] = left
        else:
            del self.firing_services[msg.service]
        group = self.pending.get(msg.service, [])
        held = next((m for m in group if m.fingerprint == msg.fingerprint), None)
        if held is not None:
            group.remove(held)
            if not group:
                del self.pending[msg.service]
            self.held -= 1
            self.send(
                AlertCorrelated(
                    alert=msg.alert,
                    fingerprint=msg.fingerprint,
                    incident=None,
                    role="expired",
                    cause=None,
                    reason="resolved within group_wait, before it was grouped",
                ),
                to=(),
            )
            return
        incident = self.incidents.get(self.placed.pop(msg.fingerprint, ""))
        if incident is None or incident.resolved:
            return
        incident.firing.discard(msg.fingerprint)
        if not incident.firing:
            self._resolve(incident, self.name, f"all {len(incident.alerts)} alerts resolved", parent=env.seq)

    def on_incident_resolved(self, msg: IncidentResolved, env: Envelope) -> None:
        incident = self.incidents.get(msg.incident)
        if incident is not None:
            incident.resolved = True
            self.open.pop(incident.id, None)

    def _flush(self) -> None:
        """Decide the held alerts in one pass over the topology."""
        by_service, self.pending, self.held, self._flush_timer = self.pending, {}, 0, None
        topology = self.topology
        roots = topology.root_bits(self.firing_services)
        open_by_bit: dict[int, Incident] = {}
        open_mask = 0
        for incident in self.open.values():
            if incident.source == "alerts":
                bit = topology.root_bit(incident.root)
                if bit not in open_by_bit:
                    open_by_bit[bit] = incident
                    open_mask |= bit
        # Alerts travel in their service's group (held by service): one root lookup per
        # service, not per alert.
        new: dict[str, list[Group]] = {}
        joins: dict[str, list[Group]] = {}
        for group in by_service.items():
            bits = roots[group[0]]
            hit = bits & open_mask if open_mask else 0
            joined = open_by_bit[hit & -hit] if hit else (self._covering(group[0]) if open_mask else None)
            if joined is not None:
                joins.setdefault(joined.id, []).append(group)
            else:
                new.setdefault(topology.first_root(bits), []).append(group)
        # Within an incident, alerts come service by service, in the order each service
        # first alerted: deterministic, and no per-alert sort.
        for incident_id, groups in joins.items():
            self._join(self.incidents[incident_id], groups)
        for root, groups in new.items():
            self._open(root, groups)

    def _covering(self, service: str) -> Incident | None:
        """The oldest open incident whose root's blast radius holds *service*."""
        for incident in self.open.values():
            if incident.source != "alerts":
                continue
            if incident.radius is None:
                incident.radius = frozenset(self.topology.blast_radius(incident.root))
            if service == incident.root or service in incident.radius:
                return incident
        return None

    def _join(self, incident: Incident, groups: list[Group]) -> None:
        """Alerts of one batch join an open incident: one update for all of them."""
        before = incident.severity
        placements, severities, page = self._place(incident, groups)
        incident.severity = worst(incident.severity, *severities)
        if page:
            incident.action = "page"
        change = f"; severity {before} -> {incident.severity}" if incident.severity != before else ""
        names = ", ".join(f"{alert} {fingerprint}" for alert, fingerprint, _ in placements[:3])
        more = f" and {len(placements) - 3} more" if len(placements) > 3 else ""
        self._updated(incident, f"{names}{more} joined{change}", placements, self.firing[placements[0][1]].seq)

    def _updated(
        self, incident: Incident, reason: str, placements: list[Placement] | None = None, parent: int | None = None
    ) -> None:
        """Tell the pager (and the trace) that *incident* grew or changed."""
        self.send(
            IncidentUpdated(
                incident=incident.id,
                severity=incident.severity,  # type: ignore[arg-type]
                alert_count=len(incident.alerts),
                affected_count=len(incident.affected),
                tickets=list(incident.tickets),
                reason=reason,
                placements=placements or [],
            ),
            incident=incident.id,
            parent=parent,
        )

    def _place(self, incident: Incident, groups: list[Group]) -> tuple[list[Placement], set[str], bool]:
        """Add the alerts of *groups* to *incident*, in one pass (storms are large): their
        placements in order, their severities, and whether any of them pages."""
        root, symptom, iid = incident.root, incident.symptom, incident.id
        affected = incident.affected
        add_alert, add_firing = incident.alerts.append, incident.firing.add
        placed = self.placed
        placements: list[Placement] = []
        place = placements.append
        severities: set[str] = set()
        actions: set[str] = set()
        for service, msgs in groups:
            affected[service] = None
            inhibited = service != root
            for alert, fingerprint, alert_symptom, severity, action in map(_FIELDS, msgs):
                add_alert(alert)
                add_firing(fingerprint)
                placed[fingerprint] = iid
                place((alert, fingerprint, "inhibited" if inhibited else "root" if alert_symptom == symptom else "grouped"))
                severities.add(severity)
                actions.add(action)
        return placements, severities, "page" in actions

    def _open(self, root: str, groups: list[Group]) -> None:
        groups.sort(key=lambda group: group[0] != root)  # the root's own alerts lead (stable)
        lead = groups[0][1][0]
        incident = self._new_incident(root, lead.symptom, "sev4")
        placements, severities, page = self._place(incident, groups)
        incident.severity = worst(*severities)
        incident.action = "page" if page else "ticket"
        inhibited = len(placements) - 1
        title = f"{root} {lead.symptom}" + (f" (+{inhibited} symptom alerts inhibited)" if inhibited else "")
        self.send(
            IncidentOpened(
                incident=incident.id,
                title=title,
                root_service=root,
                symptom=lead.symptom,
                severity=incident.severity,  # type: ignore[arg-type]
                action=incident.action,  # type: ignore[arg-type]
                source="alerts",
                alerts=list(incident.alerts),
                affected=list(incident.affected),
                signature=lead.labels.get("error"),
                burns=lead.burns,
                sli=lead.sli,
                reason=lead.reason,
                placements=placements,
            ),
            incident=incident.id,
            parent=self.firing[lead.fingerprint].seq,
        )

    def _new_incident(self, root: str, symptom: str, severity: str) -> Incident:
        self.count += 1
        incident = Incident(f"INC-{self.count:03d}", root, symptom, severity, "ticket", self.now)
        self.incidents[incident.id] = incident
        self.open[incident.id] = incident
        return incident

    def _escalate(self, incident: Incident, severity: str, action: str, reason: str) -> None:
        before = incident.severity
        incident.severity = worst(incident.severity, severity)
        if action == "page":
            incident.action = "page"
        if incident.severity != before:
            self._updated(incident, f"{reason}; severity {before} -> {incident.severity}")

    def _resolve(self, incident: Incident, by: str, reason: str, parent: int | None = None) -> None:
        incident.resolved = True
        self.open.pop(incident.id, None)
        self.send(IncidentResolved(incident=incident.id, by=by, reason=reason), incident=incident.id, parent=parent)

    # --- tickets --------------------------------------------------------------------

    def on_ticket_filed(self, msg: TicketFiled, env: Envelope) -> None:
        severity, route, rule = triage(msg.text, msg.users_affected)
        incident = self._covering(msg.service) if msg.service else None
        if incident is not None:
            incident.tickets.append(msg.ticket)
            self.send(
                TicketTriaged(
                    ticket=msg.ticket, severity=severity, route=route, incident=incident.id, linked=True, rule=rule  # type: ignore[arg-type]
                ),
                incident=incident.id,
            )
            self._updated(incident, f"ticket {msg.ticket} linked ({severity})")
            return
        service = msg.service or "unknown"
        incident = self._new_incident(service, "user_report", severity)
        incident.source = "ticket"
        incident.tickets.append(msg.ticket)
        incident.affected[service] = None
        incident.action = "page" if route is not None else "ticket"
        self.send(
            TicketTriaged(ticket=msg.ticket, severity=severity, route=route, incident=incident.id, linked=False, rule=rule),  # type: ignore[arg-type]
            incident=incident.id,
        )
        self.send(
            IncidentOpened(
                incident=incident.id,
                title=f"user report on {service}: {msg.text}",
                root_service=service,
                symptom="user_report",
                severity=severity,  # type: ignore[arg-type]
                action=incident.action,  # type: ignore[arg-type]
                route=route,
                source="ticket",
                affected=[service],
                reason=f"{msg.ticket}: {rule}",
            ),
            incident=incident.id,
        )


@dataclass(frozen=True)
class Placed:
    """One alert's placement, as a reader of the trace sees it."""

    t: float
    incident: str | None
    alert: str
    fingerprint: str
    role: str
    cause: str | None

    @property
    def reason(self) -> str:
        return placement_reason(self.role, self.cause)


def placements_in(trace: Trace) -> list[Placed]:
    """Every alert's placement in the order the trace tells it."""
    out: list[Placed] = []
    roots: dict[str, str] = {}
    for env in trace.of(IncidentOpened, IncidentUpdated, AlertCorrelated):
        msg = env.msg
        if isinstance(msg, AlertCorrelated):
            out.append(Placed(env.t, msg.incident, msg.alert, msg.fingerprint, msg.role, msg.cause))
        else:
            root = msg.root_service if isinstance(msg, IncidentOpened) else roots.get(msg.incident)  # type: ignore[union-attr]
            if isinstance(msg, IncidentOpened):
                roots[msg.incident] = msg.root_service
            out.extend(Placed(env.t, msg.incident, a, f, r, root) for a, f, r in msg.placements)  # type: ignore[union-attr]
    return out
