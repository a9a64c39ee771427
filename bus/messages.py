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
    "ActorCrashed",
    "ActorRestarted",
    "AlertFired",
    "AlertResolved",
    "DrillNote",
    "FaultCleared",
    "FaultStarted",
    "Message",
    "SliReported",
    "Unhandled",
    "message_adapter",
    "parse_message",
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
