"""PagerDuty's model of who is on call, and how an incident reaches them (pure logic).

- **Schedules** are layers of rotations in the schedule's time zone. A layer's turn at an
  instant is counted in local wall-clock time from its ``rotation_virtual_start``, so a
  hand-over at 09:00 stays at 09:00 local across a DST change, as PagerDuty keeps it; its
  user is on call only inside its restrictions (daily or weekly windows, local time) and
  between its ``start`` and ``end``. A later layer wins where it has someone on call, and
  an override wins over every layer. An instant exactly at a hand-over belongs to the new
  turn (turns are half-open: ``[start, end)``).
- **Escalation policies** are ordered rules, each with a delay and targets (users or
  schedules); the policy runs once, then ``num_loops`` more times.
- **Services** name their policy, their ack and auto-resolve timeouts and their urgency
  rule: constant (high, low or severity based) or by support hours (PagerDuty's
  ``use_support_hours``). Urgency is decided when the incident triggers.

Everything is evaluated at a real instant (the scenario's ``start`` + virtual time) with
:mod:`zoneinfo`; nothing here reads the machine's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "Layer",
    "Notify",
    "OnCall",
    "OnCallConfig",
    "Override",
    "Policy",
    "PolicyRule",
    "Restriction",
    "Schedule",
    "Service",
    "SupportHours",
    "Target",
    "Urgency",
    "UrgencyRule",
]

Urgency = Literal["high", "low"]

#: How far ahead ``until`` of an on-call answer is looked for, and in how many instants
#: where it might change (a one-second rotation of one person has an edge every second).
HORIZON = timedelta(days=400)
MAX_STEPS = 2000


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    """*at* as a naive wall-clock time in *zone*."""
    return at.astimezone(zone).replace(tzinfo=None)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in *zone* as an instant (in a DST gap, the later side)."""
    first = local.replace(tzinfo=zone)
    utc = first.astimezone(UTC)
    if _local(utc, zone) != local:  # a time the clocks skipped: the instant they jumped to
        utc = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return utc


