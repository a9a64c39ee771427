"""The scenario schema: pydantic models for a drill file. Unknown fields are errors.

Durations are written ``90s``, ``5m``, ``1h30m``, ``3d`` (or a bare number of seconds).
``python -m actors.run --schema`` prints this schema as JSON Schema for editors.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from actors.domain.rules import PRESETS
from bus.text import identifier_problem
from bus.vtime import format_duration, parse_duration
from scenarios.limits import MAX_SEED

__all__ = ["MAX_SEED", "Duration", "Event", "FaultSpec", "Scenario", "Supervision"]

#: Seeds are 0 .. 2**63 - 1 (the CLI's --seed too).

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


def _identifier(value: str) -> str:
    problem = identifier_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A name that reaches addressing, arguments or file names (bus/text.py says the rule).
Ident = Annotated[str, AfterValidator(_identifier)]
Names = Annotated[list[Ident], BeforeValidator(_listify)]


def _clock(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 17:00:00 as the sexagesimal number 61200: take it back.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 86400:
        return f"{value // 3600:02d}:{value % 3600 // 60:02d}:{value % 60:02d}"
    return value


#: A time of day, HH:MM or HH:MM:SS.
TimeOfDay = Annotated[str, BeforeValidator(_clock), Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")]


def _zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/London)") from exc
    return value


#: An IANA time zone name, checked against the zone database when the scenario loads.
TimeZone = Annotated[str, AfterValidator(_zone)]
#: How a person is told of a page.
Method = Literal["push", "sms", "phone", "email"]


#: The longest request-count window (a billion requests).
MAX_WINDOW_REQUESTS = 1_000_000_000
#: The highest objective: six nines (a budget of one request in a million).
MAX_OBJECTIVE = 0.999999
#: The largest burn-rate threshold and sensitivity (a burn of a million times the budget).
MAX_RATE = 1_000_000.0


class Strict(BaseModel):
    # Unknown fields are errors; no number is infinite or NaN (``.inf`` is not a rate).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FaultSpec(Strict):
    """A rule of the bus's fault layer: drop, delay or duplicate matching messages."""

    name: Ident | None = Field(None, description="shown in the trace; defaults to action-#index")
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


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class ServiceDef(Strict):
    """A service of the dependency graph."""

    name: Ident
    depends_on: Names = Field(default_factory=list, description="services this one calls")
    team: str | None = None
    tier: int | None = Field(None, ge=0, le=1000)
    quality: Fraction = Field(1.0, description="share of good requests when nothing is wrong")
    impact: Fraction = Field(1.0, description="how much of its work needs its dependencies")
    requests_per_minute: float | None = Field(None, gt=0, le=1_000_000, description="overrides traffic:")
    display_name: str | None = Field(None, description="its name as the system it came from spells it")
    labels: Labels = Field(default_factory=dict, description="labels of its alerts (team and tier are labels too)")


def _window(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a window (a request count such as 100, or a duration such as 5m)")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"a window of {value} requests is empty (use a count above 0, such as 100)")
        if value > MAX_WINDOW_REQUESTS:
            raise ValueError(f"a window of {value:.3g} requests is too long (at most {MAX_WINDOW_REQUESTS:,})")
        return value
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds <= 0:
            raise ValueError(f"{value!r} is an empty window (use a duration above 0, such as 5m)")
        return f"{seconds:g}s"
    raise ValueError(f"{value!r} is not a window (a request count such as 100, or a duration such as 5m)")


WindowSpec = Annotated[
    int | str,
    BeforeValidator(_window),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]}),
]


class TwoWindows(Strict):
    """The two windows of the two-window policy: a request count (100) or a duration (5m)."""

    fast: WindowSpec = 100
    slow: WindowSpec = 1000


class Thresholds(Strict):
    """Burn-rate thresholds of the two-window policy (see actors/domain/slo.py)."""

    page_fast: float = Field(10.0, gt=0, le=MAX_RATE, description="fast burn that pages sev1 (with slow >= confirm)")
    page_slow: float = Field(6.0, gt=0, le=MAX_RATE, description="slow burn that pages sev2 (with fast >= confirm)")
    ticket_slow: float = Field(1.0, gt=0, le=MAX_RATE, description="slow burn that opens a sev3 ticket")
    confirm: float = Field(1.0, ge=0, le=MAX_RATE, description="the other window's burn needed to confirm a page")


