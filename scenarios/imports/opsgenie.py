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

from scenarios.imports.common import Fragment, slug

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
        found = team.get("members")
        listed = found if isinstance(found, list) else [found] if isinstance(found, dict) else []
        members[str(team.get("name"))] = [
            _person(fragment, str(m["username"])) for m in listed if isinstance(m, dict) and m.get("username")
        ]
    schedules = _schedules(parts, fragment)
    policies: dict[str, str] = {}
    for esc, path in parts.get("escalations", []):
        name = _policy(esc, path, members, schedules, fragment)
        if name is not None:
            policies[str(esc.get("name"))] = name
    routed: dict[str, str] = {}
    for rule, _ in sorted(parts.get("team_routing_rules", []), key=lambda x: x[0].get("order", 0)):
        for target in rule.get("notify") or []:
            if isinstance(target, dict) and target.get("type") == "escalation" and target.get("name") in policies:
                routed.setdefault(str(rule.get("owner_team_name")), policies[target["name"]])
    for item, path in parts.get("services", []):
        owner = str(item.get("team_name"))
        if owner not in routed:
            fragment.warn(
                path, f"services.{item.get('name')}", f"team {owner!r} routes to no escalation we read: left out"
            )
            continue
        entry = {"name": slug(str(item.get("name"))), "escalation_policy": routed[owner]}
        fragment.oncall_item("services", entry, path)
    parts.clear()


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
    for k, p in enumerate(rotation.get("participants") or []):
        if isinstance(p, dict) and p.get("type") == "user" and p.get("username"):
            users.append(_person(fragment, str(p["username"])))
        else:
            fragment.warn(path, f"{where}.participants[{k}]", "not a user (a none or team participant): left out")
    if not users:
        return None
    layer: dict[str, Any] = {"name": str(rotation.get("name") or ""), "start": start.isoformat(),
                             "rotation_turn_length_seconds": turn * length, "users": users}  # fmt: skip
    restriction = rotation.get("time_restriction") or {}
    made = []
    for r in restriction.get("restrictions") or ([restriction["restriction"]] if "restriction" in restriction else []):
        begin = int(r.get("start_hour", 0)) * 60 + int(r.get("start_min", 0))
        end = int(r.get("end_hour", 0)) * 60 + int(r.get("end_min", 0))
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
    for j, rule in enumerate(esc.get("rules") or []):
        recipient = rule.get("recipient") or {}
        kind = recipient.get("type")
        targets: list[dict[str, str]] = []
        if kind == "user" and recipient.get("username"):
            targets = [{"type": "user_reference", "id": _person(fragment, str(recipient["username"]))}]
        elif kind == "schedule" and recipient.get("schedule_name") in schedules:
            targets = [{"type": "schedule_reference", "id": schedules[recipient["schedule_name"]]}]
        elif kind == "team" and members.get(str(recipient.get("team_name"))):
            targets = [{"type": "user_reference", "id": m} for m in members[str(recipient["team_name"])]]
        if not targets:
            fragment.warn(path, f"{where}.rules[{j}].recipient", "no user, schedule or team member we know: left out")
            continue
        delay = rule.get("delay", 0)
        steps.append((float(delay) if isinstance(delay, int | float) else 0.0, targets))
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
    count = repeat.get("count", 0) if isinstance(repeat, dict) else 0
    entry: dict[str, Any] = {"name": slug(name)}
    if entry["name"] != name:
        entry["display_name"] = name
    entry["num_loops"] = min(max(int(count) if isinstance(count, int) else 0, 0), 9)
    entry["rules"] = rules
    fragment.oncall_item("escalation_policies", entry, path)
    return str(entry["name"])