@dataclass(frozen=True)
class Restriction:
    """A window a layer is on call in: each day (``daily``) or each week (``weekly``, from
    ``start_day_of_week``, ISO: 1 is Monday), from ``start_time_of_day``, local time."""

    kind: Literal["daily", "weekly"]
    start_time_of_day: time
    duration_seconds: int
    start_day_of_week: int | None = None

    def _starts(self, first: date, last: date) -> list[datetime]:
        """The window's starts on the days from *first* to *last*."""
        starts = []
        d = first
        while d <= last:
            if self.kind == "daily" or d.isoweekday() == self.start_day_of_week:
                starts.append(datetime.combine(d, self.start_time_of_day))
            d += timedelta(days=1)
        return starts

    def _back(self, local: datetime) -> date:
        """The earliest day whose window could still hold *local*."""
        return local.date() - timedelta(days=self.duration_seconds // 86400 + (1 if self.kind == "daily" else 7))

    def holds(self, local: datetime) -> bool:
        span = timedelta(seconds=self.duration_seconds)
        return any(s <= local < s + span for s in self._starts(self._back(local), local.date()))

    def edges(self, local: datetime) -> list[datetime]:
        """Local times after *local* where the window opens or closes, within two periods."""
        span = timedelta(seconds=self.duration_seconds)
        ahead = local.date() + timedelta(days=2 if self.kind == "daily" else 14)
        return [edge for s in self._starts(self._back(local), ahead) for edge in (s, s + span) if edge > local]


@dataclass(frozen=True)
class Layer:
    """One rotation: users taking turns of ``turn_seconds`` from ``virtual_start``."""

    name: str
    start: datetime
    virtual_start: datetime
    turn_seconds: int
    users: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()
    end: datetime | None = None

    def turn(self, at: datetime, zone: ZoneInfo) -> int:
        """The index of the turn holding *at*, counted in local wall-clock time."""
        elapsed = _local(at, zone) - _local(self.virtual_start, zone)
        return int(elapsed.total_seconds() // self.turn_seconds)

    def on_call(self, at: datetime, zone: ZoneInfo) -> str | None:
        if at < self.start or (self.end is not None and at >= self.end) or not self.users:
            return None
        if self.restrictions and not any(r.holds(_local(at, zone)) for r in self.restrictions):
            return None
        return self.users[self.turn(at, zone) % len(self.users)]

    def edges(self, at: datetime, zone: ZoneInfo) -> list[datetime]:
        """Instants after *at* where this layer's answer may change."""
        out = [e for e in (self.start, self.end) if e is not None and e > at]
        base = _local(self.virtual_start, zone)
        nxt = base + timedelta(seconds=(self.turn(at, zone) + 1) * self.turn_seconds)
        out.append(_aware(nxt, zone))
        local = _local(at, zone)
        for r in self.restrictions:
            out.extend(_aware(e, zone) for e in r.edges(local))
        return [e for e in out if e > at]


@dataclass(frozen=True)
class Override:
    """*user* on call from *start* to *end*, over every layer."""

    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class OnCall:
    """Who a schedule has on call at an instant, and until when (None: for good, no change
    is ahead). With ``changes`` False, ``until`` is only how far the answer was checked
    (the search stops after :data:`MAX_STEPS` instants or :data:`HORIZON`): it holds at
    least until then."""

    user: str | None
    until: datetime | None
    layer: str | None
    changes: bool = True


@dataclass(frozen=True)
class Schedule:
    """Layers (the last listed wins) and overrides (win over all), in ``time_zone``."""

    name: str
    time_zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _at(self, at: datetime, zone: ZoneInfo) -> tuple[str | None, str | None]:
        for o in self.overrides:
            if o.start <= at < o.end:
                return o.user, "override"
        for layer in reversed(self.layers):
            user = layer.on_call(at, zone)
            if user is not None:
                return user, layer.name
        return None, None

    def user_at(self, at: datetime) -> str | None:
        """Who is on call at *at* (None: nobody)."""
        return self._at(at, self.zone)[0]

    def on_call(self, at: datetime) -> OnCall:
        """Who is on call at *at*, which layer says so, and until when the answer holds."""
        zone = self.zone
        user, layer = self._at(at, zone)
        t = at
        limit = at + HORIZON
        for _ in range(MAX_STEPS):
            edges = [e for lay in self.layers for e in lay.edges(t, zone)]
            edges += [e for o in self.overrides for e in (o.start, o.end) if e > t]
            if not edges:
                return OnCall(user, None, layer)
            t = min(edges)
            if self._at(t, zone)[0] != user:
                return OnCall(user, t, layer)
            if t >= limit:
                break
        return OnCall(user, t, layer, changes=False)  # checked this far: ask again from here


@dataclass(frozen=True)
class Target:
    """A rule's target: a user, or whoever a schedule has on call."""

    kind: Literal["user", "schedule"]
    name: str


@dataclass(frozen=True)
class PolicyRule:
    """One rule of a policy: its targets, and how long before the next rule."""

    name: str
    targets: tuple[Target, ...]
    delay: float
    #: each new incident pages the next target in turn instead of all of them
    round_robin: bool = False


@dataclass(frozen=True)
class Policy:
    """An escalation policy: rules in order, run once then ``num_loops`` more times."""

    name: str
    rules: tuple[PolicyRule, ...]
    num_loops: int = 0


@dataclass(frozen=True)
class SupportHours:
    """Support hours: ``days`` (ISO weekdays) from ``start`` to ``end``, local time."""

    time_zone: str
    days: tuple[int, ...]
    start: time
    end: time

    def holds(self, at: datetime) -> bool:
        local = _local(at, ZoneInfo(self.time_zone))
        return local.isoweekday() in self.days and self.start <= local.time() < self.end


@dataclass(frozen=True)
class UrgencyRule:
    """PagerDuty's incident urgency rule: ``constant`` (``high``, ``low`` or
    ``severity_based``), or ``use_support_hours`` (one urgency inside, one outside)."""

    kind: Literal["constant", "use_support_hours"] = "constant"
    urgency: Literal["high", "low", "severity_based"] = "high"
    during: Literal["high", "low", "severity_based"] = "high"
    outside: Literal["high", "low", "severity_based"] = "low"
    hours: SupportHours | None = None

    def urgency_at(self, at: datetime, severity: str) -> tuple[Urgency, str]:
        """The urgency of an incident of *severity* triggered at *at*, and why."""
        if self.kind == "use_support_hours" and self.hours is not None:
            inside = self.hours.holds(at)
            word = self.during if inside else self.outside
            why = "in support hours" if inside else "outside support hours"
        else:
            word, why = self.urgency, "constant"
        if word == "severity_based":
            # PagerDuty's severity-based urgency: critical and error are high, warning and
            # info low; sev1/sev2 are ours for the first two.
            return ("high" if severity in ("sev1", "sev2") else "low"), f"{why}, {severity}"
        return word, why


@dataclass(frozen=True)
class Service:
    """A PagerDuty service: its policy, timeouts (None: off) and urgency rule."""

    name: str
    policy: str
    ack_timeout: float | None = 1800.0
    auto_resolve_timeout: float | None = None
    urgency: UrgencyRule = field(default_factory=UrgencyRule)


@dataclass(frozen=True)
class Notify:
    """One notification rule of a person: by *method*, *delay* seconds after the page,
    for incidents of *urgency*."""

    urgency: Urgency
    delay: float
    method: str


@dataclass(frozen=True)
class OnCallConfig:
    """Everything the pager pages by: services, their policies, the schedules."""

    services: dict[str, Service]
    policies: dict[str, Policy]
    schedules: dict[str, Schedule]
    default_service: str
    #: the seeds' ``escalation:`` ladder: tickets (sev3, sev4, or a ticket action) queue
    #: and never page; with PagerDuty services every incident triggers, at its urgency
    queue_tickets: bool = False

    def service_of(self, name: str | None) -> Service:
        """The service an incident on paging service *name* opens on (else the default)."""
        if name is not None and name in self.services:
            return self.services[name]
        return self.services[self.default_service]

    def users_at_rule(self, index: int) -> list[str]:
        """Everyone a rule at position *index* (0 is L1) of any policy may page: its users,
        and everyone in its schedules' layers and overrides; in order, once each."""
        out: dict[str, None] = {}
        for policy in self.policies.values():
            if index >= len(policy.rules):
                continue
            for target in policy.rules[index].targets:
                if target.kind == "user":
                    out[target.name] = None
                else:
                    schedule = self.schedules[target.name]
                    for layer in schedule.layers:
                        out.update(dict.fromkeys(layer.users))
                    out.update(dict.fromkeys(o.user for o in schedule.overrides))
        return list(out)

    @property
    def levels(self) -> list[str]:
        """The level names: the rules' names of the longest policy (L1, L2, ... with
        PagerDuty policies; the ladder's own names with ``escalation:``)."""
        longest = max(self.policies.values(), key=lambda p: len(p.rules), default=None)
        return [rule.name for rule in longest.rules] if longest else []
