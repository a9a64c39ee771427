"""The pager: an escalation ladder with PagerDuty's semantics.

- sev1 pages the first level at once; an incident that triage routed (a sev2 ticket to
  L2) starts at that level; sev3 and sev4 go to the ticket queue and never page.
- Each level has targets and ``escalate_after``: an incident not acknowledged by then moves
  up a level (``Escalated``). After the last level the ladder runs again from the first,
  ``repeat`` times (PagerDuty's ``num_loops``, at most 9, ``LadderRepeated``); then it is
  exhausted (``EscalationExhausted``) and flagged.
- An ack halts escalation (``IncidentAcknowledged``). An incident acked but not resolved
  within ``ack_timeout`` goes back to triggered (``AckTimedOut``) and its level is paged again.
- A responder who cannot go on hands off (``HandedOff``): the next level is paged at once,
  with what was tried.

Ties are a business rule: **the deadline wins**. An ack that arrives at exactly the
escalation deadline does not stop that escalation (the next level is paged), but it still
acknowledges the incident, so nothing further escalates. On the virtual clock this is
structural: every timer due at an instant fires before any message of that instant is
handled.

Every incident's deadline sits in the run's one timer heap (:class:`actors.engine.actor.Timers`,
one alarm for the whole run), so ten thousand concurrent incidents cost no task and no
loop timer each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict

from actors.engine.actor import Actor, Host
from actors.engine.timers import Timer
from bus.messages import (
    AckTimedOut,
    Escalated,
    EscalationExhausted,
    HandedOff,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    IncidentTriggered,
    IncidentUpdated,
    LadderRepeated,
    Page,
    PageAcked,
    TicketQueued,
)
from bus.trace import Envelope
from bus.vocab import Severity

__all__ = ["Level", "Pager", "Paging"]

State = Literal["queued", "triggered", "acknowledged", "exhausted", "resolved"]


class _PageExtras(TypedDict, total=False):
    """The fields of a ``Page`` that are passed only when they differ from their defaults."""

    signature: str
    loop: int
    tried: list[str]


@dataclass(frozen=True)
class Level:
    """One rung of the ladder: who is paged, and how long before the next rung is."""

    name: str
    targets: tuple[str, ...]
    escalate_after: float


@dataclass
class Paging:
    """One incident as the pager sees it."""

    incident: str
    severity: Severity
    title: str
    service: str
    symptom: str
    signature: str | None
    state: State = "queued"
    level: int = 0
    loop: int = 0
    triggered_at: float = 0.0
    acked_by: str | None = None
    tried: list[str] = field(default_factory=list)
    timer: Timer | None = None

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class Pager(Actor):
    """Pages responders up the ladder until someone acknowledges."""

    family = "pager"
    subscribes = (IncidentOpened, IncidentUpdated, IncidentResolved, PageAcked, HandedOff)

    def __init__(
        self, name: str, host: Host, levels: list[Level], repeat: int = 0, ack_timeout: float = 1800.0
    ) -> None:
        self.levels = levels
        self.repeat = repeat
        self.ack_timeout = ack_timeout
        self._index = {level.name: i for i, level in enumerate(levels)}
        super().__init__(name, host)

    def setup(self) -> None:
        self.incidents: dict[str, Paging] = {}
        self.live: dict[str, None] = {}  # incidents triggered or acknowledged, in order

    def busy(self) -> str | None:
        if not self.live:
            return None
        return f"{len(self.live)} incident(s) triggered or acknowledged, first {next(iter(self.live))}"

    def settled(self) -> bool:
        # Asked at every jump of the clock: O(1), from the set kept as states change.
        return not self.live

    def _state(self, p: Paging, state: State) -> None:
        p.state = state
        if state in ("triggered", "acknowledged"):
            self.live[p.incident] = None
        else:
            self.live.pop(p.incident, None)

    # --- incidents in ------------------------------------------------------------------

    def on_incident_opened(self, msg: IncidentOpened, env: Envelope[IncidentOpened]) -> None:
        self._take(msg)

    def _take(self, msg: IncidentOpened) -> None:
        p = Paging(msg.incident, msg.severity, msg.title, msg.root_service, msg.symptom, msg.signature)
        self.incidents[msg.incident] = p
        if msg.severity in ("sev3", "sev4") or msg.action != "page":
            self.send(TicketQueued(incident=msg.incident, severity=msg.severity))
            return
        start = self._index.get(msg.route, 0) if msg.route else 0
        why = f"triage routed it to {msg.route}" if msg.route else f"{msg.severity} pages {self.levels[0].name} at once"
        self._trigger(p, start, why)

    def on_incident_updated(self, msg: IncidentUpdated, env: Envelope[IncidentUpdated]) -> None:
        p = self.incidents.get(msg.incident)
        if p is None:
            return
        p.severity = msg.severity
        if p.state == "queued" and msg.severity in ("sev1", "sev2"):
            self._trigger(p, 0, f"severity rose to {msg.severity}")

    def on_incident_resolved(self, msg: IncidentResolved, env: Envelope[IncidentResolved]) -> None:
        p = self.incidents.get(msg.incident)
        if p is not None:
            p.cancel()
            self._state(p, "resolved")

    def _trigger(self, p: Paging, level: int, why: str) -> None:
        self._state(p, "triggered")
        p.level, p.triggered_at = level, self.now
        self.send(
            IncidentTriggered(incident=p.incident, severity=p.severity, level=self.levels[level].name, reason=why),
            incident=p.incident,
        )
        self._page(p, why)

    def _page(self, p: Paging, reason: str) -> None:
        """Notify every target of the incident's level and start its escalation deadline."""
        level = self.levels[p.level]
        # Fields left at their defaults are not passed: each one given is validated, and
        # pages are the most frequent message of a ladder.
        extra: _PageExtras = {}
        if p.signature is not None:
            extra["signature"] = p.signature
        if p.loop:
            extra["loop"] = p.loop
        if p.tried:
            extra["tried"] = p.tried  # validation copies the list
        for target in level.targets:
            self.send(
                Page(
                    incident=p.incident,
                    responder=target,
                    level=level.name,
                    severity=p.severity,
                    title=p.title,
                    service=p.service,
                    symptom=p.symptom,
                    reason=reason,
                    **extra,
                ),
                to=target,
                incident=p.incident,
            )
        p.cancel()
        p.timer = self.call_later(level.escalate_after, self._deadline, p)

    # --- deadlines -----------------------------------------------------------------------

    def _deadline(self, p: Paging) -> None:
        p.timer = None
        if p.state == "triggered":
            level = self.levels[p.level]
            self._climb(p, f"no ack within {level.escalate_after:g}s")
        elif p.state == "acknowledged":
            level = self.levels[p.level]
            self.send(
                AckTimedOut(incident=p.incident, by=p.acked_by or "?", level=level.name, timeout=self.ack_timeout),
                incident=p.incident,
            )
            self._state(p, "triggered")
            p.acked_by = None
            self._page(p, f"acked but unresolved after {self.ack_timeout:g}s")

    def _climb(self, p: Paging, reason: str) -> None:
        """Up one level; past the last, run the ladder again or give up."""
        here = self.levels[p.level].name
        if p.level + 1 < len(self.levels):
            p.level += 1
            self._state(p, "triggered")
            self.send(
                Escalated(incident=p.incident, from_level=here, to_level=self.levels[p.level].name, reason=reason),
                incident=p.incident,
            )
            self._page(p, f"escalated from {here}: {reason}")
        elif p.loop < self.repeat:
            p.loop += 1
            p.level = 0
            self._state(p, "triggered")
            self.send(LadderRepeated(incident=p.incident, loop=p.loop, of=self.repeat), incident=p.incident)
            self._page(p, f"repeat {p.loop} of {self.repeat}: {reason}")
        else:
            self._exhaust(p)

    def _exhaust(self, p: Paging) -> None:
        """Nobody is left to page: flag the incident (it stays open)."""
        self._state(p, "exhausted")
        p.cancel()
        self.send(
            EscalationExhausted(incident=p.incident, loops=p.loop, levels=[level.name for level in self.levels]),
            incident=p.incident,
        )

    # --- responders ----------------------------------------------------------------------

    def on_page_acked(self, msg: PageAcked, env: Envelope[PageAcked]) -> None:
        p = self.incidents.get(msg.incident)
        if p is None or p.state not in ("triggered", "exhausted"):
            return  # already acknowledged by someone, or resolved: nothing to halt
        p.cancel()
        self._state(p, "acknowledged")
        p.acked_by = msg.responder
        p.level = self._index.get(msg.level, p.level)
        self.send(
            IncidentAcknowledged(
                incident=p.incident, by=msg.responder, level=msg.level, after=round(self.now - p.triggered_at, 6)
            ),
            incident=p.incident,
        )
        p.timer = self.call_later(self.ack_timeout, self._deadline, p)

    def on_handed_off(self, msg: HandedOff, env: Envelope[HandedOff]) -> None:
        p = self.incidents.get(msg.incident)
        if p is None or p.state in ("resolved", "queued"):
            return
        p.tried = list(msg.tried)
        p.level = self._index.get(msg.level, p.level)
        p.cancel()
        if p.level + 1 < len(self.levels):
            self._climb(p, f"handed off by {msg.responder}: {msg.reason}")
        else:
            self._exhaust(p)