_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _labels(value: Any) -> Any:
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or not _LABEL_NAME.match(key):
                raise ValueError(
                    f"{key!r} is not a label name (letters, digits and _, not starting with a digit, as Prometheus)"
                )
    return value


#: Alert labels: Prometheus label names, any printable values.
Labels = Annotated[dict[str, str], BeforeValidator(_labels)]
#: The alerting policies a scenario may name (actors/domain/rules.py says each one's tiers).
POLICIES = ("two-window", "sre-workbook", "sloth", "pyrra", "kube-prometheus", "custom")


class TierDef(Strict):
    """One burn-rate tier of a custom policy: a Prometheus alerting rule's condition."""

    name: Ident = Field(description="the rule's name (tiers with the same group share one alert)")
    long: Duration | None = Field(None, description="the long window, e.g. 1h")
    absent: Duration | None = Field(
        None,
        description="instead of a burn: hold when the service reported no request for this long (absent_over_time)",
    )
    short: Duration | None = Field(None, description="the short window, e.g. 5m (none: one window)")
    factor: float | None = Field(None, gt=0, le=MAX_RATE, description="burn rate above which it holds, e.g. 14.4")
    budget_fraction: float | None = Field(
        None,
        gt=0,
        le=1,
        description="or: the share of the budget spent within the long window (factor = fraction x period / long)",
    )
    hold: Duration = Field(
        0.0, alias="for", description="how long the condition holds before it fires (Prometheus for:)"
    )
    keep_firing_for: Duration = Field(0.0, description="how long it keeps firing after the condition is false")
    severity: Ident = Field("sev1", description="severity word, mapped by severities: (e.g. critical, warning, sev2)")
    labels: Labels = Field(default_factory=dict, description="labels of its alerts")
    min_rate: float | None = Field(
        None, gt=0, le=MAX_RATE, description="requests/s the long window needs, or it is silent"
    )
    group: Ident | None = Field(None, description="tiers in one group are OR-ed into one alert (Sloth's page, ticket)")
    expr: str | None = Field(None, description="provenance: the PromQL it was imported from (never evaluated)")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_factor(self) -> TierDef:
        if self.absent is not None:
            if self.long is not None or self.factor is not None or self.budget_fraction is not None:
                raise ValueError("an absent tier has only absent: (how long with no request), no window or factor")
            if self.absent <= 0:
                raise ValueError("absent must be longer than 0s (e.g. 10m)")
            return self
        if self.long is None:
            raise ValueError("give long: (the long window, e.g. 1h), or absent: for a no-data rule")
        if (self.factor is None) == (self.budget_fraction is None):
            raise ValueError("give factor (a burn rate, e.g. 14.4) or budget_fraction (e.g. 0.02), one of them")
        if self.short is not None and self.short >= self.long:
            raise ValueError("short must be shorter than long (e.g. long: 1h, short: 5m)")
        if self.long <= 0 or (self.short is not None and self.short <= 0):
            raise ValueError("windows must be longer than 0s")
        return self


