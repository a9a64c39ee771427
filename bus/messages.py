"""Typed messages: frozen pydantic models, one discriminated union on ``kind``.

Facts are past tense (``AlertFired``, ``PageAcked``), commands imperative
(``RequestRollback``). Each message says in one line what it means (``summary``), which is
what the console shows. The envelope (sequence number, time, sender, recipients, causal
parent, incident) is the bus's business, not the message's.

Every concrete message class registers itself; :data:`MESSAGE_TYPES` maps each ``kind`` to
its class and :func:`parse_message` reads any of them back from JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "MESSAGE_TYPES",
    "AckTimedOut",
    "ActorCrashed",
    "ActorRestarted",
    "CrashInjected",
    "AlertCorrelated",
    "AlertFired",
    "AlertResolved",
    "CanaryStep",
    "CanaryVerdict",
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
    text: str

    def summary(self) -> str:
        return self.text


class Unhandled(Message):
    """An actor received a message it has no handler for; it was logged, not swallowed."""

    kind: Literal["Unhandled"] = "Unhandled"
    actor: str
    message_kind: str
    message_seq: int

    def summary(self) -> str:
        return f"{self.actor} has no handler for {self.message_kind} #{self.message_seq}"


class ActorCrashed(Message):
    """A handler raised; the supervisor restarts the actor or stops the run (exit 3)."""

    kind: Literal["ActorCrashed"] = "ActorCrashed"
    actor: str
    #: The message being handled when it crashed (None: a timer or a start hook).
    message_kind: str | None
    message_seq: int | None
    error: str
    restart: bool

    def summary(self) -> str:
        where = f" on {self.message_kind} #{self.message_seq}" if self.message_kind else ""
        then = "restarting" if self.restart else "stopping the run"
        return f"{self.actor} crashed{where}: {self.error} ({then})"


class CrashInjected(Message):
    """The scenario arms a crash: the actor's next handler raises."""

    kind: Literal["CrashInjected"] = "CrashInjected"
    family: ClassVar[str] = "scenario"
    actor: str

    def summary(self) -> str:
        return f"{self.actor}'s next handler will raise"


class ActorRestarted(Message):
    """The supervisor restarted an actor; its state was rebuilt from the trace."""

    kind: Literal["ActorRestarted"] = "ActorRestarted"
    actor: str
    replayed: int = Field(description="messages of the trace replayed to rebuild its state")

    def summary(self) -> str:
        return f"{self.actor} restarted, state rebuilt from {self.replayed} traced messages"


# --- world and monitor -------------------------------------------------------------


class FaultStarted(Message):
    """A fault hit a service (from the scenario): its own health is multiplied by ``health``."""

    kind: Literal["FaultStarted"] = "FaultStarted"
    family: ClassVar[str] = "scenario"
    service: str
    fault: str
    health: float
    #: What the failure looks like from the service's logs (e.g. model_provider_outage).
    signature: str | None = None

    def summary(self) -> str:
        sig = f" ({self.signature})" if self.signature else ""
        return f"fault {self.fault} on {self.service}: health x{self.health:g}{sig}"


class FaultCleared(Message):
    """A fault ended (from the scenario); temporary mitigations on the service end with it."""

    kind: Literal["FaultCleared"] = "FaultCleared"
    family: ClassVar[str] = "scenario"
    service: str
    fault: str

    def summary(self) -> str:
        return f"fault {self.fault} on {self.service} cleared"


class SliReported(Message):
    """One sample of one SLO: the SLI, the budget left and the burn of each window."""

    kind: Literal["SliReported"] = "SliReported"
    family: ClassVar[str] = "monitor"
    slo: str
    service: str
    symptom: str
    objective: float
    #: The SLI of this sample's requests.
    sli: float
    #: 1 - burn over the longest window (negative: overspent).
    budget_remaining: float
    #: Burn rate per window, by window name (fast, slow; or 5m, 1h, ...).
    burns: dict[str, float]
    action: Literal["ok", "ticket", "page"]
    severity: Literal["sev1", "sev2", "sev3"] | None

    def summary(self) -> str:
        burns = ", ".join(f"{k} {v:.1f}x" for k, v in self.burns.items())
        return f"{self.slo}: SLI {self.sli:.1%}, budget {self.budget_remaining:.0%}, burn {burns} -> {self.action}"


