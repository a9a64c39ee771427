"""Fault rules: drop, delay or duplicate messages in flight.

A rule matches a copy of a message (one sender, one recipient) by ``kind``, ``sender`` and
``recipient`` (lists; empty matches all), within an optional virtual time window
``[start, end)``, with an optional probability drawn from the run's seed. The first rule
that matches and fires decides the copy's fate; the trace names it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

__all__ = ["FaultLayer", "FaultRule", "FaultVerdict"]

Action = Literal["drop", "delay", "duplicate"]


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One rule of the fault layer."""

    name: str
    action: Action
    kinds: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    probability: float = 1.0
    start: float | None = None
    end: float | None = None
    #: Seconds a ``delay`` holds the copy back.
    delay: float = 0.0

    def matches(self, kind: str, sender: str, recipient: str, now: float) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        if self.senders and sender not in self.senders:
            return False
        if self.recipients and recipient not in self.recipients:
            return False
        if self.start is not None and now < self.start:
            return False
        return self.end is None or now < self.end


class FaultVerdict(NamedTuple):
    """What the fault layer did to one copy; recorded in the trace (a named tuple: one is
    made per copy a rule touches, on the publish path)."""

    recipient: str
    action: Action
    rule: str
    delay: float = 0.0

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"to": self.recipient, "action": self.action, "rule": self.rule}
        if self.action == "delay":
            data["delay"] = self.delay
        return data


@dataclass
class FaultLayer:
    """The rules in force and the seeded random source their probabilities draw from."""

    rules: list[FaultRule] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random("0:faults"))
    #: ``rules_of`` every message class seen so far: the bus reads it on each publish, so
    #: a class already seen costs a dict lookup by ``type(msg)``, not a call.
    by_type: dict[type, list[FaultRule]] = field(default_factory=dict)
    _seen: int = -1

    def rules_for(self, kind: str) -> list[FaultRule]:
        """The rules that could touch a message of *kind*."""
        return [r for r in self.rules if not r.kinds or kind in r.kinds]

    def rules_of(self, msg: Any) -> list[FaultRule]:
        """``rules_for(msg.kind)``, cached by message class (rules are set before a run)."""
        if self._seen != len(self.rules):
            self.by_type.clear()
            self._seen = len(self.rules)
        found = self.by_type.get(type(msg))
        if found is None:
            found = self.by_type[type(msg)] = self.rules_for(msg.kind)
        return found

    def may_repeat(self) -> bool:
        """Whether a copy can be delivered twice (a duplicate rule is in force)."""
        return any(rule.action == "duplicate" for rule in self.rules)

    def prepare(self) -> None:
        """A run starts: look the rules up afresh (they may have been added since)."""
        self.by_type.clear()
        self._seen = len(self.rules)

    def judge(
        self, kind: str, sender: str, recipient: str, now: float, rules: list[FaultRule] | None = None
    ) -> FaultVerdict | None:
        """The fate of one copy (None: delivered as is); *rules* are ``rules_for(kind)``."""
        for rule in self.rules_for(kind) if rules is None else rules:
            if not rule.matches(kind, sender, recipient, now):
                continue
            # Draw only for probabilistic rules, so adding a certain rule leaves the draws
            # of the others where they were.
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            return FaultVerdict(recipient, rule.action, rule.name, rule.delay)
        return None