class SloDef(Strict):
    """A service level objective on one service, or the same one on several."""

    name: Ident
    service: Names = Field(description="the service, or a list: one SLO each (named service:name)")
    objective: float = Field(gt=0.0, le=MAX_OBJECTIVE, description="e.g. 0.99 (at most six nines, 0.999999)")
    symptom: Ident = Field("error_rate", description="what its alerts are about (error_rate, latency, ...)")
    policy: Literal["two-window", "sre-workbook", "sloth", "pyrra", "kube-prometheus", "custom"] = Field(
        "two-window", description="the tier table: a tool's preset, the lab's two-window, or custom (give tiers:)"
    )
    tiers: list[TierDef] = Field(default_factory=list, description="policy: custom: the burn-rate tiers")
    display_name: str | None = Field(None, description="its name as the system it came from spells it")
    labels: Labels = Field(default_factory=dict, description="labels of its alerts")
    windows: TwoWindows = Field(default_factory=TwoWindows)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    period: Duration = Field(30 * 86400.0, description="the SLO period (sre-workbook)")
    sensitivity: float = Field(1.0, gt=0, le=MAX_RATE, description="how much of the service's trouble this SLI sees")

    @model_validator(mode="after")
    def _period(self) -> SloDef:
        if (self.policy == "custom") != bool(self.tiers):
            raise ValueError("tiers: are given with policy: custom, and only then")
        longest = 3600.0
        if self.policy in PRESETS:
            longest = max(spec.long for spec in PRESETS[self.policy](self.period))
        for spec in (self.windows.fast, self.windows.slow):
            if self.policy == "two-window" and isinstance(spec, str):
                longest = max(longest, float(spec.removesuffix("s")))
        for tier in self.tiers:
            longest = max(longest, tier.long or tier.absent or 0.0)
        if self.period < longest:
            raise ValueError(
                f"period: {format_duration(self.period)} is shorter than the longest alert window "
                f"({format_duration(longest)}); an SLO period holds its windows (e.g. 30d)"
            )
        return self


class Diurnal(Strict):
    """A day's traffic curve: the full rate at ``peak_hour`` (local time), ``trough`` of it
    twelve hours later, a cosine between."""

    peak_hour: float = Field(14.0, ge=0, lt=24)
    trough: Fraction = Field(0.3, description="the share of the peak rate at the quietest hour")
    time_zone: TimeZone = "UTC"


class Traffic(Strict):
    requests_per_minute: float = Field(100.0, gt=0, le=1_000_000)
    outcomes: Literal["exact", "random"] = Field(
        "exact", description="exact: the expected fraction of good requests; random: drawn from the seed"
    )
    diurnal: Diurnal | None = Field(None, description="a daily curve over every service's rate (none: flat)")
    noise: float = Field(
        0.0, ge=0, le=1, description="each sample's request count varies by this share (seeded, Gaussian, clipped at 0)"
    )


class MonitorDef(Strict):
    sample_every: Duration = Field(60.0, description="how often every SLO is sampled")

    @model_validator(mode="after")
    def _positive(self) -> MonitorDef:
        if self.sample_every < 1:
            raise ValueError("sample_every must be at least 1s (e.g. 1m)")
        return self


class FaultEvent(Strict):
    """A fault on a service: its own health is multiplied by ``health``."""

    service: Ident
    health: Fraction = Field(1.0, description="0.5: half of its requests fail")
    traffic: Fraction = Field(
        1.0, description="the share of its requests the monitor still sees (0: no requests, or its metrics are gone)"
    )
    name: Ident | None = Field(None, description="defaults to the signature, or fault-N")
    signature: Ident | None = Field(None, description="what it looks like in the logs, e.g. model_provider_outage")
    ramp: Duration = Field(0.0, description="how long it takes to reach its full effect (0: at once), linearly")


class RecoverEvent(Strict):
    """A fault ends by itself (all of the service's faults when no name is given)."""

    service: Ident
    fault: Ident | None = None


class TicketEvent(Strict):
    """A user ticket: triaged by its words and reach, linked to the incident it belongs to."""

    id: Ident | None = Field(None, description="defaults to T-N")
    reporter: str
    text: str
    service: Ident | None = Field(None, description="the service the reporter names, if any")
    users_affected: int = Field(1, ge=0, le=10**12)


class CorrelatorDef(Strict):
    group_wait: Duration = Field(30.0, description="how long new alerts are held before grouping")
    topology_inhibition: bool = Field(
        True,
        description="group the alerts of services above a firing cause into its incident (inhibited symptoms); "
        "false: every alerting service opens its own incident",
    )


class Shift(Strict):
    """A window of virtual time when a responder answers pages."""

    start: Duration = Field(alias="from")
    end: Duration = Field(alias="to")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts (from: 0h, to: 8h)")
        return self