class AlertFired(Message):
    """An SLO's policy went from ok to ticket or page, or from ticket to page."""

    kind: Literal["AlertFired"] = "AlertFired"
    family: ClassVar[str] = "monitor"
    alert: str
    #: service/symptom: alerts with the same fingerprint are one alert.
    fingerprint: str
    service: str
    symptom: str
    slo: str
    action: Literal["ticket", "page"]
    severity: Literal["sev1", "sev2", "sev3"]
    sli: float
    burns: dict[str, float]
    reason: str
    labels: dict[str, str] = Field(default_factory=dict)

    def summary(self) -> str:
        return f"{self.alert} {self.fingerprint} {self.severity} {self.action}: {self.reason}"


class AlertResolved(Message):
    """A firing alert's SLO is back within its policy."""

    kind: Literal["AlertResolved"] = "AlertResolved"
    family: ClassVar[str] = "monitor"
    alert: str
    fingerprint: str
    service: str
    symptom: str
    slo: str
    sli: float
    reason: str

    def summary(self) -> str:
        return f"{self.alert} {self.fingerprint} resolved: {self.reason}"


# --- correlator ----------------------------------------------------------------------

SeverityName = Literal["sev1", "sev2", "sev3", "sev4"]


class TicketFiled(Message):
    """A user reported a problem (from the scenario)."""

    kind: Literal["TicketFiled"] = "TicketFiled"
    family: ClassVar[str] = "scenario"
    ticket: str
    reporter: str
    text: str
    #: The service the reporter names, if any.
    service: str | None = None
    users_affected: int = 1

    def summary(self) -> str:
        where = f" ({self.service})" if self.service else ""
        return f"{self.ticket} from {self.reporter}{where}: {self.text!r}"


class TicketTriaged(Message):
    """The correlator's triage of a ticket: severity, route, and the incident it joins."""

    kind: Literal["TicketTriaged"] = "TicketTriaged"
    family: ClassVar[str] = "correlator"
    ticket: str
    severity: SeverityName
    #: The escalation level it routes to (None: the ticket queue, no page).
    route: str | None
    #: The incident it was linked to, or the ticket-only incident it opened.
    incident: str
    linked: bool
    rule: str

    def summary(self) -> str:
        how = "linked to" if self.linked else "opened"
        route = f"routed to {self.route}" if self.route else "ticket queue"
        return f"{self.ticket} {self.severity}, {route}, {how} {self.incident} ({self.rule})"


Role = Literal["root", "inhibited", "grouped", "duplicate", "expired"]


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
    alert: str
    fingerprint: str
    incident: str | None
    role: Role
    cause: str | None
    reason: str

    def summary(self) -> str:
        return f"{self.alert} {self.fingerprint} -> {self.incident or '-'}: {self.reason}"


class IncidentOpened(Message):
    """A new incident about one root cause (or one user ticket); the pager takes it."""

    kind: Literal["IncidentOpened"] = "IncidentOpened"
    family: ClassVar[str] = "correlator"
    incident: str
    title: str
    root_service: str
    symptom: str
    severity: SeverityName
    #: page: someone must act now; ticket: the queue.
    action: Literal["page", "ticket"]
    #: The level triage routed it to (None: the ladder's first).
    route: str | None = None
    source: Literal["alerts", "ticket"] = "alerts"
    affected: list[str] = Field(default_factory=list)
    #: What the root's logs say (fault signatures), for runbook triage.
    signature: str | None = None
    burns: dict[str, float] = Field(default_factory=dict)
    sli: float | None = None
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
    incident: str
    severity: SeverityName
    alert_count: int
    affected_count: int
    tickets: list[str] = Field(default_factory=list)
    reason: str
    #: The alerts that joined with this update, and why.
    placements: list[Placement] = Field(default_factory=list)

    def summary(self) -> str:
        return f"{self.incident} {self.severity}: {self.alert_count} alerts, {self.affected_count} services ({self.reason})"


