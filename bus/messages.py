"""Typed messages: frozen pydantic models, one discriminated union on ``kind``.

Facts are past tense (``AlertFired``, ``PageAcked``), commands imperative
(``RequestRollback``). Each message says in one line what it means (``summary``), which is
what the console shows. The envelope (sequence number, time, sender, recipients, causal
parent, incident) is the bus's business, not the message's.

Every concrete message class registers itself; :data:`MESSAGE_TYPES` maps each ``kind`` to
its class and :func:`parse_message` reads any of them back from JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bus.vocab import (
    AlertAction,
    AlertSeverity,
    CanaryDecision,
    CanaryResult,
    PolicyAction,
    Role,
    Severity,
    StepAction,
)

__all__ = [
    "MESSAGE_TYPES",
    "AckTimedOut",
    "ActorCrashed",
    "ActorRestarted",
    "AlertCorrelated",
    "AlertFired",
    "AlertMuted",
    "AlertPending",
    "AlertResolved",
    "AnyMessage",
    "CanaryStep",
    "CanaryVerdict",
    "CrashInjected",
    "DeployRequested",
    "Deployed",
    "DrillNote",
    "Escalated",
    "EscalationExhausted",
    "FaultCleared",
    "FaultStarted",
    "FixApplied",
    "HandedOff",
    "IncidentAcknowledged",
    "IncidentOpened",
    "IncidentResolved",
    "IncidentTriggered",
    "IncidentUpdated",
    "LadderRepeated",
    "Message",
    "MitigationApplied",
    "Notified",
    "Page",
    "PageAcked",
    "Placement",
    "PostmortemWritten",
    "RegressionCase",
    "RegressionCaseAdded",
    "ReleaseLive",
    "RequestRollback",
    "RolledBack",
    "SliReported",
    "StepTaken",
    "TicketFiled",
    "TicketQueued",
    "TicketTriaged",
    "Unhandled",
    "message_adapter",
    "parse_message",
    "placement_reason",
]

MESSAGE_TYPES: dict[str, type[Message]] = {}


class Message(BaseModel):
    """Base of every message on the bus."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: The message's class name: the union's discriminator, and its handler's name.
    kind: str
    #: The actor family that usually sends it; the console colours by family.
    family: ClassVar[str] = "runtime"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("kind")
        if field is not None and isinstance(field.default, str):
            if field.default in MESSAGE_TYPES and MESSAGE_TYPES[field.default] is not cls:
                raise TypeError(f"message kind {field.default!r} is defined twice")
            MESSAGE_TYPES[field.default] = cls

    def summary(self) -> str:
        """A short human line for the console."""
        return ""


# --- runtime -------------------------------------------------------------------------


class DrillNote(Message):
    """A line of narration from the scenario's ``events:`` (``note: ...``)."""

    kind: Literal["DrillNote"] = "DrillNote"
    #: The note, as the scenario wrote it.
    text: str

    def summary(self) -> str:
        return self.text


class Unhandled(Message):
    """An actor received a message it has no handler for; it was logged, not swallowed."""

    kind: Literal["Unhandled"] = "Unhandled"
    #: The actor's name.
    actor: str
    #: The kind of that message.
    message_kind: str
    #: The sequence number of that message.
    message_seq: int

    def summary(self) -> str:
        return f"{self.actor} has no handler for {self.message_kind} #{self.message_seq}"


class ActorCrashed(Message):
    """A handler raised; the supervisor restarts the actor or stops the run (exit 3)."""

    kind: Literal["ActorCrashed"] = "ActorCrashed"
    #: The actor's name.
    actor: str
    #: The message being handled when it crashed (None: a timer or a start hook).
    message_kind: str | None
    #: The sequence number of that message.
    message_seq: int | None
    #: The exception, as ``Type: message``.
    error: str
    #: Whether the supervisor restarts the actor (else the run stops).
    restart: bool

    def summary(self) -> str:
        where = f" on {self.message_kind} #{self.message_seq}" if self.message_kind else ""
        then = "restarting" if self.restart else "stopping the run"
        return f"{self.actor} crashed{where}: {self.error} ({then})"


class CrashInjected(Message):
    """The scenario arms a crash: the actor's next handler raises."""

    kind: Literal["CrashInjected"] = "CrashInjected"
    family: ClassVar[str] = "scenario"
    #: The actor's name.
    actor: str

    def summary(self) -> str:
        return f"{self.actor}'s next handler will raise"