class Spread(Strict):
    """A delay drawn from the responder's seeded RNG, uniform between min and max."""

    min: Duration
    max: Duration

    @model_validator(mode="after")
    def _order(self) -> Spread:
        if self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class ResponderDef(Strict):
    """A person on call."""

    name: Ident
    display_name: str = Field("", description="their name as another system spells it (imports)")
    level: Ident | None = Field(
        None,
        description="the escalation level they hold (L1, L2, L3, ...); with pagerduty: the level they are paged at",
    )
    ack_after: Duration | Spread = Field(120.0, description="how long they take to acknowledge a page")
    # YAML 1.1 reads a bare on/off as true/false: take either spelling.
    phone: Annotated[
        Literal["on", "off"],
        BeforeValidator(lambda v: {True: "on", False: "off"}.get(v, v) if isinstance(v, bool) else v),
    ] = Field("on", description="off: never answers (an ack that never comes)")
    shifts: list[Shift] = Field(default_factory=list, description="when they answer (empty: always)")
    step_time: Duration = Field(180.0, description="how long a runbook step takes them, unless the step says")
    time_zone: TimeZone = Field("UTC", description="where they live (their night is in local time)")
    notification_rules: list[NotificationRuleDef] = Field(
        default_factory=list, description="how they are told of a page (none: at once, and they notice)"
    )
    night: NightDef | None = None
    capacity: int | None = Field(
        None, ge=1, le=1000, description="incidents worked at once (default: 1 with pagerduty:, else any number)"
    )
    when_busy: Literal["wait", "hand_off"] = Field(
        "wait", description="a page while at capacity: ack it once free (wait), or hand it off at once"
    )
    recovery_hold: int = Field(
        2, ge=1, le=1000, description="SLO reports in a row with no paging rule burning before they call it recovered"
    )


class LevelDef(Strict):
    name: Ident = Field(description="L1, L2, ...")
    targets: Names = Field(description="responders paged at this level")
    escalate_after: Duration = Field(description="how long an unacknowledged incident stays at this level")

    @model_validator(mode="after")
    def _targets(self) -> LevelDef:
        if not self.targets:
            raise ValueError("a level needs at least one target (a responder's name)")
        if self.escalate_after <= 0:
            raise ValueError("escalate_after must be above 0 (e.g. 5m)")
        return self


class EscalationDef(Strict):
    """The escalation ladder, with PagerDuty's semantics."""

    levels: list[LevelDef]
    repeat: int = Field(0, ge=0, le=9, description="times the whole ladder runs again (PagerDuty's num_loops)")
    ack_timeout: Duration = Field(1800.0, description="an acked but unresolved incident re-triggers after this")

    @field_validator("ack_timeout")
    @classmethod
    def _ack_timeout(cls, value: float) -> float:
        if value < 1:
            raise ValueError("ack_timeout must be at least 1s (an ack that expires at once re-pages forever; e.g. 30m)")
        return value

    @model_validator(mode="after")
    def _levels(self) -> EscalationDef:
        if not self.levels:
            raise ValueError(
                "the ladder needs at least one level (levels: [{name: L1, targets: [...], escalate_after: 5m}])"
            )
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"level names must be unique, got {names}")
        return self


# --- PagerDuty: services, policies, schedules (field names as PagerDuty spells them) --------