class IncidentResolved(Message):
    """An incident is over: its responder resolved it, or all its alerts resolved."""

    kind: Literal["IncidentResolved"] = "IncidentResolved"
    family: ClassVar[str] = "correlator"
    incident: str
    by: str
    reason: str

    def summary(self) -> str:
        return f"{self.incident} resolved by {self.by}: {self.reason}"


# --- pager and responders --------------------------------------------------------------


class IncidentTriggered(Message):
    """The pager took an incident: escalation starts at ``level``."""

    kind: Literal["IncidentTriggered"] = "IncidentTriggered"
    family: ClassVar[str] = "pager"
    incident: str
    severity: SeverityName
    level: str
    reason: str

    def summary(self) -> str:
        return f"{self.incident} {self.severity} triggered at {self.level} ({self.reason})"


class TicketQueued(Message):
    """A sev3/sev4 incident goes to the ticket queue: it never pages."""

    kind: Literal["TicketQueued"] = "TicketQueued"
    family: ClassVar[str] = "pager"
    incident: str
    severity: SeverityName

    def summary(self) -> str:
        return f"{self.incident} {self.severity} queued as a ticket (no page)"


class Page(Message):
    """Wake a responder up (PagerDuty's "notified")."""

    kind: Literal["Page"] = "Page"
    family: ClassVar[str] = "pager"
    incident: str
    responder: str
    level: str
    severity: SeverityName
    title: str
    service: str
    symptom: str
    signature: str | None = None
    #: Which run of the ladder this is (0: the first).
    loop: int = 0
    #: Runbook steps already tried by the levels below.
    tried: list[str] = Field(default_factory=list)
    reason: str = ""

    def summary(self) -> str:
        return f"page {self.level} {self.responder}: {self.incident} {self.severity}, {self.reason or self.title}"


class PageAcked(Message):
    """A responder acknowledges a page (this is the message ack drops drop)."""

    kind: Literal["PageAcked"] = "PageAcked"
    family: ClassVar[str] = "responder"
    incident: str
    responder: str
    level: str

    def summary(self) -> str:
        return f"{self.responder} ({self.level}) acks {self.incident}"


class IncidentAcknowledged(Message):
    """The pager recorded an ack: escalation halts; the ack timeout starts."""

    kind: Literal["IncidentAcknowledged"] = "IncidentAcknowledged"
    family: ClassVar[str] = "pager"
    incident: str
    by: str
    level: str
    #: Seconds from the incident's trigger to this ack.
    after: float

    def summary(self) -> str:
        return f"{self.incident} acknowledged by {self.by} ({self.level}) after {self.after:g}s"


class Escalated(Message):
    """No ack in time (or a hand-off): the incident moves up a level."""

    kind: Literal["Escalated"] = "Escalated"
    family: ClassVar[str] = "pager"
    incident: str
    from_level: str
    to_level: str
    reason: str

    def summary(self) -> str:
        return f"{self.incident} escalated {self.from_level} -> {self.to_level}: {self.reason}"


class LadderRepeated(Message):
    """The last level did not ack either: the ladder runs again from its first level."""

    kind: Literal["LadderRepeated"] = "LadderRepeated"
    family: ClassVar[str] = "pager"
    incident: str
    loop: int
    of: int

    def summary(self) -> str:
        return f"{self.incident}: nobody acked, the ladder runs again ({self.loop} of {self.of})"


class AckTimedOut(Message):
    """Acked but not resolved within ack_timeout: back to triggered (PagerDuty's "unacknowledged")."""

    kind: Literal["AckTimedOut"] = "AckTimedOut"
    family: ClassVar[str] = "pager"
    incident: str
    by: str
    level: str
    timeout: float

    def summary(self) -> str:
        return f"{self.incident} acked by {self.by} but unresolved after {self.timeout:g}s: triggered again"


