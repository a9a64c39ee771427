"""The scenario schema: pydantic models for a drill file. Unknown fields are errors.

Durations are written ``90s``, ``5m``, ``1h30m``, ``3d`` (or a bare number of seconds).
``python -m actors.run --schema`` prints this schema as JSON Schema for editors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from bus.vtime import parse_duration

__all__ = ["Duration", "Event", "FaultSpec", "Scenario", "Supervision"]

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^(\d+(\.\d+)?d)?(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?$"},
                {"type": "number", "minimum": 0},
            ],
            "description": "a duration: 90s, 5m, 1h30m, 3d, or seconds",
        }
    ),
]


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str], BeforeValidator(_listify)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultSpec(Strict):
    """A rule of the bus's fault layer: drop, delay or duplicate matching messages."""

    name: str | None = Field(None, description="shown in the trace; defaults to action-#index")
    action: Literal["drop", "delay", "duplicate"]
    kind: Names = Field(default_factory=list, description="message kinds it applies to (empty: all)")
    sender: Names = Field(default_factory=list, description="sender names (empty: all)")
    recipient: Names = Field(default_factory=list, description="recipient names (empty: all)")
    probability: float = Field(1.0, ge=0.0, le=1.0, description="chance a matching copy is hit, from the seed")
    start: Duration | None = Field(None, description="active from this virtual time")
    end: Duration | None = Field(None, description="active until this virtual time")
    delay: Duration = Field(0.0, description="for action: delay, how long the copy is held back")

    @model_validator(mode="after")
    def _window(self) -> FaultSpec:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must come after start (the rule would never be active)")
        if self.action == "delay" and self.delay <= 0:
            raise ValueError("a delay rule needs delay: a duration above 0, such as 30s")
        return self


class Event(Strict):
    """Something that happens to the world at a virtual time. Give exactly one action."""

    at: Duration = Field(description="virtual time from the start of the drill")
    note: str | None = Field(None, description="a line of narration in the trace")

    @model_validator(mode="after")
    def _one_action(self) -> Event:
        actions = [name for name in type(self).model_fields if name != "at" and getattr(self, name) is not None]
        if len(actions) != 1:
            allowed = ", ".join(n for n in type(self).model_fields if n != "at")
            found = ", ".join(actions) or "none"
            raise ValueError(f"an event needs exactly one action ({allowed}); found {found}")
        return self


class Supervision(Strict):
    """What happens when an actor's handler raises."""

    restart: bool = Field(False, description="restart crashed actors (state rebuilt from the trace)")


class Scenario(Strict):
    """A drill: the world, the people on call, what happens, and what must hold."""

    name: str = Field(description="the drill's name, shown in the report")
    description: str = ""
    seed: int = Field(1, description="the run's seed; --seed overrides it")
    start: datetime | None = Field(None, description="wall-clock start of the drill (ISO 8601), for display")
    until: Duration = Field(86400.0, description="the run stops at this virtual time at the latest")
    events: list[Event] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list, description="fault rules of the bus")
    supervision: Supervision = Field(default_factory=Supervision)