def _instant(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("an instant needs an offset (e.g. 2027-03-01T09:00:00-05:00 or ...Z)")
    if not 1900 <= value.year <= 9000:
        raise ValueError(f"{value.year} is out of range (a year between 1900 and 9000)")
    return value


Instant = Annotated[datetime, AfterValidator(_instant)]


class RestrictionDef(Strict):
    """A window a layer is on call in, local time: every day, or every week from a weekday."""

    type: Literal["daily_restriction", "weekly_restriction"]
    start_time_of_day: TimeOfDay
    duration_seconds: int = Field(gt=0, le=7 * 86400)
    start_day_of_week: int | None = Field(None, ge=1, le=7, description="weekly: ISO weekday, 1 is Monday")

    @model_validator(mode="after")
    def _weekly(self) -> RestrictionDef:
        if self.type == "weekly_restriction" and self.start_day_of_week is None:
            raise ValueError("a weekly_restriction needs start_day_of_week (1 is Monday)")
        if self.type == "daily_restriction" and self.duration_seconds > 86400:
            raise ValueError("a daily_restriction lasts at most 86400 seconds")
        return self


class LayerDef(Strict):
    """One rotation of a schedule."""

    name: str = ""
    start: Instant
    end: Instant | None = None
    rotation_virtual_start: Instant | None = Field(None, description="default: start")
    rotation_turn_length_seconds: int = Field(gt=0, le=365 * 86400)
    users: Names = Field(min_length=1)
    restrictions: list[RestrictionDef] = Field(default_factory=list)


class OverrideDef(Strict):
    user: Ident
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _order(self) -> OverrideDef:
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")
        return self


class ScheduleDef(Strict):
    """Layers (the last listed wins) and overrides (win over all) in a time zone."""

    name: Ident
    display_name: str = ""
    time_zone: TimeZone = "UTC"
    layers: list[LayerDef] = Field(min_length=1)
    overrides: list[OverrideDef] = Field(default_factory=list)


class TargetDef(Strict):
    type: Literal["user", "user_reference", "schedule", "schedule_reference"]
    id: Ident = Field(description="the user's (a responder's) or the schedule's name")


class RuleDef(Strict):
    escalation_delay_in_minutes: float = Field(gt=0, le=60 * 24 * 365)
    targets: list[TargetDef] = Field(min_length=1)
    round_robin: bool = Field(False, description="each new incident pages the next target in turn")


class PolicyDef(Strict):
    name: Ident
    display_name: str = ""
    num_loops: int = Field(0, ge=0, le=9, description="times the policy runs again after the first")
    rules: list[RuleDef] = Field(min_length=1)


class UrgencyDef(Strict):
    type: Literal["constant"] = "constant"
    urgency: Literal["high", "low", "severity_based"] = "high"


class UrgencyRuleDef(Strict):
    """PagerDuty's ``incident_urgency_rule``."""

    type: Literal["constant", "use_support_hours"] = "constant"
    urgency: Literal["high", "low", "severity_based"] | None = None
    during_support_hours: UrgencyDef | None = None
    outside_support_hours: UrgencyDef | None = None

    @model_validator(mode="after")
    def _shape(self) -> UrgencyRuleDef:
        if self.type == "constant" and self.urgency is None:
            raise ValueError("a constant urgency rule needs urgency: high, low or severity_based")
        if self.type == "use_support_hours" and (
            self.during_support_hours is None or self.outside_support_hours is None
        ):
            raise ValueError("use_support_hours needs during_support_hours and outside_support_hours")
        return self


class SupportHoursDef(Strict):
    type: Literal["fixed_time_per_day"] = "fixed_time_per_day"
    time_zone: TimeZone
    days_of_week: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1)
    start_time: TimeOfDay
    end_time: TimeOfDay


class PdServiceDef(Strict):
    name: Ident
    display_name: str = ""
    escalation_policy: Ident
    acknowledgement_timeout: int | None = Field(
        1800, ge=1, le=365 * 86400, description="seconds before an acked incident re-triggers; null: off"
    )
    auto_resolve_timeout: int | None = Field(None, ge=1, le=365 * 86400, description="seconds; null: off")
    incident_urgency_rule: UrgencyRuleDef = Field(default_factory=lambda: UrgencyRuleDef(urgency="high"))
    support_hours: SupportHoursDef | None = None

    @model_validator(mode="after")
    def _hours(self) -> PdServiceDef:
        if self.incident_urgency_rule.type == "use_support_hours" and self.support_hours is None:
            raise ValueError("an urgency rule that uses support hours needs support_hours:")
        return self


class PagerDutyDef(Strict):
    """Services, escalation policies and schedules, as PagerDuty defines them."""

    services: list[PdServiceDef] = Field(min_length=1)
    escalation_policies: list[PolicyDef] = Field(min_length=1)
    schedules: list[ScheduleDef] = Field(default_factory=list)
    default_service: Ident | None = Field(
        None, description="where incidents without a paging service go (default: the first service)"
    )