class EscalationExhausted(Message):
    """Every level, every repeat, and nobody acked: the incident is flagged."""

    kind: Literal["EscalationExhausted"] = "EscalationExhausted"
    family: ClassVar[str] = "pager"
    incident: str
    loops: int
    levels: list[str]

    def summary(self) -> str:
        return f"{self.incident}: ladder exhausted ({len(self.levels)} levels x {self.loops + 1} runs), nobody acked"


class StepTaken(Message):
    """A responder ran a runbook step."""

    kind: Literal["StepTaken"] = "StepTaken"
    family: ClassVar[str] = "responder"
    incident: str
    responder: str
    step: str
    action: Literal["mitigate", "rollback", "fix"]
    service: str
    number: int

    def summary(self) -> str:
        return f"{self.responder} step {self.number}: {self.step} ({self.action} on {self.service})"


class MitigationApplied(Message):
    """A mitigation is in place: the service's SLI is lifted to at least ``sli``."""

    kind: Literal["MitigationApplied"] = "MitigationApplied"
    family: ClassVar[str] = "responder"
    service: str
    step: str
    sli: float

    def summary(self) -> str:
        return f"{self.step} on {self.service}: SLI lifted to {self.sli:.0%}"


class FixApplied(Message):
    """A fix ends the faults with a signature on a service (e.g. a reindex)."""

    kind: Literal["FixApplied"] = "FixApplied"
    family: ClassVar[str] = "responder"
    service: str
    step: str
    signature: str

    def summary(self) -> str:
        return f"{self.step} on {self.service} ends {self.signature}"


class RequestRollback(Message):
    """Roll the service back to its last good release (the release manager's job)."""

    kind: Literal["RequestRollback"] = "RequestRollback"
    family: ClassVar[str] = "responder"
    service: str
    reason: str

    def summary(self) -> str:
        return f"roll back {self.service}: {self.reason}"


class HandedOff(Message):
    """A responder cannot finish: a step they may not run, or a runbook run out while
    still unhealthy. The pager pages the next level, with what was tried."""

    kind: Literal["HandedOff"] = "HandedOff"
    family: ClassVar[str] = "responder"
    incident: str
    responder: str
    level: str
    tried: list[str]
    reason: str

    def summary(self) -> str:
        tried = ", ".join(self.tried) or "nothing yet"
        return f"{self.responder} ({self.level}) hands {self.incident} off: {self.reason} (tried: {tried})"


# --- releases, postmortems --------------------------------------------------------------


class DeployRequested(Message):
    """Ship a release (from the scenario): straight to live, or through the canary."""

    kind: Literal["DeployRequested"] = "DeployRequested"
    family: ClassVar[str] = "scenario"
    release: str
    canary: bool = False

    def summary(self) -> str:
        return f"deploy {self.release}" + (" through the canary" if self.canary else " (no canary)")


class ReleaseLive(Message):
    """What serves a service now: its quality drives the service model."""

    kind: Literal["ReleaseLive"] = "ReleaseLive"
    family: ClassVar[str] = "release"
    service: str
    release: str
    quality: float
    #: During a canary: the candidate and the share of traffic it takes.
    candidate: str | None = None
    weight: float = 0.0

    def summary(self) -> str:
        if self.candidate:
            return f"{self.service}: {self.release} with {self.candidate} at {self.weight:.0%} (quality {self.quality:.0%})"
        return f"{self.service}: {self.release} live (quality {self.quality:.0%})"


class Deployed(Message):
    """A release went live without a canary."""

    kind: Literal["Deployed"] = "Deployed"
    family: ClassVar[str] = "release"
    service: str
    release: str
    previous: str
    canary: bool = False

    def summary(self) -> str:
        return f"{self.release} deployed to {self.service} (was {self.previous}), no canary"


