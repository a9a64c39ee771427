"""The drill actor: plays the scenario's ``events:`` at their virtual times."""

from __future__ import annotations

from actors.base import Actor
from bus.messages import DrillNote
from scenarios.schema import Event

__all__ = ["Drill"]


class Drill(Actor):
    """Publishes each scenario event at its ``at`` time; busy while events remain."""

    family = "scenario"

    def __init__(self, name: str, runtime: object, events: list[Event]) -> None:
        self.events = sorted(events, key=lambda e: e.at)  # stable: ties keep file order
        super().__init__(name, runtime)  # type: ignore[arg-type]

    def setup(self) -> None:
        self.remaining = len(self.events)

    def on_start(self) -> None:
        for event in self.events:
            self.call_at(event.at, self._play, event)

    def busy(self) -> str | None:
        return f"{self.remaining} scenario event(s) still to come" if self.remaining else None

    def _play(self, event: Event) -> None:
        self.remaining -= 1
        if event.note is not None:
            self.send(DrillNote(text=event.note), to=())