class NotificationRuleDef(Strict):
    """When a person is told of a page: by ``type`` (push, sms, phone, email),
    ``start_delay_in_minutes`` after it, for incidents of ``urgency``."""

    urgency: Literal["high", "low"] = "high"
    start_delay_in_minutes: float = Field(0, ge=0, le=1440)
    type: Method = "push"


class NightDef(Strict):
    """Hours when a person sleeps (local time): only some notifications wake them, and
    they are slower to ack."""

    start: TimeOfDay = Field(alias="from")
    end: TimeOfDay = Field(alias="to")
    wakes_on: list[Method] = Field(default_factory=lambda: list[Method](["phone"]))
    ack_after: Duration | Spread | None = Field(None, description="their ack delay at night (default: as by day)")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class StepDef(Strict):
    """One runbook step and its effect."""

    name: str
    action: Literal["mitigate", "rollback", "fix"] = Field(
        description="mitigate: lift the service's SLI to `sli`; rollback: ask the release manager; "
        "fix: end the faults with `signature` on `service`"
    )
    sli: Fraction | None = Field(None, description="mitigate: the SLI the service reaches")
    service: Ident | None = Field(None, description="the service it acts on (default: the incident's root)")
    signature: Ident | None = Field(None, description="fix: the fault signature it ends")
    min_level: Ident | None = Field(None, description="the lowest level allowed to run it (e.g. L2)")
    takes: Duration | None = Field(None, description="how long it takes (default: the responder's step_time)")

    @model_validator(mode="after")
    def _needs(self) -> StepDef:
        if self.action == "mitigate" and self.sli is None:
            raise ValueError("a mitigate step needs sli: the level it lifts the service to (e.g. 0.95)")
        if self.action == "fix" and self.signature is None:
            raise ValueError("a fix step needs signature: the fault it ends (e.g. stale_index)")
        return self


class EvalCase(Strict):
    """A question of the eval set and its right answer."""

    question: str
    answer: str


class ReleaseDef(Strict):
    """A release of a service: its quality (share of good requests) and its answers."""

    service: Ident
    quality: Fraction = 1.0
    answers: dict[str, str] = Field(
        default_factory=dict, description="answers that differ from the eval set's right ones"
    )


class CanaryDef(Strict):
    """A stepped canary with analysis at each step (Argo Rollouts / Flagger style)."""

    steps: list[Annotated[float, Field(gt=0.0, le=1.0)]] = Field(default_factory=lambda: [0.1, 0.5, 1.0])
    analysis: Duration = Field(300.0, description="how long each step runs before its analysis")
    success_sli: Fraction | None = Field(None, description="pass at or above this SLI (default: the SLO objective)")
    failure_sli: Fraction | None = Field(None, description="fail below this SLI (default: success_sli - 0.05)")
    failure_limit: int = Field(
        0, ge=0, le=1000, description="failed analyses tolerated (Argo's failureLimit): one more rejects the candidate"
    )
    compare_stable: bool = Field(
        False, description="also fail a step whose canary SLI trails the stable slice's by more than stable_tolerance"
    )
    stable_tolerance: Fraction = Field(0.01, description="how far the canary's SLI may trail the stable slice's")
    hold_timeout: Duration = Field(1800.0, description="an inconclusive canary pauses; paused longer, it aborts")

    @model_validator(mode="after")
    def _steps(self) -> CanaryDef:
        if not self.steps or self.steps[-1] != 1.0 or sorted(self.steps) != self.steps:
            raise ValueError("steps must rise and end at 1.0 (e.g. [0.1, 0.5, 1.0])")
        return self


class DeployEvent(Strict):
    release: Ident
    canary: bool = Field(False, description="true: score it on the eval set and step it through the canary")


class SilenceEvent(Strict):
    """An Alertmanager silence: alerts matching every matcher notify nobody while it lasts."""

    matchers: list[str] = Field(description="Alertmanager matchers, e.g. ['service=\"api\"']")
    start: Duration | None = Field(None, alias="from", description="from this virtual time (default: the event's)")
    end: Duration = Field(alias="until", description="until this virtual time")
    comment: str = ""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class CrashEvent(Strict):
    """Make an actor's next handler raise (to test supervision)."""

    actor: Ident


