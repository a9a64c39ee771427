"""Opsgenie configs as cloudposse's Terraform module (terraform-opsgenie-incident-management)
reads them: YAML files with ``teams:``, ``schedules:``, ``schedule_rotations:``,
``escalations:``, ``team_routing_rules:``, ``services:``.

- A schedule (``timezone``) gets a layer per rotation naming it (``schedule_name``): turns
  of ``length`` hours, days or weeks from ``start_date``, its ``user`` participants (a
  ``none`` participant is left out, with a warning: we page someone or nobody, not a gap
  in a rotation), a ``time-of-day`` restriction as a daily one, ``weekday-and-time-of-day``
  as weekly ones. Opsgenie puts every rotation on call at once; we take the later one
  where two overlap (PagerDuty's layer rule), and say so in the README.
- An escalation becomes a policy. Opsgenie measures each rule's ``delay`` from the alert's
  creation; a policy's rule waits from the rule before, so the gaps are taken (the last
  rule waits 5 minutes). Recipients: a user, a schedule, or a team (its members). Its
  ``repeat.count`` is ``num_loops``.
- A service runs the escalation its team's first routing rule notifies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scenarios.imports.common import Fragment, items, mapping, slug, text

__all__ = ["read"]

_TURN = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400}
_DAYS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7}
LAST_RULE_MINUTES = 5


def read(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    """One file: its sections are kept until every file is read (they refer to each other)."""
    for key in ("teams", "schedules", "schedule_rotations", "escalations", "team_routing_rules", "services"):
        items = doc.get(key)
        if isinstance(items, list):
            fragment.opsgenie.setdefault(key, []).extend((item, path) for item in items if isinstance(item, dict))


def finish(fragment: Fragment) -> None:
    """Map what the Opsgenie files held."""
    parts = fragment.opsgenie
    if not parts:
        return
    members: dict[str, list[str]] = {}
    for team, _ in parts.get("teams", []):
        members[text(team.get("name"))] = [
            _person(fragment, text(m["username"])) for m in items(team.get("members")) if text(m.get("username"))
        ]
    schedules = _schedules(parts, fragment)
    policies: dict[str, str] = {}
    for esc, path in parts.get("escalations", []):
        name = _policy(esc, path, members, schedules, fragment)
        if name is not None:
            policies[str(esc.get("name"))] = name
    routed: dict[str, str] = {}
    for rule, _ in sorted(parts.get("team_routing_rules", []), key=lambda x: _count(x[0].get("order")) or 0):
        for target in items(rule.get("notify")):
            if target.get("type") == "escalation" and text(target.get("name")) in policies:
                routed.setdefault(text(rule.get("owner_team_name")), policies[text(target["name"])])
    for item, path in parts.get("services", []):
        owner = text(item.get("team_name"))
        if owner not in routed:
            fragment.warn(
                path, f"services.{item.get('name')}", f"team {owner!r} routes to no escalation we read: left out"
            )
            continue
        entry = {"name": slug(str(item.get("name"))), "escalation_policy": routed[owner]}
        fragment.oncall_item("services", entry, path)
    parts.clear()


def _count(value: Any) -> int | None:
    """A small whole number from a config (None: not one)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number <= 10_000 else None


def _person(fragment: Fragment, username: str) -> str:
    return str(fragment.person(username, username)["name"])


def _schedules(parts: dict[str, list[tuple[dict[str, Any], str]]], fragment: Fragment) -> dict[str, str]:
    out: dict[str, str] = {}
    for schedule, path in parts.get("schedules", []):
        name = str(schedule.get("name"))
        layers = []
        for rotation, rpath in parts.get("schedule_rotations", []):
            if rotation.get("schedule_name") != name:
                continue
            layer = _rotation(rotation, rpath, fragment)
            if layer is not None:
                layers.append(layer)
        if not layers:
            fragment.warn(path, f"schedules.{name}", "no rotation we could read: schedule left out")
            continue
        entry = {"name": slug(name), "time_zone": str(schedule.get("timezone") or "UTC"), "layers": layers}
        if entry["name"] != name:
            entry["display_name"] = name
        fragment.oncall_item("schedules", entry, path)
        out[name] = str(entry["name"])
    return out


