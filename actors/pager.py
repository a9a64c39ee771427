"""The pager: PagerDuty's services, escalation policies and schedules.

- An incident opens on the paging service its alerts were routed to (the default service
  otherwise), and runs that service's escalation policy. Its urgency is decided when it
  triggers, by the service's urgency rule at that instant (constant, severity based, or by
  support hours); PagerDuty's scheduled action that raises a low-urgency incident when
  support hours start is not modelled. Low urgency pages the first rule and never
  escalates. With the seeds' ``escalation:`` ladder (one policy, one service), sev3 and
  sev4 incidents and tickets go to the ticket queue and never page; an incident that
  triage routed (a sev2 ticket to L2) starts at that level.
- Each rule pages its targets: users, and whoever each schedule has on call at that
  instant (``start`` + virtual time, in the schedule's zone); with ``round_robin`` one
  target per incident, in turn. A rule with nobody on call is passed at once. An incident
  not acknowledged within the rule's delay moves to the next rule (``Escalated``); after
  the last, the policy runs again from the first, ``num_loops`` times (at most 9,
  ``LadderRepeated``); then it is exhausted (``EscalationExhausted``) and flagged.
- An ack halts escalation (``IncidentAcknowledged``). An incident acked but not resolved
  within the service's ack timeout (None: off) goes back to triggered (``AckTimedOut``) and
  its rule is paged again. The auto-resolve timeout resolves an incident left open that
  long after it triggered.
- A responder who cannot go on hands off (``HandedOff``): the next rule is paged at once,
  with what was tried. From the last rule, its other targets who have not handed it off
  are paged, else the policy loops; only when the policy has really run out is it
  exhausted, and then it says why (not "nobody acked").

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
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict

from actors.domain.oncall import OnCallConfig, Policy, PolicyRule, Service, Urgency
from actors.engine.actor import Actor, Host
from actors.engine.timers import Timer
from bus.messages import (
    AckTimedOut,
    Escalated,
    EscalateIncident,
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
    ReassignIncident,
    TicketQueued,
)
from bus.trace import Envelope
from bus.vocab import Severity

__all__ = ["Pager", "Paging"]

State = Literal["queued", "triggered", "acknowledged", "exhausted", "resolved"]


class _PageExtras(TypedDict, total=False):
    """The fields of a ``Page`` that are passed only when they differ from their defaults."""

    signature: str
    loop: int
    tried: list[str]
    urgency: Urgency


@dataclass
class Paging:
    """One incident as the pager sees it."""

    incident: str
    severity: Severity
    title: str
    service: str
    symptom: str
    signature: str | None
    policy: Policy
    on: Service
    state: State = "queued"
    level: int = 0
    loop: int = 0
    urgency: Urgency = "high"
    triggered_at: float = 0.0
    acked_by: str | None = None
    tried: list[str] = field(default_factory=list)
    #: who handed it off, in this run of the policy
    handed: set[str] = field(default_factory=set)
    timer: Timer | None = None
    auto_resolve: Timer | None = None

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class Pager(Actor):
    """Pages responders by policy until someone acknowledges."""

    family = "pager"
    subscribes = (
        IncidentOpened,
        IncidentUpdated,
        IncidentResolved,
        PageAcked,
        HandedOff,
        EscalateIncident,
        ReassignIncident,
    )

    def __init__(self, name: str, host: Host, config: OnCallConfig, start: datetime | None = None) -> None:
        self.config = config
        self.start = start or datetime(2026, 1, 1, tzinfo=UTC)
        super().__init__(name, host)

    def setup(self) -> None:
        self.incidents: dict[str, Paging] = {}
        self.live: dict[str, None] = {}  # incidents triggered or acknowledged, in order
        #: (policy, rule index) -> the next round-robin turn
        self.turns: dict[tuple[str, int], int] = {}
        #: schedule -> (from, until, who): its last answer, valid in [from, until) (virtual s)
        self.shifts: dict[str, tuple[float, float, str | None]] = {}
        #: policy -> rule name -> its index
        self.rule_index = {name: {r.name: i for i, r in enumerate(p.rules)} for name, p in self.config.policies.items()}

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

    def _at(self) -> datetime:
        return self.start + timedelta(seconds=self.now)

    # --- incidents in ------------------------------------------------------------------

    def on_incident_opened(self, msg: IncidentOpened, env: Envelope[IncidentOpened]) -> None:
        service = self.config.service_of(msg.paging_service)
        policy = self.config.policies[service.policy]
        p = Paging(msg.incident, msg.severity, msg.title, msg.root_service, msg.symptom, msg.signature, policy, service)
        self.incidents[msg.incident] = p
        if self.config.queue_tickets and (msg.severity in ("sev3", "sev4") or msg.action != "page"):
            self.send(TicketQueued(incident=msg.incident, severity=msg.severity))
            return
        start = self.rule_index[policy.name].get(msg.route, 0) if msg.route else 0
        first = policy.rules[0].name
        why = f"triage routed it to {msg.route}" if msg.route else f"{msg.severity} pages {first} at once"
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
            if p.auto_resolve is not None:
                p.auto_resolve.cancel()
                p.auto_resolve = None
            self._state(p, "resolved")

    def _trigger(self, p: Paging, level: int, why: str) -> None:
        self._state(p, "triggered")
        p.level, p.triggered_at = level, self.now
        legacy = self.config.queue_tickets
        if legacy:
            p.urgency = "high"
        else:
            p.urgency, because = p.on.urgency.urgency_at(self._at(), p.severity)
            why = f"{why}; {p.urgency} urgency ({because})"
        self.send(
            IncidentTriggered(
                incident=p.incident,
                severity=p.severity,
                level=p.policy.rules[level].name,
                reason=why,
                **({} if legacy else {"urgency": p.urgency, "service": p.on.name, "policy": p.policy.name}),
            ),
            incident=p.incident,
        )
        if p.on.auto_resolve_timeout is not None and p.auto_resolve is None:
            p.auto_resolve = self.call_later(p.on.auto_resolve_timeout, self._auto_resolve, p)
        self._page(p, why)

    def _auto_resolve(self, p: Paging) -> None:
        p.auto_resolve = None
        if p.state in ("triggered", "acknowledged", "exhausted"):
            timeout = p.on.auto_resolve_timeout or 0.0
            self.send(
                IncidentResolved(incident=p.incident, by=self.name, reason=f"auto-resolved after {timeout:g}s open"),
                incident=p.incident,
            )

    def _on_call(self, schedule: str) -> str | None:
        """Who *schedule* has on call now; each answer is kept until its hand-over (a
        schedule is asked once per shift, not once per page)."""
        now = self.now
        known = self.shifts.get(schedule)
        if known is not None and known[0] <= now < known[1]:
            return known[2]
        answer = self.config.schedules[schedule].on_call(self._at())
        until = (answer.until - self.start).total_seconds() if answer.until is not None else float("inf")
        self.shifts[schedule] = (now, until, answer.user)
        return answer.user

    def _targets(self, p: Paging, rule: PolicyRule) -> list[str]:
        """Who the rule pages now: its users, and who its schedules have on call."""
        people: list[str] = []
        for target in rule.targets:
            user = target.name if target.kind == "user" else self._on_call(target.name)
            if user is not None:
                people.append(user)
        if len(people) > 1:
            people = list(dict.fromkeys(people))  # once each, in order
        if rule.round_robin and people:
            key = (p.policy.name, p.level)
            turn = self.turns.get(key, 0)
            self.turns[key] = turn + 1
            people = [people[turn % len(people)]]
        return people

    def _page(self, p: Paging, reason: str, only: list[str] | None = None) -> None:
        """Page the rule's targets (or *only* these) and start its escalation deadline;
        a rule with nobody on call is passed at once."""
        rule = p.policy.rules[p.level]
        targets = only if only is not None else self._targets(p, rule)
        if not targets:
            self._climb(p, f"nobody on call at {rule.name}")
            return
        # Fields left at their defaults are not passed: each one given is validated, and
        # pages are the most frequent message of a ladder.
        extra: _PageExtras = {}
        if p.signature is not None:
            extra["signature"] = p.signature
        if p.loop:
            extra["loop"] = p.loop
        if p.tried:
            extra["tried"] = p.tried  # validation copies the list
        if p.urgency != "high":
            extra["urgency"] = p.urgency
        for target in targets:
            self.send(
                Page(
                    incident=p.incident,
                    responder=target,
                    level=rule.name,
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
        if p.urgency == "high":  # low urgency does not escalate
            p.timer = self.call_later(rule.delay, self._deadline, p)

    # --- deadlines -----------------------------------------------------------------------

    def _deadline(self, p: Paging) -> None:
        p.timer = None
        if p.state == "triggered":
            rule = p.policy.rules[p.level]
            self._climb(p, f"no ack within {rule.delay:g}s")
        elif p.state == "acknowledged":
            rule = p.policy.rules[p.level]
            timeout = p.on.ack_timeout or 0.0
            self.send(
                AckTimedOut(incident=p.incident, by=p.acked_by or "?", level=rule.name, timeout=timeout),
                incident=p.incident,
            )
            self._state(p, "triggered")
            p.acked_by = None
            self._page(p, f"acked but unresolved after {timeout:g}s")

    def _climb(self, p: Paging, reason: str, exhausted: str = "") -> None:
        """Up one rule; past the last, run the policy again or give up."""
        rules = p.policy.rules
        here = rules[p.level].name
        if p.level + 1 < len(rules):
            p.level += 1
            self._state(p, "triggered")
            self.send(
                Escalated(incident=p.incident, from_level=here, to_level=rules[p.level].name, reason=reason),
                incident=p.incident,
            )
            self._page(p, f"escalated from {here}: {reason}")
        elif p.loop < p.policy.num_loops:
            p.loop += 1
            p.level = 0
            p.handed.clear()
            self._state(p, "triggered")
            self.send(LadderRepeated(incident=p.incident, loop=p.loop, of=p.policy.num_loops), incident=p.incident)
            self._page(p, f"repeat {p.loop} of {p.policy.num_loops}: {reason}")
        else:
            self._exhaust(p, exhausted)

    def _exhaust(self, p: Paging, reason: str = "") -> None:
        """Nobody is left to page: flag the incident (it stays open)."""
        self._state(p, "exhausted")
        p.cancel()
        self.send(
            EscalationExhausted(
                incident=p.incident, loops=p.loop, levels=[rule.name for rule in p.policy.rules], reason=reason
            ),
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
        p.level = self.rule_index[p.policy.name].get(msg.level, p.level)
        self.send(
            IncidentAcknowledged(
                incident=p.incident, by=msg.responder, level=msg.level, after=round(self.now - p.triggered_at, 6)
            ),
            incident=p.incident,
        )
        if p.on.ack_timeout is not None:
            p.timer = self.call_later(p.on.ack_timeout, self._deadline, p)

    def on_handed_off(self, msg: HandedOff, env: Envelope[HandedOff]) -> None:
        p = self.incidents.get(msg.incident)
        if p is None or p.state in ("resolved", "queued"):
            return
        p.tried = list(msg.tried)
        p.level = self.rule_index[p.policy.name].get(msg.level, p.level)
        p.handed.add(msg.responder)
        p.cancel()
        self._state(p, "triggered")
        p.acked_by = None
        reason = f"handed off by {msg.responder}: {msg.reason}"
        rule = p.policy.rules[p.level]
        if p.level + 1 == len(p.policy.rules):  # the last rule: its other targets, then a loop
            others = [t for t in self._targets(p, rule) if t not in p.handed] if not rule.round_robin else []
            if others:  # someone else on this rule has not handed it off: they take it
                self._page(p, reason, only=others)
                return
        self._climb(p, reason, exhausted=f"handed off by {msg.responder} at {rule.name}; nobody left to hand it to")

    # --- scripted actions ----------------------------------------------------------------

    def on_escalate_incident(self, msg: EscalateIncident, env: Envelope[EscalateIncident]) -> None:
        p = self.incidents.get(msg.incident)
        if p is None or p.state in ("resolved", "queued"):
            return
        p.cancel()
        self._state(p, "triggered")
        p.acked_by = None
        self._climb(p, f"escalated by {msg.by}")

    def on_reassign_incident(self, msg: ReassignIncident, env: Envelope[ReassignIncident]) -> None:
        p = self.incidents.get(msg.incident)
        if p is None or p.state in ("resolved", "queued"):
            return
        self._state(p, "triggered")
        p.acked_by = None
        self._page(p, f"reassigned to {msg.to}" + (f" by {msg.by}" if msg.by else ""), only=[msg.to])