class HumanAction(Strict):
    """A person's scripted action on an incident (tabletop drills): ``ack``, ``resolve``
    and ``escalate`` by someone, ``reassign`` to someone."""

    incident: Ident = Field(description="the incident's id, e.g. INC-001")
    by: Ident | None = Field(None, description="who acts (a responder)")
    to: Ident | None = Field(None, description="reassign: who takes it (a responder)")


class Event(Strict):
    """Something that happens to the world at a virtual time. Give exactly one action."""

    at: Duration = Field(description="virtual time from the start of the drill")
    note: str | None = Field(None, description="a line of narration in the trace")
    fault: FaultEvent | None = None
    recover: RecoverEvent | None = None
    ticket: TicketEvent | None = None
    deploy: DeployEvent | None = None
    crash: CrashEvent | None = None
    silence: SilenceEvent | None = None
    ack: HumanAction | None = Field(None, description="a person acknowledges an incident (by:)")
    resolve: HumanAction | None = Field(None, description="a person resolves an incident (by:)")
    escalate: HumanAction | None = Field(None, description="a person escalates an incident now (by:)")
    reassign: HumanAction | None = Field(None, description="an incident goes to a person (to:)")

    @model_validator(mode="after")
    def _one_action(self) -> Event:
        actions = [name for name in type(self).model_fields if name != "at" and getattr(self, name) is not None]
        if len(actions) != 1:
            allowed = ", ".join(n for n in type(self).model_fields if n != "at")
            found = ", ".join(actions) or "none"
            raise ValueError(f"an event needs exactly one action ({allowed}); found {found}")
        for name in ("ack", "resolve", "escalate"):
            action = getattr(self, name)
            if action is not None and action.by is None:
                raise ValueError(f"{name}: needs by: (the responder who acts)")
        if self.reassign is not None and self.reassign.to is None:
            raise ValueError("reassign: needs to: (the responder who takes it)")
        return self


class Supervision(Strict):
    """What happens when an actor's handler raises."""

    restart: bool = Field(False, description="restart crashed actors (state rebuilt from the trace)")


class Expectation(Strict):
    """One check of the eval gate. Give ``check`` (its type) and the fields it uses; see the
    README for every type. Durations count from the first incident's opening unless said."""

    check: Literal[
        "storm_correlated",
        "paged",
        "acked",
        "escalated",
        "no_exhaustion",
        "exhausted",
        "ticket_linked",
        "sli_recovered",
        "resolved",
        "postmortem_written",
        "regression_case_added",
        "canary",
        "runbook_step",
        "root_cause",
        "not_paged",
        "pages_per_person",
    ]
    name: str | None = Field(None, description="shown by the gate (default: made from the check)")
    incident: Ident | None = None
    alerts: int | None = Field(None, ge=0, le=10**12)
    incidents: int | None = Field(None, ge=0, le=10**12)
    severity: Literal["sev1", "sev2", "sev3", "sev4"] | None = None
    level: Ident | None = None
    by: Ident | None = None
    within: Duration | None = None
    burn_at_least: float | None = Field(None, ge=0, le=MAX_RATE)
    ticket: Ident | None = None
    route: Ident | None = None
    service: Ident | None = None
    sli_from: Fraction | None = None
    sli_to: Fraction | None = None
    release: Ident | None = None
    verdict: Literal["promote", "reject", "abort", "hold"] | None = None
    live_after: Ident | None = None
    step: str | None = None
    blameless: bool = True
    at_most: int | None = Field(None, ge=0, le=10**9, description="pages_per_person: the most pages one person may get")

    @model_validator(mode="after")
    def _needs(self) -> Expectation:
        if self.check == "root_cause" and self.service is None:
            raise ValueError("root_cause needs service: (the service an incident must be rooted at)")
        if self.check == "not_paged" and self.service is None and self.severity is None:
            raise ValueError("not_paged needs service: or severity: (what must not page)")
        if self.check == "pages_per_person" and self.at_most is None:
            raise ValueError("pages_per_person needs at_most: (e.g. 3)")
        return self