def _rotation(rotation: dict[str, Any], path: str, fragment: Fragment) -> dict[str, Any] | None:
    where = f"schedule_rotations.{rotation.get('name')}"
    turn = _TURN.get(str(rotation.get("type")))
    length = rotation.get("length", 1)
    try:
        start = datetime.fromisoformat(str(rotation.get("start_date")).replace("Z", "+00:00"))
    except ValueError:
        start = None
    if turn is None or not isinstance(length, int) or length <= 0 or start is None or start.tzinfo is None:
        fragment.warn(path, where, "type (hourly, daily, weekly), length or start_date not read: left out")
        return None
    users = []
    for k, p in enumerate(items(rotation.get("participants"))):
        if p.get("type") == "user" and text(p.get("username")):
            users.append(_person(fragment, text(p["username"])))
        else:
            fragment.warn(path, f"{where}.participants[{k}]", "not a user (a none or team participant): left out")
    if not users:
        return None
    layer: dict[str, Any] = {"name": str(rotation.get("name") or ""), "start": start.isoformat(),
                             "rotation_turn_length_seconds": turn * length, "users": users}  # fmt: skip
    restriction = mapping(rotation.get("time_restriction"))
    made = _restrictions(restriction)
    if restriction and not made:
        fragment.warn(
            path, f"{where}.time_restriction", "not a restriction we read: the rotation is on call all the time"
        )
    if made:
        layer["restrictions"] = made
    return layer


def _policy(
    esc: dict[str, Any], path: str, members: dict[str, list[str]], schedules: dict[str, str], fragment: Fragment
) -> str | None:
    name = str(esc.get("name"))
    where = f"escalations.{name}"
    steps: list[tuple[float, list[dict[str, str]]]] = []
    for j, rule in enumerate(items(esc.get("rules"))):
        recipient = mapping(rule.get("recipient"))
        kind = recipient.get("type")
        targets: list[dict[str, str]] = []
        if kind == "user" and text(recipient.get("username")):
            targets = [{"type": "user_reference", "id": _person(fragment, text(recipient["username"]))}]
        elif kind == "schedule" and text(recipient.get("schedule_name")) in schedules:
            targets = [{"type": "schedule_reference", "id": schedules[text(recipient["schedule_name"])]}]
        elif kind == "team" and members.get(text(recipient.get("team_name"))):
            targets = [{"type": "user_reference", "id": m} for m in members[text(recipient["team_name"])]]
        if not targets:
            fragment.warn(path, f"{where}.rules[{j}].recipient", "no user, schedule or team member we know: left out")
            continue
        delay = _count(rule.get("delay", 0))
        if delay is None:
            fragment.warn(path, f"{where}.rules[{j}].delay", "not a number of minutes: taken as 0")
        steps.append((float(delay or 0), targets))
    if not steps:
        fragment.warn(path, where, "no rule we could read: escalation left out")
        return None
    merged: dict[float, list[dict[str, str]]] = {}
    for at, targets in sorted(steps, key=lambda s: s[0]):  # rules due at once: one level
        merged.setdefault(at, []).extend(t for t in targets if t not in merged.get(at, []))
    steps = list(merged.items())
    rules = []
    for i, (at, targets) in enumerate(steps):
        gap = steps[i + 1][0] - at if i + 1 < len(steps) else LAST_RULE_MINUTES
        rules.append({"escalation_delay_in_minutes": gap, "targets": targets})
    repeat = esc.get("repeat") or {}
    count = _count(repeat.get("count", 0)) if isinstance(repeat, dict) else 0
    entry: dict[str, Any] = {"name": slug(name)}
    if entry["name"] != name:
        entry["display_name"] = name
    entry["num_loops"] = min(max(int(count) if isinstance(count, int) else 0, 0), 9)
    entry["rules"] = rules
    fragment.oncall_item("escalation_policies", entry, path)
    return str(entry["name"])


def _restrictions(restriction: dict[str, Any]) -> list[dict[str, Any]]:
    """An Opsgenie time restriction as daily (time-of-day) or weekly restrictions."""
    made: list[dict[str, Any]] = []
    for r in items(restriction.get("restrictions")) or items(restriction.get("restriction")):
        sh, sm, eh, em = (_count(r.get(k, 0)) for k in ("start_hour", "start_min", "end_hour", "end_min"))
        if sh is None or sm is None or eh is None or em is None or sh >= 24 or eh > 24 or sm >= 60 or em >= 60:
            continue
        begin, end = sh * 60 + sm, eh * 60 + em
        clock = f"{begin // 60:02d}:{begin % 60:02d}:00"
        if restriction.get("type") == "time-of-day":
            span = (end - begin) % 1440 or 1440
            made.append({"type": "daily_restriction", "start_time_of_day": clock, "duration_seconds": span * 60})
        elif restriction.get("type") == "weekday-and-time-of-day":
            day, last = _DAYS.get(str(r.get("start_day")).lower()), _DAYS.get(str(r.get("end_day")).lower())
            if day is None or last is None:
                continue
            span = ((last - day) % 7) * 1440 + end - begin
            span = span if span > 0 else span + 7 * 1440
            made.append({"type": "weekly_restriction", "start_day_of_week": day, "start_time_of_day": clock,
                         "duration_seconds": span * 60})  # fmt: skip
    return made
