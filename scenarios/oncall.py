"""The on-call config of a scenario: its ``pagerduty:`` services, policies and schedules,
or the seeds' ``escalation:`` ladder as one policy with user targets; every reference
checked (one line naming the field and the fix)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from actors.domain.oncall import (
    Layer,
    OnCallConfig,
    Override,
    Policy,
    PolicyRule,
    Restriction,
    Schedule,
    Service,
    SupportHours,
    Target,
    UrgencyRule,
)
from scenarios.loader import ScenarioError
from scenarios.schema import PagerDutyDef, PdServiceDef, Scenario, ScheduleDef

__all__ = ["oncall_config"]


def _time(text: str) -> time:
    return time.fromisoformat(text if text.count(":") == 2 else text + ":00")


def oncall_config(scenario: Scenario, path: str) -> OnCallConfig | None:
    """The scenario's on-call config (None: nobody is paged)."""
    if scenario.pagerduty is not None:
        return _pagerduty(scenario.pagerduty, {p.name for p in scenario.responders}, path)
    ladder = scenario.escalation
    if ladder is None:
        return None
    rules = tuple(
        PolicyRule(lv.name, tuple(Target("user", t) for t in lv.targets), lv.escalate_after) for lv in ladder.levels
    )
    policy = Policy("escalation", rules, ladder.repeat)
    service = Service("default", policy.name, ack_timeout=ladder.ack_timeout)
    return OnCallConfig({"default": service}, {policy.name: policy}, {}, "default", queue_tickets=True)


def _schedule(d: ScheduleDef, people: set[str], where: str) -> Schedule:
    layers = []
    for j, lay in enumerate(d.layers):
        for user in lay.users:
            if user not in people:
                raise ScenarioError(
                    f"{where}.layers[{j}].users: no responder named {user!r} (add it under responders:)"
                )
        restrictions = tuple(
            Restriction(
                "daily" if r.type == "daily_restriction" else "weekly",
                _time(r.start_time_of_day),
                r.duration_seconds,
                r.start_day_of_week,
            )
            for r in lay.restrictions
        )
        if lay.end is not None and lay.end <= lay.start:
            raise ScenarioError(f"{where}.layers[{j}].end: a layer ends after it starts")
        layers.append(
            Layer(
                lay.name or f"layer {j + 1}",
                lay.start,
                lay.rotation_virtual_start or lay.start,
                lay.rotation_turn_length_seconds,
                tuple(lay.users),
                restrictions,
                lay.end,
            )
        )
    for j, o in enumerate(d.overrides):
        if o.user not in people:
            raise ScenarioError(
                f"{where}.overrides[{j}].user: no responder named {o.user!r} (add it under responders:)"
            )
    overrides = tuple(Override(o.user, o.start, o.end) for o in d.overrides)
    return Schedule(d.name, d.time_zone, tuple(layers), overrides)


def _pagerduty(pd: PagerDutyDef, people: set[str], path: str) -> OnCallConfig:
    schedules: dict[str, Schedule] = {}
    for i, d in enumerate(pd.schedules):
        if d.name in schedules:
            raise ScenarioError(f"{path}: pagerduty.schedules[{i}].name: {d.name!r} is defined twice")
        schedules[d.name] = _schedule(d, people, f"{path}: pagerduty.schedules[{i}]")
    policies = _policies(pd, people, schedules, path)
    services: dict[str, Service] = {}
    for i, s in enumerate(pd.services):
        where = f"{path}: pagerduty.services[{i}]"
        if s.name in services:
            raise ScenarioError(f"{where}.name: {s.name!r} is defined twice")
        if s.escalation_policy not in policies:
            raise ScenarioError(
                f"{where}.escalation_policy: no policy named {s.escalation_policy!r} (one of: {', '.join(policies)})"
            )
        services[s.name] = Service(
            s.name,
            s.escalation_policy,
            float(s.acknowledgement_timeout) if s.acknowledgement_timeout is not None else None,
            float(s.auto_resolve_timeout) if s.auto_resolve_timeout is not None else None,
            _urgency(s),
        )
    default = pd.default_service or pd.services[0].name
    if default not in services:
        raise ScenarioError(
            f"{path}: pagerduty.default_service: no service named {default!r} (one of: {', '.join(services)})"
        )
    return OnCallConfig(services, policies, schedules, default)


def _policies(pd: PagerDutyDef, people: set[str], schedules: dict[str, Schedule], path: str) -> dict[str, Policy]:
    policies: dict[str, Policy] = {}
    for i, p in enumerate(pd.escalation_policies):
        where = f"{path}: pagerduty.escalation_policies[{i}]"
        if p.name in policies:
            raise ScenarioError(f"{where}.name: {p.name!r} is defined twice")
        rules = []
        for j, r in enumerate(p.rules):
            targets = []
            for k, t in enumerate(r.targets):
                kind: Literal["user", "schedule"] = "user" if t.type.startswith("user") else "schedule"
                if t.id not in (people if kind == "user" else schedules):
                    fix = "add it under responders:" if kind == "user" else "define it under pagerduty.schedules"
                    raise ScenarioError(f"{where}.rules[{j}].targets[{k}].id: no {kind} named {t.id!r} ({fix})")
                targets.append(Target(kind, t.id))
            rules.append(PolicyRule(f"L{j + 1}", tuple(targets), r.escalation_delay_in_minutes * 60, r.round_robin))
        policies[p.name] = Policy(p.name, tuple(rules), p.num_loops)
    return policies


def _urgency(s: PdServiceDef) -> UrgencyRule:
    rule = s.incident_urgency_rule
    if rule.type != "use_support_hours":
        return UrgencyRule("constant", urgency=rule.urgency or "high")
    assert rule.during_support_hours is not None and rule.outside_support_hours is not None
    assert s.support_hours is not None  # the schema asks for it
    h = s.support_hours
    hours = SupportHours(h.time_zone, tuple(h.days_of_week), _time(h.start_time), _time(h.end_time))
    return UrgencyRule(
        "use_support_hours",
        during=rule.during_support_hours.urgency,
        outside=rule.outside_support_hours.urgency,
        hours=hours,
    )
