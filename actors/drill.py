"""The drill actor: plays the scenario's ``events:`` at their virtual times."""

from __future__ import annotations

from actors.engine.actor import Actor, Host
from bus.messages import (
    CrashInjected,
    DeployRequested,
    DrillNote,
    EscalateIncident,
    FaultCleared,
    FaultStarted,
    IncidentResolved,
    PageAcked,
    ReassignIncident,
    TicketFiled,
)
from scenarios.schema import Event

__all__ = ["Drill"]


class Drill(Actor):
    """Publishes each scenario event at its ``at`` time; busy while events remain."""

    family = "scenario"

    def __init__(self, name: str, host: Host, events: list[Event]) -> None:
        self.events = sorted(events, key=lambda e: e.at)  # stable: ties keep file order
        super().__init__(name, host)

    def setup(self) -> None:
        self.remaining = len(self.events)
        self.faults_started = 0
        self.tickets = 0
        self.active: dict[str, list[str]] = {}

    def on_start(self) -> None:
        for event in self.events:
            self.call_at(event.at, self._play, event)

    def busy(self) -> str | None:
        return f"{self.remaining} scenario event(s) still to come" if self.remaining else None

    def _play(self, event: Event) -> None:
        self.remaining -= 1
        if self._act(event):
            return
        if event.note is not None:
            self.send(DrillNote(text=event.note), to=())
        elif event.fault is not None:
            f = event.fault
            self.faults_started += 1
            name = f.name or f.signature or f"fault-{self.faults_started}"
            self.active.setdefault(f.service, []).append(name)
            self.send(
                FaultStarted(
                    service=f.service,
                    fault=name,
                    health=f.health,
                    signature=f.signature,
                    traffic=f.traffic,
                    ramp=f.ramp,
                )
            )
        elif event.recover is not None:
            r = event.recover
            active = self.active.get(r.service, [])
            names = [r.fault] if r.fault is not None else list(active)
            for name in names:
                if name in active:
                    active.remove(name)
                self.send(FaultCleared(service=r.service, fault=name))
        elif event.crash is not None:
            self.send(CrashInjected(actor=event.crash.actor), to=())
            if not self.replaying:  # a replay after the drill's own restart arms nothing again
                self.host.inject_crash(event.crash.actor)
        elif event.deploy is not None:
            self.send(DeployRequested(release=event.deploy.release, canary=event.deploy.canary))
        elif event.ticket is not None:
            t = event.ticket
            self.tickets += 1
            self.send(
                TicketFiled(
                    ticket=t.id or f"T-{self.tickets}",
                    reporter=t.reporter,
                    text=t.text,
                    service=t.service,
                    users_affected=t.users_affected,
                )
            )

    def _act(self, event: Event) -> bool:
        """A person's scripted action (ack, resolve, escalate, reassign); False: not one."""
        if event.ack is not None and event.ack.by is not None:
            a = event.ack
            self.send(PageAcked(incident=a.incident, responder=a.by, level=""), to="pager", incident=a.incident)
        elif event.resolve is not None and event.resolve.by is not None:
            r = event.resolve
            self.send(
                IncidentResolved(incident=r.incident, by=r.by, reason="resolved by hand (a scripted action)"),
                incident=r.incident,
            )
        elif event.escalate is not None and event.escalate.by is not None:
            x = event.escalate
            self.send(EscalateIncident(incident=x.incident, by=x.by), to="pager", incident=x.incident)
        elif event.reassign is not None and event.reassign.to is not None:
            g = event.reassign
            self.send(ReassignIncident(incident=g.incident, by=g.by, to=g.to), to="pager", incident=g.incident)
        else:
            return False
        return True