class ActorRestarted(Message):
    """The supervisor restarted an actor; its state was rebuilt from the trace."""

    kind: Literal["ActorRestarted"] = "ActorRestarted"
    #: The actor's name.
    actor: str
    replayed: int = Field(description="messages of the trace replayed to rebuild its state")

    def summary(self) -> str:
        return f"{self.actor} restarted, state rebuilt from {self.replayed} traced messages"


# --- world and monitor -------------------------------------------------------------


class FaultStarted(Message):
    """A fault hit a service (from the scenario): its own health is multiplied by ``health``."""

    kind: Literal["FaultStarted"] = "FaultStarted"
    family: ClassVar[str] = "scenario"
    #: The service it is about.
    service: str
    #: The fault's name.
    fault: str
    #: The factor the service's own health is multiplied by while it lasts.
    health: float
    #: What the failure looks like from the service's logs (e.g. model_provider_outage).
    signature: str | None = None
    #: The share of its requests still seen by the monitor (0: it stops reporting).
    traffic: float = 1.0
    #: Seconds it takes to reach its full effect, linearly (0: at once).
    ramp: float = 0.0

    def summary(self) -> str:
        sig = f" ({self.signature})" if self.signature else ""
        seen = f", {self.traffic:.0%} of its requests seen" if self.traffic != 1.0 else ""
        ramp = f" over {self.ramp:g}s" if self.ramp else ""
        return f"fault {self.fault} on {self.service}: health x{self.health:g}{ramp}{seen}{sig}"


class FaultCleared(Message):
    """A fault ended (from the scenario); temporary mitigations on the service end with it."""

    kind: Literal["FaultCleared"] = "FaultCleared"
    family: ClassVar[str] = "scenario"
    #: The service it is about.
    service: str
    #: The fault's name.
    fault: str

    def summary(self) -> str:
        return f"fault {self.fault} on {self.service} cleared"


class SliReported(Message):
    """One sample of one SLO: the SLI, the budget left and the burn of each window. Said
    for the services someone watches and whenever the SLO's SLI, action, severity or
    paging changed; every sample's figures are in the run's series (``bus/series.py``)."""

    kind: Literal["SliReported"] = "SliReported"
    family: ClassVar[str] = "monitor"
    #: The SLO's name.
    slo: str
    #: The service it is about.
    service: str
    #: What the SLO measures (error_rate, answer_quality, ...).
    symptom: str
    #: The SLO's objective, 0..1.
    objective: float
    #: The SLI of this sample's requests.
    sli: float
    #: 1 - burn over the longest window (negative: overspent).
    budget_remaining: float
    #: Burn rate per window, by window name (fast, slow; or 5m, 1h, ...).
    burns: dict[str, float]
    #: What the SLO's policy decided on this sample.
    action: PolicyAction
    #: The alert's severity when the policy tickets or pages.
    severity: AlertSeverity | None
    #: Whether a paging rule's condition holds on this sample (a paging tier's short window
    #: above its threshold; the two-window policy: it says page). False: the pager's rules
    #: would be inactive, which is what a responder calls recovered.
    paging: bool = False
    #: The lowest burn rate any of its paging rules pages at (None: none pages).
    page_at: float | None = None
    #: During a canary: the SLI of the candidate's own slice of traffic, and of the stable
    #: release's slice (None: no canary).
    canary_sli: float | None = None
    #: The stable release's slice (None: no canary).
    stable_sli: float | None = None
    #: Requests in this sample (the rate, its day's curve and noise, what faults hide).
    requests: float | None = None

    def summary(self) -> str:
        burns = ", ".join(f"{k} {v:.1f}x" for k, v in self.burns.items())
        return f"{self.slo}: SLI {self.sli:.1%}, budget {self.budget_remaining:.0%}, burn {burns} -> {self.action}"


class AlertFired(Message):
    """An SLO's policy went from ok to ticket or page, or from ticket to page."""

    kind: Literal["AlertFired"] = "AlertFired"
    family: ClassVar[str] = "monitor"
    #: The alert's id (A-001, ...), the same while it fires.
    alert: str
    #: service/symptom: alerts with the same fingerprint are one alert.
    fingerprint: str
    #: The service it is about.
    service: str
    #: What the SLO measures (error_rate, answer_quality, ...).
    symptom: str
    #: The SLO's name.
    slo: str
    #: What it asks for.
    action: AlertAction
    #: Its severity (sev1 worst).
    severity: AlertSeverity
    #: The SLI of the sample that fired it.
    sli: float
    #: Burn rate per window at that sample.
    burns: dict[str, float]
    #: Why it fired, in words (the policy's rule and figures).
    reason: str
    #: The alert's labels (team, tier, and ``error``: the fault signatures in the logs).
    labels: dict[str, str] = Field(default_factory=dict)

    def summary(self) -> str:
        return f"{self.alert} {self.fingerprint} {self.severity} {self.action}: {self.reason}"