class RolledBack(Message):
    """Back to the last good release; the bad one is marked."""

    kind: Literal["RolledBack"] = "RolledBack"
    family: ClassVar[str] = "release"
    service: str
    bad: str
    to: str
    reason: str
    #: Eval questions the bad release answers wrong.
    regressed: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        return f"rolled back {self.bad} -> {self.to} on {self.service} ({self.reason})"


class CanaryStep(Message):
    """A canary step's analysis: pass, fail or inconclusive."""

    kind: Literal["CanaryStep"] = "CanaryStep"
    family: ClassVar[str] = "release"
    release: str
    weight: float
    sli: float | None
    result: Literal["pass", "fail", "inconclusive"]

    def summary(self) -> str:
        sli = "no SLI" if self.sli is None else f"SLI {self.sli:.1%}"
        return f"canary {self.release} at {self.weight:.0%}: {sli} -> {self.result}"


class CanaryVerdict(Message):
    """The canary's decision, with the scores and the failed cases."""

    kind: Literal["CanaryVerdict"] = "CanaryVerdict"
    family: ClassVar[str] = "release"
    release: str
    service: str
    verdict: Literal["promote", "reject", "abort", "hold"]
    candidate_score: float
    live_score: float
    failed_cases: list[str]
    live_after: str
    reason: str

    def summary(self) -> str:
        return (
            f"{self.release} canary decision: {self.verdict} (score {self.candidate_score:.0%} vs live "
            f"{self.live_score:.0%}); live is {self.live_after}: {self.reason}"
        )


class RegressionCase(BaseModel):
    """An eval case born of an incident: the condition, and what must hold under it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    incident: str
    condition: str
    expect: str = "service stays within SLO / degrades safely under this condition"
    service: str
    #: For answer regressions: the question the bad release got wrong, and the right answer.
    question: str | None = None
    answer: str | None = None


class RegressionCaseAdded(Message):
    """The postmortem writer turned an incident into a regression case."""

    kind: Literal["RegressionCaseAdded"] = "RegressionCaseAdded"
    family: ClassVar[str] = "postmortem"
    case: RegressionCase

    def summary(self) -> str:
        what = f"{self.case.question!r} must answer {self.case.answer!r}" if self.case.question else self.case.condition
        return f"{self.case.id}: {what}"


class PostmortemWritten(Message):
    """A blameless postmortem, in Markdown (the CLI writes it under --out)."""

    kind: Literal["PostmortemWritten"] = "PostmortemWritten"
    family: ClassVar[str] = "postmortem"
    incident: str
    title: str
    sections: list[str]
    markdown: str

    def summary(self) -> str:
        return f"postmortem {self.incident}: {self.title} ({len(self.sections)} sections)"


def _roles(placements: list[Placement]) -> str:
    counts: dict[str, int] = {}
    for _, role, ids in placements:
        counts[role] = counts.get(role, 0) + len(ids)
    return ", ".join(f"{n} {role}" for role, n in counts.items()) or "no alerts"


def _union() -> Any:
    types = tuple(MESSAGE_TYPES.values())
    if len(types) == 1:
        return types[0]
    return Annotated[Union[types], Field(discriminator="kind")]  # noqa: UP007


_adapter: TypeAdapter[Any] | None = None
_adapter_size = 0


def message_adapter() -> TypeAdapter[Any]:
    """The discriminated union of every registered message, as a pydantic TypeAdapter."""
    global _adapter, _adapter_size
    if _adapter is None or _adapter_size != len(MESSAGE_TYPES):
        _adapter = TypeAdapter(_union())
        _adapter_size = len(MESSAGE_TYPES)
    return _adapter


def parse_message(data: str | bytes | dict[str, Any]) -> Message:
    """Read any message back from its JSON text or its JSON-mode dict."""
    adapter = message_adapter()
    if isinstance(data, dict):
        return adapter.validate_python(data)  # type: ignore[no-any-return]
    return adapter.validate_json(data)  # type: ignore[no-any-return]