class Imports(Strict):
    """Files beside the scenario whose SLOs and alert rules it takes (scenarios/imports)."""

    services: list[str] = Field(default_factory=list, description="Backstage catalogs: the dependency graph")
    slos: list[str] = Field(default_factory=list, description="Sloth, Pyrra or OpenSLO specs")
    rules: list[str] = Field(default_factory=list, description="Prometheus rule files of burn-rate alerts")
    alertmanager: str | None = Field(None, description="an alertmanager.yml (or a Secret holding one)")
    pagerduty: list[str] = Field(default_factory=list, description="PagerDuty Terraform (.tf) or REST API exports")
    oncall: list[str] = Field(default_factory=list, description="Grafana OnCall Terraform (.tf)")
    opsgenie: list[str] = Field(default_factory=list, description="Opsgenie configs (cloudposse's YAML)")


class Scenario(Strict):
    """A drill: the world, the people on call, what happens, and what must hold."""

    name: str = Field(description="the drill's name, shown in the report")
    extends: str | None = Field(
        None,
        description="a scenario file beside this one to start from: this file's keys are laid over it (mappings "
        "merge, other values replace; a key with a trailing + such as events+ appends to the base's list)",
    )
    description: str = ""
    seed: int = Field(1, ge=0, le=MAX_SEED, description="the run's seed; --seed overrides it")
    start: datetime | None = Field(None, description="wall-clock start of the drill (ISO 8601), for display")

    @field_validator("start")
    @classmethod
    def _start(cls, value: datetime | None) -> datetime | None:
        if value is not None and not 1900 <= value.year <= 9000:
            raise ValueError(f"{value.year} is out of range (a start between the years 1900 and 9000)")
        return value

    until: Duration = Field(86400.0, description="the run stops at this virtual time at the latest")
    services: list[ServiceDef] = Field(default_factory=list, description="the dependency graph")
    slos: list[SloDef] = Field(default_factory=list)
    traffic: Traffic = Field(default_factory=Traffic)
    monitor: MonitorDef = Field(default_factory=MonitorDef)
    correlator: CorrelatorDef = Field(default_factory=CorrelatorDef)
    responders: list[ResponderDef] = Field(default_factory=list)
    escalation: EscalationDef | None = None
    pagerduty: PagerDutyDef | None = Field(
        None, description="PagerDuty services, escalation policies and schedules (instead of escalation:)"
    )
    runbooks: dict[Ident, list[StepDef]] = Field(
        default_factory=dict, description="keyed by fault signature or alert symptom"
    )
    eval_set: list[EvalCase] = Field(default_factory=list, description="the questions releases are scored on")
    releases: dict[Ident, ReleaseDef] = Field(default_factory=dict, description="by name")
    live: dict[Ident, Ident] = Field(default_factory=dict, description="the release live on each service at the start")
    canary: CanaryDef = Field(default_factory=CanaryDef)
    expect: list[Expectation] = Field(default_factory=list, description="the eval gate's checks")
    events: list[Event] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list, description="fault rules of the bus")
    supervision: Supervision = Field(default_factory=Supervision)
    imports: Imports | None = Field(None, description="SLO specs and rule files to import (merged at load)")
    alertmanager: dict[str, Any] | None = Field(
        None,
        description="an Alertmanager config (route:, inhibit_rules:, time_intervals:, receivers:) between monitor and correlator",
    )
    labels: Labels = Field(default_factory=dict, description="labels on every alert of the scenario (e.g. env: prod)")
    paging: dict[str, Ident] = Field(
        default_factory=dict,
        description="Alertmanager receivers that page -> the paging service they open incidents on "
        "(default: a service named like the receiver)",
    )
    severities: dict[Ident, Literal["sev1", "sev2", "sev3", "sev4"]] = Field(
        default_factory=dict,
        description="severity words of alert rules -> sev1..sev4 (defaults: critical/page sev1, error sev2, "
        "warning/ticket sev3, info sev4); sev1 and sev2 page, sev3 and sev4 are tickets",
    )