class AlertResolved(Message):
    """A firing alert's SLO is back within its policy."""

    kind: Literal["AlertResolved"] = "AlertResolved"
    family: ClassVar[str] = "monitor"
    #: The alert's id (A-001, ...), the same while it fires.
    alert: str
    #: service/symptom: alerts with the same fingerprint are one alert.
    fingerprint: str
    #: The service it is about.
    service: str
    #: What the SLO measures (error_rate, answer_quality, ...).
    symptom: str
    #: The SLO's name.
    slo: str
    #: The SLI of the sample that resolved it.
    sli: float
    #: Why it resolved, in words.
    reason: str

    def summary(self) -> str:
        return f"{self.alert} {self.fingerprint} resolved: {self.reason}"


class AlertPending(Message):
    """A burn-rate rule's condition became true (it holds ``for:`` before firing), or a
    pending rule's condition turned false before it fired: the states of a Prometheus
    alerting rule that the trace shows besides firing and resolved."""

    kind: Literal["AlertPending"] = "AlertPending"
    family: ClassVar[str] = "monitor"
    #: The alert's id (A-001, ...): it keeps it if it fires.
    alert: str
    #: service/symptom/rule.
    fingerprint: str
    #: The service it is about.
    service: str
    #: The SLO's name.
    slo: str
    #: The alerting rule's name (its tier, or its group of tiers).
    rule: str
    #: "pending" (the condition became true) or "inactive" (false again before it fired).
    state: Literal["pending", "inactive"]
    #: The rule's ``for:`` hold, in seconds.
    hold: float
    #: Why, in words.
    reason: str

    def summary(self) -> str:
        if self.state == "pending":
            return f"{self.alert} {self.fingerprint} pending for {self.hold:g}s: {self.reason}"
        return f"{self.alert} {self.fingerprint} back to inactive before firing: {self.reason}"


# --- alertmanager ----------------------------------------------------------------------


class Notified(Message):
    """An aggregation group's notification to its receiver (Alertmanager's flush): the
    first after ``group_wait``, updates at ``group_interval`` ticks when its alerts changed,
    repeats after ``repeat_interval``."""

    kind: Literal["Notified"] = "Notified"
    family: ClassVar[str] = "alertmanager"
    #: The receiver notified.
    receiver: str
    #: The aggregation group: the route and the values of its group_by labels.
    group: str
    #: Sequence numbers of the AlertFired envelopes of the alerts firing in it.
    firing: list[int]
    #: Sequence numbers of the AlertFired envelopes of its alerts resolved since the last one.
    resolved: list[int] = Field(default_factory=list)
    #: first, update, repeat or resolved.
    reason: Literal["first", "update", "repeat", "resolved"]
    #: Whether the receiver pages someone (a PagerDuty, Opsgenie or VictorOps config).
    pages: bool = False
    #: The paging service it opens incidents on (scenario ``paging:``), when it pages.
    paging_service: str | None = None

    def summary(self) -> str:
        gone = f", {len(self.resolved)} resolved" if self.resolved else ""
        return f"{self.receiver} <- {self.group}: {len(self.firing)} firing{gone} ({self.reason})"


class AlertMuted(Message):
    """An alert left out of its group's notification, or back in: by a silence, an inhibit
    rule, or a time interval of its route."""

    kind: Literal["AlertMuted"] = "AlertMuted"
    family: ClassVar[str] = "alertmanager"
    #: The alert's id.
    alert: str
    #: True: muted from now on; False: no longer muted.
    muted: bool
    #: What muted it: ``silence <comment>``, ``inhibited by A-001``, ``time interval <name>``.
    by: str

    def summary(self) -> str:
        return f"{self.alert} {'muted' if self.muted else 'no longer muted'}: {self.by}"


# --- correlator ----------------------------------------------------------------------


class TicketFiled(Message):
    """A user reported a problem (from the scenario)."""

    kind: Literal["TicketFiled"] = "TicketFiled"
    family: ClassVar[str] = "scenario"
    #: The ticket's id.
    ticket: str
    #: Who reported it (a display text).
    reporter: str
    #: The text, as written.
    text: str
    #: The service the reporter names, if any.
    service: str | None = None
    #: How many users the reporter says are affected.
    users_affected: int = 1

    def summary(self) -> str:
        where = f" ({self.service})" if self.service else ""
        return f"{self.ticket} from {self.reporter}{where}: {self.text!r}"


