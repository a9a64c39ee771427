"""The AIOps correlator: page on causes, not symptoms.

Alerts are deduplicated by fingerprint (service/symptom) and held for ``group_wait``
(30 s, as Alertmanager) before anything is decided, so a storm arrives as one batch.
Each batch is decided in one pass over the topology (:meth:`Topology.first_roots`: each
alerting service's first root, and its first root with an open incident):

- an alert on a service whose root cause already has an open incident joins it
  (``IncidentUpdated``), inhibited by that cause;
- otherwise the batch's alerts are grouped by root cause and each root opens one incident
  (``IncidentOpened``), its own alerts as the root and the rest inhibited by it;
- an alert on a service in the blast radius of an open incident joins that incident even
  when the root's own alert has already resolved.

Every alert's fate is in the trace: in a placement ``(service, role, alert ids)`` of the
``IncidentOpened`` or ``IncidentUpdated`` it joined with (the cause is the incident's
root), or an ``AlertCorrelated`` for a duplicate or an alert that resolved before it was
grouped. One message per incident per batch, and one placement per service in it, not
per alert: a storm reads as one line, and a batch is decided a service at a time.
An incident's severity is the worst of its alerts. It resolves when a responder says so,
or when all its alerts have resolved (auto-resolve); a resolved incident takes no new
alerts, and its alerts that still fire are released: when their SLO pages again they open
a new incident. An incident rooted in a dependency cycle is named after the alerting member
that calls outside the cycle. Tickets are triaged by :func:`actors.domain.triage.triage` and linked to the open
incident whose root or blast radius holds the ticket's service, or open a ticket-only
incident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import ClassVar, Literal, cast

from actors.domain.triage import triage
from actors.engine.actor import Actor, Host
from actors.engine.timers import Timer
from bus.messages import (
    AlertCorrelated,
    AlertFired,
    AlertResolved,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    Message,
    Notified,
    Placement,
    SliReported,
    TicketFiled,
    TicketTriaged,
)
from bus.trace import Envelope
from bus.vocab import AlertAction, AlertSeverity, Role, Severity, worst
from topology import Topology

__all__ = ["Correlator", "Held", "Incident", "RoutedCorrelator"]


@dataclass
class Incident:
    id: str
    root: str
    symptom: str
    severity: Severity
    action: AlertAction
    opened_at: float
    alert_count: int = 0
    #: how many of its alerts still fire
    firing: int = 0
    affected: dict[str, None] = field(default_factory=dict)  # ordered set
    tickets: list[str] = field(default_factory=list)
    source: Literal["alerts", "ticket"] = "alerts"
    radius: frozenset[str] | None = None
    resolved: bool = False
    #: the batches of alerts it holds
    held: list[Held] = field(default_factory=list)


class Held:
    """The alerts of one service in one batch: held for group_wait, then placed together.

    What the decision needs of each alert is read when it arrives (the message is at hand
    then), so deciding a batch costs a step per service, not per alert.
    """

    __slots__ = ("alerts", "envs", "incident", "page", "paging", "service", "severities")

    def __init__(self, service: str, paging: str | None = None) -> None:
        self.service = service
        #: the paging service their notification was for (behind Alertmanager)
        self.paging = paging
        #: their AlertFired envelopes, in arrival order
        self.envs: list[Envelope[AlertFired]] = []
        #: their ids, in the same order
        self.alerts: list[str] = []
        self.severities: set[AlertSeverity] = set()
        self.page = False
        #: where they went (None while held)
        self.incident: Incident | None = None

    def index(self, fingerprint: str) -> int:
        return next(i for i, env in enumerate(self.envs) if env.msg.fingerprint == fingerprint)

    def drop(self, fingerprint: str) -> None:
        """An alert resolved while held: forget it."""
        i = self.index(fingerprint)
        del self.envs[i], self.alerts[i]
        self.severities = {env.msg.severity for env in self.envs}
        self.page = any(env.msg.action == "page" for env in self.envs)


class Correlator(Actor):
    """Collapses alert storms into incidents over the dependency graph; triages tickets."""

    family = "correlator"
    #: SliReported too, but only while alerts of resolved incidents still fire (``_watch``)
    subscribes: ClassVar[tuple[type[Message], ...]] = (AlertFired, AlertResolved, TicketFiled, IncidentResolved)

    def __init__(
        self,
        name: str,
        host: Host,
        topology: Topology,
        group_wait: float = 30.0,
        unmonitored: frozenset[str] = frozenset(),
        topology_inhibition: bool = True,
    ) -> None:
        self.topology = topology
        self.group_wait = group_wait
        #: False: no alert joins another service's incident; each alerting service is its own root
        self.topology_inhibition = topology_inhibition
        #: services with no SLO: they never alert, so they can only be suspected
        self.unmonitored = unmonitored
        super().__init__(name, host)

    def setup(self) -> None:
        self.count = 0
        self.incidents: dict[str, Incident] = {}
        self.open: dict[str, Incident] = {}
        #: fingerprint -> its batch (and through that, its incident), for every firing alert
        self.firing: dict[str, Held] = {}
        #: alerts held for group_wait, by service (alerts of one service share their roots)
        self.pending: dict[str, Held] = {}
        self._flush_timer: Timer | None = None
        #: how many alerts fire per service
        self.firing_services: dict[str, int] = {}
        #: (service, symptom) -> alerts still firing whose incident was resolved
        self.released: dict[tuple[str, str], list[Envelope[AlertFired]]] = {}
        #: (slo, (service, symptom)) -> whether its last report paged
        self.paging: dict[tuple[str, tuple[str, str]], bool] = {}

    def busy(self) -> str | None:
        # Called at every instant the clock jumps: O(1) but for the open incidents' scan,
        # which stops at the first that pages.
        if self.pending:
            return f"{sum(len(held.alerts) for held in self.pending.values())} alert(s) waiting to be grouped"
        for incident in self.open.values():
            if incident.action == "page":
                return f"incident {incident.id} open"
        return None

    # --- alerts ---------------------------------------------------------------------

    def on_alert_fired(self, msg: AlertFired, env: Envelope[AlertFired]) -> None:
        self._take((env,))

    def _take(self, fired: Iterable[Envelope[AlertFired]], paging: str | None = None) -> None:
        """Hold alerts for group_wait, by service; one seen before (by fingerprint) is a
        duplicate, e.g. a ticket that became a page. One loop for a notification's many."""
        firing, pending, counts = self.firing, self.pending, self.firing_services
        for env in fired:
            msg = env.msg
            fingerprint = msg.fingerprint
            known = firing.get(fingerprint)
            if known is not None:
                self._duplicate(msg, known)
                continue
            service = msg.service
            counts[service] = counts.get(service, 0) + 1
            held = pending.get(service)
            if held is None:
                held = pending[service] = Held(service, paging)
            held.envs.append(env)
            held.alerts.append(msg.alert)
            held.severities.add(msg.severity)
            if msg.action == "page":
                held.page = True
            firing[fingerprint] = held
        if pending and self._flush_timer is None:  # the batch's first alert starts its group_wait
            self._flush_timer = self.call_later(self.group_wait, self._flush)

    def _duplicate(self, msg: AlertFired, known: Held) -> None:
        incident = known.incident
        first = known.alerts[known.index(msg.fingerprint)]
        reason = f"duplicate of {first} ({msg.fingerprint}), now {msg.action} {msg.severity}"
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

    def on_alert_resolved(self, msg: AlertResolved, env: Envelope[AlertResolved]) -> None:
        held = self.firing.pop(msg.fingerprint, None)
        if held is None:
            released = self.released.get((msg.service, msg.symptom))
            if released is not None:  # a released alert stopped: nothing to re-route any more
                kept = [e for e in released if e.msg.fingerprint != msg.fingerprint]
                if kept:
                    self.released[(msg.service, msg.symptom)] = kept
                else:
                    del self.released[(msg.service, msg.symptom)]
                    self._watch()
            return
        self._count_down(msg.service)
        incident = held.incident
        if incident is None:  # still held for group_wait
            held.drop(msg.fingerprint)
            if not held.envs:
                del self.pending[msg.service]
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
        if incident.resolved:
            return
        incident.firing -= 1
        if not incident.firing:
            self._resolve(incident, self.name, f"all {incident.alert_count} alerts resolved", parent=env.seq)

    def on_incident_resolved(self, msg: IncidentResolved, env: Envelope[IncidentResolved]) -> None:
        """Resolved (by a responder, the pager, or us): it takes no new alert. Its alerts
        that still fire are released: the next time their SLO pages again (a flapping
        dependency's next burst) they open a new incident, as Alertmanager's
        re-notification would, instead of being held by the resolved one."""
        incident = self.incidents.get(msg.incident)
        if incident is None:
            return
        incident.resolved = True
        self.open.pop(incident.id, None)
        for held in incident.held:
            for fired in held.envs:
                if self._release_one(fired, held):
                    self.released.setdefault((fired.msg.service, fired.msg.symptom), []).append(fired)
        incident.held.clear()
        self._watch()

    def _watch(self) -> None:
        """Take the SLI reports only while released alerts wait for their SLO to page again
        (watching starts afresh: a report before it is no edge)."""
        want = bool(self.released)
        if want and not self.bus.watching(self.name, SliReported):
            self.paging.clear()
        self.bus.watch(self.name, SliReported, want, {service for service, _ in self.released})

    def _release_one(self, fired: Envelope[AlertFired], held: Held) -> bool:
        """Forget *fired* if it still fires as one of *held*'s alerts; whether it did."""
        fingerprint = fired.msg.fingerprint
        if self.firing.get(fingerprint) is not held:
            return False
        del self.firing[fingerprint]
        self._count_down(held.service)
        return True

    def _count_down(self, service: str) -> None:
        """One alert of *service* fires no more."""
        left = self.firing_services[service] - 1
        if left:
            self.firing_services[service] = left
        else:
            del self.firing_services[service]

    def on_sli_reported(self, msg: SliReported, env: Envelope[SliReported]) -> None:
        key = (msg.service, msg.symptom)
        was = self.paging.get((msg.slo, key))
        self.paging[(msg.slo, key)] = msg.paging
        if msg.paging and was is False and key in self.released:  # paging again: a new burst
            self._retake(self.released.pop(key))
            self._watch()

    def _retake(self, fired: list[Envelope[AlertFired]]) -> None:
        """Released alerts whose SLO pages again: taken as new."""
        self._take(fired)

    def _flush(self) -> None:
        """Decide the held alerts in one pass over the topology."""
        by_service, self.pending, self._flush_timer = self.pending, {}, None
        if not self.topology_inhibition:
            self._flush_each(by_service)
            return
        topology = self.topology
        # The oldest open incident of each root component: a batch's alerts above one of
        # them join it.
        open_by_rank: dict[int, Incident] = {}
        for incident in self.open.values():
            if incident.source == "alerts":
                open_by_rank.setdefault(topology.rank(incident.root), incident)
        firsts = topology.first_roots(self.firing_services, [incident.root for incident in open_by_rank.values()])
        # Alerts travel in their service's group (held by service): one root lookup per
        # service, not per alert.
        new: dict[str, list[Held]] = {}
        joins: dict[str, list[Held]] = {}
        for service, held in by_service.items():
            first, first_open = firsts[service]
            if first_open is not None:
                joined: Incident | None = open_by_rank[first_open]
            else:
                joined = self._covering(service) if open_by_rank else None
            if joined is not None and self._explains(joined, held):
                joins.setdefault(joined.id, []).append(held)
            elif joined is not None:  # the open cause cannot explain it: its own incident
                new.setdefault(service, []).append(held)
            else:
                new.setdefault(self._root_name(first), []).append(held)
        new = self._common_causes(new)
        # Within an incident, alerts come service by service, in the order each service
        # first alerted: deterministic, and no per-alert sort.
        for incident_id, groups in joins.items():
            self._join(self.incidents[incident_id], groups)
        for root, groups in new.items():
            self._open(root, groups)

    def _root_name(self, rank: int) -> str:
        """The service an incident rooted at component *rank* is named after: the service
        itself; in a cycle, the alerting member that calls a dependency outside the cycle
        (where a failure below comes in), else the first alerting member, by name."""
        topology = self.topology
        first = topology.first_member(rank)
        group = topology.component(first)
        if len(group) == 1:
            return first
        alerting = [m for m in sorted(group) if m in self.firing_services]
        inside = set(group)
        calling = [m for m in alerting if any(d not in inside for d in topology.graph.successors(m))]
        return (calling or alerting or [first])[0]

    def _flush_each(self, by_service: dict[str, Held]) -> None:
        """Topology inhibition off: every alerting service is its own root (its alerts join
        its own open incident, or open one)."""
        own = {i.root: i for i in self.open.values() if i.source == "alerts"}
        for service, held in by_service.items():
            if service in own:
                self._join(own[service], [held])
            else:
                self._open(service, [held])

    def _explains(self, incident: Incident, held: Held) -> bool:
        """Whether *incident*'s cause explains *held*'s alerts: the cause fires now (an
        incident whose root stopped alerting explains nothing new), and a cause that only
        burns slowly (a ticket) does not explain a page above it."""
        if incident.root in self.unmonitored:  # a suspected cause: it holds while its symptoms fire
            firing_now = incident.firing > 0
        else:
            firing_now = self.firing_services.get(incident.root, 0) > 0
        return firing_now and not (incident.action == "ticket" and held.page)

    def _common_causes(self, new: dict[str, list[Held]]) -> dict[str, list[Held]]:
        """Roots that share a dependency nobody monitors (no SLO, so no alert of its own):
        one incident, with that dependency as the suspected common cause, instead of one per
        symptom. The nearest such dependency wins (fewest services between)."""
        unmonitored = self.unmonitored
        if len(new) < 2 or not unmonitored:
            return new
        suspects: dict[str, list[str]] = {}
        for root in new:
            if root not in self.topology:
                continue
            for dep in sorted(self.topology.dependencies(root) & unmonitored):
                suspects.setdefault(dep, []).append(root)
        shared = {dep: roots for dep, roots in suspects.items() if len(roots) > 1}
        if not shared:
            return new
        # the dependency shared by the most roots; ties by name (deterministic)
        dep = min(shared, key=lambda d: (-len(shared[d]), d))
        merged = dict(new)
        groups: list[Held] = []
        for root in shared[dep]:
            groups.extend(merged.pop(root))
        merged[dep] = groups
        return merged

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

    def _join(self, incident: Incident, groups: list[Held]) -> None:
        """Alerts of one batch join an open incident: one update for all of them."""
        before = incident.severity
        placements, severities, page = self._place(incident, groups)
        incident.severity = worst(incident.severity, *severities)
        if page:
            incident.action = "page"
        change = f"; severity {before} -> {incident.severity}" if incident.severity != before else ""
        first = list(islice((alert for _, _, ids in placements for alert in ids), 3))
        joined = sum(len(held.alerts) for held in groups)
        more = f" and {joined - len(first)} more" if joined > len(first) else ""
        self._updated(incident, f"{', '.join(first)}{more} joined{change}", placements, groups[0].envs[0].seq)

    def _updated(
        self, incident: Incident, reason: str, placements: list[Placement] | None = None, parent: int | None = None
    ) -> None:
        """Tell the pager (and the trace) that *incident* grew or changed."""
        self.send(
            IncidentUpdated(
                incident=incident.id,
                severity=incident.severity,
                alert_count=incident.alert_count,
                affected_count=len(incident.affected),
                tickets=list(incident.tickets),
                reason=reason,
                placements=placements or [],
            ),
            incident=incident.id,
            parent=parent,
        )

    def _place(self, incident: Incident, groups: list[Held]) -> tuple[list[Placement], set[AlertSeverity], bool]:
        """Add the alerts of *groups* to *incident*, a service at a time (storms are large):
        their placements, their severities, and whether any of them pages."""
        root, symptom = incident.root, incident.symptom
        affected = incident.affected
        placements: list[Placement] = []
        severities: set[AlertSeverity] = set()
        page = False
        for held in groups:
            held.incident = incident
            incident.held.append(held)
            affected[held.service] = None
            severities |= held.severities
            page = page or held.page
            incident.alert_count += len(held.alerts)
            incident.firing += len(held.alerts)
            if held.service != root:
                placements.append((held.service, "inhibited", held.alerts))
                continue
            parts: tuple[tuple[Role, list[str]], ...] = (
                ("root", [a for a, env in zip(held.alerts, held.envs, strict=True) if env.msg.symptom == symptom]),
                ("grouped", [a for a, env in zip(held.alerts, held.envs, strict=True) if env.msg.symptom != symptom]),
            )
            for role, ids in parts:
                if ids:
                    placements.append((root, role, ids))
        return placements, severities, page

    def _open(self, root: str, groups: list[Held]) -> None:
        groups.sort(key=lambda held: held.service != root)  # the root's own alerts lead (stable)
        lead_env = groups[0].envs[0]
        lead: AlertFired = lead_env.msg
        incident = self._new_incident(root, lead.symptom, "sev4")
        placements, severities, page = self._place(incident, groups)
        incident.severity = worst(*severities)
        incident.action = "page" if page else "ticket"
        inhibited = incident.alert_count - 1
        cycle = [m for m in sorted(self.topology.component(root)) if m != root] if root in self.topology else []
        title = (
            f"{root} {lead.symptom}"
            + (f" (in a cycle with {', '.join(cycle)})" if cycle else "")
            + (f" (+{inhibited} symptom alerts inhibited)" if inhibited else "")
        )
        self.send(
            IncidentOpened(
                incident=incident.id,
                title=title,
                root_service=root,
                symptom=lead.symptom,
                severity=incident.severity,
                action=incident.action,
                source="alerts",
                affected=list(incident.affected),
                signature=lead.labels.get("error"),
                paging_service=next((held.paging for held in groups if held.paging is not None), None),
                burns=lead.burns,
                sli=lead.sli,
                reason=lead.reason,
                placements=placements,
            ),
            incident=incident.id,
            parent=lead_env.seq,
        )

    def _new_incident(self, root: str, symptom: str, severity: Severity) -> Incident:
        self.count += 1
        incident = Incident(f"INC-{self.count:03d}", root, symptom, severity, "ticket", self.now)
        self.incidents[incident.id] = incident
        self.open[incident.id] = incident
        return incident

    def _escalate(self, incident: Incident, severity: Severity, action: AlertAction, reason: str) -> None:
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

    def on_ticket_filed(self, msg: TicketFiled, env: Envelope[TicketFiled]) -> None:
        severity, route, rule = triage(msg.text, msg.users_affected)
        incident = self._covering(msg.service) if msg.service else None
        if incident is not None:
            incident.tickets.append(msg.ticket)
            self.send(
                TicketTriaged(
                    ticket=msg.ticket, severity=severity, route=route, incident=incident.id, linked=True, rule=rule
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
            TicketTriaged(
                ticket=msg.ticket, severity=severity, route=route, incident=incident.id, linked=False, rule=rule
            ),
            incident=incident.id,
        )
        self.send(
            IncidentOpened(
                incident=incident.id,
                title=f"user report on {service}: {msg.text}",
                root_service=service,
                symptom="user_report",
                severity=severity,
                action=incident.action,
                route=route,
                source="ticket",
                affected=[service],
                reason=f"{msg.ticket}: {rule}",
            ),
            incident=incident.id,
        )


class RoutedCorrelator(Correlator):
    """The correlator behind Alertmanager: alerts arrive in its paging notifications
    (``on_notified``), not from the monitor."""

    subscribes: ClassVar[tuple[type[Message], ...]] = (Notified, TicketFiled, IncidentResolved)

    def setup(self) -> None:
        super().setup()
        #: fingerprint -> the seq of the AlertFired envelope last taken for it, while it fires
        self.latest: dict[str, int] = {}
        #: the notifications of this instant, taken together once they are all in
        self.inbox: list[Envelope[Notified]] = []

    def _release_one(self, fired: Envelope[AlertFired], held: Held) -> bool:
        """Resolved while its alerts may still fire (a responder, or the pager's
        auto-resolve): as PagerDuty does with a resolved incident's dedup key, the next
        notification that carries them triggers anew (a new incident), rather than
        updating the resolved one; so an alert is forgotten here unless a later firing of
        its fingerprint was taken since."""
        if self.latest.get(fired.msg.fingerprint) != fired.seq or not super()._release_one(fired, held):
            return False
        del self.latest[fired.msg.fingerprint]
        return True

    def _retake(self, fired: list[Envelope[AlertFired]]) -> None:
        for env in fired:  # a later notification carrying them is a repeat, not news
            self.latest[env.msg.fingerprint] = env.seq
        self._take(fired)

    def busy(self) -> str | None:
        if self.inbox:
            return f"{len(self.inbox)} notification(s) to take"
        return super().busy()

    def on_notified(self, msg: Notified, env: Envelope[Notified]) -> None:
        """A paging notification from Alertmanager: kept until every notification of this
        instant is in (the groups of a storm tick together), then taken in one pass."""
        if not self.inbox:
            self.call_later(0.0, self._take_notified)
        self.inbox.append(env)

    def _take_notified(self) -> None:
        """The alerts this instant's notifications carry for the first time are taken as
        they came from the monitor, in the order it fired them (a repeat or an update
        carries its group's alerts again; a re-fire of a known fingerprint, e.g. relabelled
        from ticket to page, is a duplicate); then their resolved alerts resolve, unless the
        fingerprint fired again since (a relabelled alert's old label set resolves in its
        old group while the new one fires)."""
        inbox, self.inbox = self.inbox, []
        trace = self.bus.trace
        # seq is dense from 1 when every kind is kept: the trace's own index; else a lookup
        envelopes = cast("list[Envelope[AlertFired]]", trace.envelopes)
        get = cast("Callable[[int], Envelope[AlertFired]]", trace.get)
        dense = not trace.passed
        latest = self.latest
        by_paging: dict[str | None, list[Envelope[Notified]]] = {}
        for env in inbox:
            by_paging.setdefault(env.msg.paging_service, []).append(env)
        for paging, notes in by_paging.items():
            fresh: list[Envelope[AlertFired]] = []
            # In the monitor's order, which is also the order they sit in memory: a storm's
            # alerts read in a row rather than group by group.
            for seq in sorted({seq for env in notes for seq in env.msg.firing}):
                fired = envelopes[seq - 1] if dense else get(seq)
                fingerprint = fired.msg.fingerprint
                if seq > latest.get(fingerprint, 0):
                    latest[fingerprint] = seq
                    fresh.append(fired)
            self._take(fresh, paging)
        for env in inbox:
            for seq in env.msg.resolved:
                m = (envelopes[seq - 1] if dense else get(seq)).msg
                if latest.get(m.fingerprint) != seq:
                    continue
                del latest[m.fingerprint]
                resolved = AlertResolved(
                    alert=m.alert, fingerprint=m.fingerprint, service=m.service, symptom=m.symptom, slo=m.slo,
                    sli=m.sli, reason="resolved (notified by Alertmanager)",
                )  # fmt: skip
                self.on_alert_resolved(resolved, cast("Envelope[AlertResolved]", env))