class TicketTriaged(Message):
    """The correlator's triage of a ticket: severity, route, and the incident it joins."""

    kind: Literal["TicketTriaged"] = "TicketTriaged"
    family: ClassVar[str] = "correlator"
    #: The ticket's id.
    ticket: str
    #: The severity triage gave it.
    severity: Severity
    #: The escalation level it routes to (None: the ticket queue, no page).
    route: str | None
    #: The incident it was linked to, or the ticket-only incident it opened.
    incident: str
    #: True: joined an open incident; False: opened a ticket-only one.
    linked: bool
    #: The triage rule that decided the severity, in words.
    rule: str

    def summary(self) -> str:
        how = "linked to" if self.linked else "opened"
        route = f"routed to {self.route}" if self.route else "ticket queue"
        return f"{self.ticket} {self.severity}, {route}, {how} {self.incident} ({self.rule})"


#: (service, role, alert ids in the order they fired): members of an incident from one
#: service, and why they are there. Roles: ``root`` the cause's own alert; ``grouped``
#: another symptom of the root service; ``inhibited`` a symptom above the root, muted
#: because its cause is alerting. One entry per service and role, not per alert: a storm
#: of 100k alerts reads (and validates) as lists of ids.
Placement = tuple[str, Role, list[str]]


def placement_reason(role: str, cause: str | None) -> str:
    """The sentence the trace gives for a role."""
    return {
        "root": f"root cause: {cause}",
        "grouped": f"another symptom of the root {cause}",
        "inhibited": f"inhibited: its dependency {cause} is the cause",
        "duplicate": "duplicate of a firing alert",
        "expired": "resolved within group_wait, before it was grouped",
    }[role]


class AlertCorrelated(Message):
    """An alert that joined no incident: a duplicate of a firing one, or one that resolved
    before it was grouped. (Alerts that join incidents are listed in the incident's
    ``IncidentOpened`` / ``IncidentUpdated`` placements.)"""

    kind: Literal["AlertCorrelated"] = "AlertCorrelated"
    family: ClassVar[str] = "correlator"
    #: The alert's id (A-001, ...), the same while it fires.
    alert: str
    #: service/symptom: alerts with the same fingerprint are one alert.
    fingerprint: str
    #: The incident it was folded into, if any.
    incident: str | None
    #: Why it is where it is (duplicate, expired).
    role: Role
    #: The alert or service that explains it, if any.
    cause: str | None
    #: Why, in words (what the console and the postmortem show).
    reason: str

    def summary(self) -> str:
        return f"{self.alert} {self.fingerprint} -> {self.incident or '-'}: {self.reason}"


class IncidentOpened(Message):
    """A new incident about one root cause (or one user ticket); the pager takes it."""

    kind: Literal["IncidentOpened"] = "IncidentOpened"
    family: ClassVar[str] = "correlator"
    #: The incident it is about.
    incident: str
    #: A one-line title: root service, symptom, how many alerts inhibited.
    title: str
    #: The service named as the root cause.
    root_service: str
    #: The root alert's symptom.
    symptom: str
    #: Its severity (sev1 worst).
    severity: Severity
    #: page: someone must act now; ticket: the queue.
    action: AlertAction
    #: The level triage routed it to (None: the ladder's first).
    route: str | None = None
    #: What opened it: alerts, or a user ticket.
    source: Literal["alerts", "ticket"] = "alerts"
    #: The services whose alerts it holds, root first.
    affected: list[str] = Field(default_factory=list)
    #: The paging service (PagerDuty) its alerts were routed to (None: the default).
    paging_service: str | None = None
    #: What the root's logs say (fault signatures), for runbook triage.
    signature: str | None = None
    #: The root alert's burn rate per window when it fired.
    burns: dict[str, float] = Field(default_factory=dict)
    #: The root alert's SLI when it fired.
    sli: float | None = None
    #: How the alerts were placed, in words.
    reason: str = ""
    #: Each member alert, and why it is here.
    placements: list[Placement] = Field(default_factory=list)

    @property
    def alerts(self) -> list[str]:
        """The member alerts' ids, in placement order."""
        return [alert for _, _, ids in self.placements for alert in ids]

    def summary(self) -> str:
        return f"{self.incident} {self.severity} {self.action}: {self.title}; {_roles(self.placements)}"


class IncidentUpdated(Message):
    """An open incident grew (alerts joined, a ticket linked) or its severity changed."""

    kind: Literal["IncidentUpdated"] = "IncidentUpdated"
    family: ClassVar[str] = "correlator"
    #: The incident it is about.
    incident: str
    #: Its severity now (the worst of its alerts).
    severity: Severity
    #: How many alerts it holds now.
    alert_count: int
    #: How many services are affected now.
    affected_count: int
    #: The user tickets linked to it so far.
    tickets: list[str] = Field(default_factory=list)
    #: Why, in words (what the console and the postmortem show).
    reason: str
    #: The alerts that joined with this update, and why.
    placements: list[Placement] = Field(default_factory=list)

    def summary(self) -> str:
        return f"{self.incident} {self.severity}: {self.alert_count} alerts, {self.affected_count} services ({self.reason})"


class IncidentResolved(Message):
    """An incident is over: its responder resolved it, or all its alerts resolved."""

    kind: Literal["IncidentResolved"] = "IncidentResolved"
    family: ClassVar[str] = "correlator"
    #: The incident it is about.
    incident: str
    #: Who resolved it: a responder, or the correlator (every alert resolved).
    by: str
    #: Why, in words (what the console and the postmortem show).
    reason: str

    def summary(self) -> str:
        return f"{self.incident} resolved by {self.by}: {self.reason}"


# --- pager and responders --------------------------------------------------------------


class IncidentTriggered(Message):
    """The pager took an incident: escalation starts at ``level``."""

    kind: Literal["IncidentTriggered"] = "IncidentTriggered"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: Its severity (sev1 worst).
    severity: Severity
    #: The level escalation starts at.
    level: str
    #: Why, in words (what the console and the postmortem show).
    reason: str
    #: PagerDuty's urgency, decided now: high pages and escalates; low notifies by the
    #: low-urgency rules and does not escalate.
    urgency: Literal["high", "low"] = "high"
    #: The paging service it runs on (None: the escalation: ladder).
    service: str | None = None
    #: The escalation policy it runs (None: the escalation: ladder).
    policy: str | None = None

    def summary(self) -> str:
        return f"{self.incident} {self.severity} triggered at {self.level} ({self.reason})"


class TicketQueued(Message):
    """A sev3/sev4 incident goes to the ticket queue: it never pages."""

    kind: Literal["TicketQueued"] = "TicketQueued"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: Its severity (sev1 worst).
    severity: Severity

    def summary(self) -> str:
        return f"{self.incident} {self.severity} queued as a ticket (no page)"


class Page(Message):
    """Wake a responder up (PagerDuty's "notified")."""

    kind: Literal["Page"] = "Page"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: The responder's name.
    responder: str
    #: The level being paged.
    level: str
    #: Its severity (sev1 worst).
    severity: Severity
    #: The incident's title.
    title: str
    #: The incident's root service.
    service: str
    #: The incident's symptom.
    symptom: str
    #: The fault signature the service's logs show, if any.
    signature: str | None = None
    #: Which run of the ladder this is (0: the first).
    loop: int = 0
    #: The incident's urgency (the responder's notification rules for it apply).
    urgency: Literal["high", "low"] = "high"
    #: Runbook steps already tried by the levels below.
    tried: list[str] = Field(default_factory=list)
    #: Why this page (first page, escalated, repeated, re-triggered).
    reason: str = ""

    def summary(self) -> str:
        return f"page {self.level} {self.responder}: {self.incident} {self.severity}, {self.reason or self.title}"


class PageAcked(Message):
    """A responder acknowledges a page (this is the message ack drops drop)."""

    kind: Literal["PageAcked"] = "PageAcked"
    family: ClassVar[str] = "responder"
    #: The incident it is about.
    incident: str
    #: The responder's name.
    responder: str
    #: The level the responder acks at.
    level: str

    def summary(self) -> str:
        return f"{self.responder} ({self.level}) acks {self.incident}"


class EscalateIncident(Message):
    """A person asks the pager to escalate an incident now (a tabletop drill's scripted
    action): the next rule is paged at once."""

    kind: Literal["EscalateIncident"] = "EscalateIncident"
    family: ClassVar[str] = "responder"
    #: The incident it is about.
    incident: str
    #: Who asks.
    by: str

    def summary(self) -> str:
        return f"{self.by} escalates {self.incident}"


class ReassignIncident(Message):
    """A person hands an incident to someone by name (a scripted action): the pager pages
    them at the incident's level."""

    kind: Literal["ReassignIncident"] = "ReassignIncident"
    family: ClassVar[str] = "responder"
    #: The incident it is about.
    incident: str
    #: Who reassigns it (None: the scenario).
    by: str | None = None
    #: Who takes it.
    to: str

    def summary(self) -> str:
        return f"{self.incident} reassigned to {self.to}" + (f" by {self.by}" if self.by else "")


class ResponderNotified(Message):
    """A person's notification rule told them of a page (push, SMS, phone, email), and
    whether it reached them (asleep, only some methods wake them)."""

    kind: Literal["ResponderNotified"] = "ResponderNotified"
    family: ClassVar[str] = "responder"
    #: The incident it is about.
    incident: str
    #: The responder's name.
    responder: str
    #: How: push, sms, phone or email.
    method: str
    #: Seconds after the page.
    after: float
    #: Whether they noticed it (False: asleep, and this method does not wake them).
    noticed: bool

    def summary(self) -> str:
        seen = "noticed" if self.noticed else "slept through it"
        return f"{self.responder} notified of {self.incident} by {self.method} (+{self.after:g}s): {seen}"


class IncidentAcknowledged(Message):
    """The pager recorded an ack: escalation halts; the ack timeout starts."""

    kind: Literal["IncidentAcknowledged"] = "IncidentAcknowledged"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: The responder whose ack was recorded.
    by: str
    #: The level they were paged at.
    level: str
    #: Seconds from the incident's trigger to this ack.
    after: float

    def summary(self) -> str:
        return f"{self.incident} acknowledged by {self.by} ({self.level}) after {self.after:g}s"


class Escalated(Message):
    """No ack in time (or a hand-off): the incident moves up a level."""

    kind: Literal["Escalated"] = "Escalated"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: The level that did not ack (or handed off).
    from_level: str
    #: The level paged now.
    to_level: str
    #: Why, in words (what the console and the postmortem show).
    reason: str

    def summary(self) -> str:
        return f"{self.incident} escalated {self.from_level} -> {self.to_level}: {self.reason}"


class LadderRepeated(Message):
    """The last level did not ack either: the ladder runs again from its first level."""

    kind: Literal["LadderRepeated"] = "LadderRepeated"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: Which repeat this is (1: the first repeat).
    loop: int
    #: How many repeats the ladder has.
    of: int

    def summary(self) -> str:
        return f"{self.incident}: nobody acked, the ladder runs again ({self.loop} of {self.of})"


class AckTimedOut(Message):
    """Acked but not resolved within ack_timeout: back to triggered (PagerDuty's "unacknowledged")."""

    kind: Literal["AckTimedOut"] = "AckTimedOut"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: Who had acked.
    by: str
    #: The level they had acked at.
    level: str
    #: The ack timeout, in seconds.
    timeout: float

    def summary(self) -> str:
        return f"{self.incident} acked by {self.by} but unresolved after {self.timeout:g}s: triggered again"


class EscalationExhausted(Message):
    """Every level, every repeat, and nobody acked: the incident is flagged."""

    kind: Literal["EscalationExhausted"] = "EscalationExhausted"
    family: ClassVar[str] = "pager"
    #: The incident it is about.
    incident: str
    #: How many times the ladder repeated.
    loops: int
    #: The ladder's levels, in order.
    levels: list[str]
    #: Why, when it is not that nobody acked (e.g. the last level handed off).
    reason: str = ""

    def summary(self) -> str:
        why = self.reason or "nobody acked"
        return f"{self.incident}: ladder exhausted ({len(self.levels)} levels x {self.loops + 1} runs), {why}"


class StepTaken(Message):
    """A responder ran a runbook step."""

    kind: Literal["StepTaken"] = "StepTaken"
    family: ClassVar[str] = "responder"
    #: The incident it is about.
    incident: str
    #: The responder's name.
    responder: str
    #: The runbook step's name.
    step: str
    #: What the step does: mitigate, roll back or fix.
    action: StepAction
    #: The service the step acts on.
    service: str
    #: The step's place in the runbook, from 1.
    number: int

    def summary(self) -> str:
        return f"{self.responder} step {self.number}: {self.step} ({self.action} on {self.service})"


class MitigationApplied(Message):
    """A mitigation is in place: the service's SLI is lifted to at least ``sli``."""

    kind: Literal["MitigationApplied"] = "MitigationApplied"
    family: ClassVar[str] = "responder"
    #: The service it is about.
    service: str
    #: The runbook step's name.
    step: str
    #: The SLI the service is lifted to at least.
    sli: float

    def summary(self) -> str:
        return f"{self.step} on {self.service}: SLI lifted to {self.sli:.0%}"


class FixApplied(Message):
    """A fix ends the faults with a signature on a service (e.g. a reindex)."""

    kind: Literal["FixApplied"] = "FixApplied"
    family: ClassVar[str] = "responder"
    #: The service it is about.
    service: str
    #: The runbook step's name.
    step: str
    #: The fault signature the fix ends.
    signature: str

    def summary(self) -> str:
        return f"{self.step} on {self.service} ends {self.signature}"


class RequestRollback(Message):
    """Roll the service back to its last good release (the release manager's job)."""

    kind: Literal["RequestRollback"] = "RequestRollback"
    family: ClassVar[str] = "responder"
    #: The service to roll back.
    service: str
    #: Why, in words (what the console and the postmortem show).
    reason: str

    def summary(self) -> str:
        return f"roll back {self.service}: {self.reason}"


class HandedOff(Message):
    """A responder cannot finish: a step they may not run, or a runbook run out while
    still unhealthy. The pager pages the next level, with what was tried."""

    kind: Literal["HandedOff"] = "HandedOff"
    family: ClassVar[str] = "responder"
    #: The incident it is about.
    incident: str
    #: The responder's name.
    responder: str
    #: The hander's level.
    level: str
    #: The runbook steps tried so far.
    tried: list[str]
    #: Why, in words (what the console and the postmortem show).
    reason: str
    #: Why, as a fact: a step above their level (min_level), the runbook run out or none for
    #: it (runbook), busy with another incident (busy), a person's own choice (person).
    cause: Literal["min_level", "runbook", "busy", "person"] = "runbook"

    def summary(self) -> str:
        tried = ", ".join(self.tried) or "nothing yet"
        return f"{self.responder} ({self.level}) hands {self.incident} off: {self.reason} (tried: {tried})"


# --- releases, postmortems --------------------------------------------------------------


class DeployRequested(Message):
    """Ship a release (from the scenario): straight to live, or through the canary."""

    kind: Literal["DeployRequested"] = "DeployRequested"
    family: ClassVar[str] = "scenario"
    #: The release's name.
    release: str
    #: Through the canary (True) or straight to live.
    canary: bool = False

    def summary(self) -> str:
        return f"deploy {self.release}" + (" through the canary" if self.canary else " (no canary)")


class ReleaseLive(Message):
    """What serves a service now: its quality drives the service model."""

    kind: Literal["ReleaseLive"] = "ReleaseLive"
    family: ClassVar[str] = "release"
    #: The service it is about.
    service: str
    #: The live release.
    release: str
    #: The good share it serves: live and candidate blended by weight.
    quality: float
    #: During a canary: the candidate and the share of traffic it takes.
    candidate: str | None = None
    #: The candidate's share of traffic, 0..1.
    weight: float = 0.0
    #: During a canary: the live release's own quality.
    stable_quality: float | None = None
    #: During a canary: the candidate's own quality.
    candidate_quality: float | None = None

    def summary(self) -> str:
        if self.candidate:
            return f"{self.service}: {self.release} with {self.candidate} at {self.weight:.0%} (quality {self.quality:.0%})"
        return f"{self.service}: {self.release} live (quality {self.quality:.0%})"


class Deployed(Message):
    """A release went live without a canary."""

    kind: Literal["Deployed"] = "Deployed"
    family: ClassVar[str] = "release"
    #: The service it is about.
    service: str
    #: The release's name.
    release: str
    #: The release it replaced.
    previous: str
    #: Whether it came through a canary.
    canary: bool = False

    def summary(self) -> str:
        return f"{self.release} deployed to {self.service} (was {self.previous}), no canary"


class RolledBack(Message):
    """Back to the last good release; the bad one is marked."""

    kind: Literal["RolledBack"] = "RolledBack"
    family: ClassVar[str] = "release"
    #: The service it is about.
    service: str
    #: The release rolled back, now marked bad.
    bad: str
    #: The last good release, live again.
    to: str
    #: Why, in words (what the console and the postmortem show).
    reason: str
    #: Eval questions the bad release answers wrong.
    regressed: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        return f"rolled back {self.bad} -> {self.to} on {self.service} ({self.reason})"


class CanaryStep(Message):
    """A canary step's analysis: pass, fail or inconclusive."""

    kind: Literal["CanaryStep"] = "CanaryStep"
    family: ClassVar[str] = "release"
    #: The release's name.
    release: str
    #: The candidate's share of traffic, 0..1.
    weight: float
    #: The SLI of the candidate's own traffic over the step's analysis window (None: no sample).
    sli: float | None
    #: The analysis: pass, fail or inconclusive.
    result: CanaryResult
    #: The stable release's slice over the same window.
    stable_sli: float | None = None
    #: Why, in words.
    reason: str = ""

    def summary(self) -> str:
        sli = "no SLI" if self.sli is None else f"canary SLI {self.sli:.1%}"
        return f"canary {self.release} at {self.weight:.0%}: {sli} -> {self.result}"


class CanaryVerdict(Message):
    """The canary's decision, with the scores and the failed cases."""

    kind: Literal["CanaryVerdict"] = "CanaryVerdict"
    family: ClassVar[str] = "release"
    #: The release's name.
    release: str
    #: The service the release is for.
    service: str
    #: promote, reject, abort or hold.
    verdict: CanaryDecision
    #: The candidate's score on the eval set, 0..1.
    candidate_score: float
    #: The live release's score on the eval set, 0..1.
    live_score: float
    #: Eval questions and regression cases the candidate failed.
    failed_cases: list[str]
    #: The release live once the decision took effect.
    live_after: str
    #: Why, in words (what the console and the postmortem show).
    reason: str

    def summary(self) -> str:
        return (
            f"{self.release} canary decision: {self.verdict} (score {self.candidate_score:.0%} vs live "
            f"{self.live_score:.0%}); live is {self.live_after}: {self.reason}"
        )


class RegressionCase(BaseModel):
    """An eval case born of an incident: the condition, and what must hold under it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: ``regression-<incident>``.
    id: str
    #: The incident it was born of.
    incident: str
    #: The condition to reproduce, in words.
    condition: str
    #: What must hold under it.
    expect: str = "service stays within SLO / degrades safely under this condition"
    #: The service it is about.
    service: str
    #: For answer regressions: the question the bad release got wrong.
    question: str | None = None
    #: For answer regressions: the right answer to it.
    answer: str | None = None


class RegressionCaseAdded(Message):
    """The postmortem writer turned an incident into a regression case."""

    kind: Literal["RegressionCaseAdded"] = "RegressionCaseAdded"
    family: ClassVar[str] = "postmortem"
    #: The case added to the eval set.
    case: RegressionCase

    def summary(self) -> str:
        what = f"{self.case.question!r} must answer {self.case.answer!r}" if self.case.question else self.case.condition
        return f"{self.case.id}: {what}"


class PostmortemWritten(Message):
    """A blameless postmortem, in Markdown (the CLI writes it under --out)."""

    kind: Literal["PostmortemWritten"] = "PostmortemWritten"
    family: ClassVar[str] = "postmortem"
    #: The incident it is about.
    incident: str
    #: The postmortem's title.
    title: str
    #: The template's sections, in order.
    sections: list[str]
    #: The whole postmortem, as Markdown.
    markdown: str

    def summary(self) -> str:
        return f"postmortem {self.incident}: {self.title} ({len(self.sections)} sections)"


def _roles(placements: list[Placement]) -> str:
    counts: dict[str, int] = {}
    for _, role, ids in placements:
        counts[role] = counts.get(role, 0) + len(ids)
    return ", ".join(f"{n} {role}" for role, n in counts.items()) or "no alerts"


#: Every message, as one discriminated union on ``kind`` (written out, so the type checker
#: knows it; a test checks it against the classes that register themselves).
AnyMessage = Annotated[
    DrillNote
    | Unhandled
    | ActorCrashed
    | CrashInjected
    | ActorRestarted
    | FaultStarted
    | FaultCleared
    | SliReported
    | AlertFired
    | AlertResolved
    | AlertPending
    | Notified
    | AlertMuted
    | TicketFiled
    | TicketTriaged
    | AlertCorrelated
    | IncidentOpened
    | IncidentUpdated
    | IncidentResolved
    | IncidentTriggered
    | TicketQueued
    | Page
    | PageAcked
    | ResponderNotified
    | EscalateIncident
    | ReassignIncident
    | IncidentAcknowledged
    | Escalated
    | LadderRepeated
    | AckTimedOut
    | EscalationExhausted
    | StepTaken
    | MitigationApplied
    | FixApplied
    | RequestRollback
    | HandedOff
    | DeployRequested
    | ReleaseLive
    | Deployed
    | RolledBack
    | CanaryStep
    | CanaryVerdict
    | RegressionCaseAdded
    | PostmortemWritten,
    Field(discriminator="kind"),
]

_adapter: TypeAdapter[AnyMessage] | None = None


def message_adapter() -> TypeAdapter[AnyMessage]:
    """The union of every message, as a pydantic TypeAdapter (built on first use: building
    it costs a tenth of a second, which a run that reads no JSON back need not pay)."""
    global _adapter
    if _adapter is None:
        _adapter = TypeAdapter(AnyMessage)
    return _adapter


def parse_message(data: str | bytes | dict[str, Any]) -> Message:
    """Read any message back from its JSON text or its JSON-mode dict."""
    adapter = message_adapter()
    if isinstance(data, dict):
        return adapter.validate_python(data)
    return adapter.validate_json(data)
