"""Grafana OnCall Terraform: ``grafana_oncall_escalation_chain`` and its
``grafana_oncall_escalation`` steps, ``grafana_oncall_schedule`` and its
``grafana_oncall_on_call_shift`` rotations, ``grafana_oncall_integration`` (a service),
users from ``data "grafana_oncall_user"`` (by ``username``).

A chain becomes a policy: its steps, by ``position``, are cut into levels at each
``wait`` (whose ``duration`` is that level's delay); notify steps in one level are its
targets (``notify_persons``, ``notify_on_call_from_schedule``; ``notify_person_next_each_time``
is a round-robin level). OnCall stops after its last step: the last level gets a 5-minute
delay, after which the policy is exhausted. A ``rolling_users`` shift becomes a layer: turns
of ``interval`` x its ``frequency``, the first user of each rolling group, and (when the
shift is shorter than its period) a daily or weekly restriction from its start for its
``duration``. Values Terraform would compute (variables, ``for`` expressions, module
outputs) are reported, not guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scenarios.imports.common import Fragment, slug
from scenarios.imports.hcl import Resource, is_expression, reference

__all__ = ["read_terraform_resources"]

_PERIOD = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400}
_DAYS = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}
#: The delay given to a chain's last level (OnCall has no wait after it).
LAST_LEVEL_MINUTES = 5


def read_terraform_resources(resources: list[Resource], fragment: Fragment) -> None:
    mine = [r for r in resources if r.kind.startswith("grafana_oncall_")]
    if not mine:
        return
    users = {r.name: str(r.values.get("username")) for r in mine if r.data and r.kind == "grafana_oncall_user"}

    def user(value: Any, where: str, path: str) -> str | None:
        ref = reference(value)
        if ref is not None and ref[0] and ref[1] == "grafana_oncall_user" and ref[2] in users:
            name = users[ref[2]]
            if not is_expression(name) and name not in ("", "None"):
                fragment.person(name, name)
                return slug(name)
        fragment.warn(path, where, f"{value!r} is not a user of the files read (computed, or a for_each): left out")
        return None

    by_name = {(r.kind, r.name): r for r in mine if not r.data}
    schedules: dict[str, str] = {}
    for r in mine:
        if r.kind == "grafana_oncall_schedule" and not r.data:
            name = _schedule(r, by_name, user, fragment)
            if name is not None:
                schedules[r.name] = name
    chains: dict[str, str] = {}
    for r in mine:
        if r.kind == "grafana_oncall_escalation_chain" and not r.data:
            steps = [s for s in mine if s.kind == "grafana_oncall_escalation" and _points_to(s, r.name)]
            name = _chain(r, steps, schedules, user, fragment)
            if name is not None:
                chains[r.name] = name
    for r in mine:
        if r.kind == "grafana_oncall_integration" and not r.data:
            where = f"grafana_oncall_integration.{r.name}"
            route = r.values.get("default_route") or [{}]
            ref = reference((route[0] if isinstance(route, list) and route else {}).get("escalation_chain_id"))
            if ref is None or ref[2] not in chains:
                fragment.warn(r.path, f"{where}.default_route", "no escalation chain of the files read: left out")
                continue
            entry: dict[str, Any] = {"name": slug(r.name)}
            if isinstance(r.values.get("name"), str) and not is_expression(r.values["name"]):
                entry["display_name"] = r.values["name"]
            entry["escalation_policy"] = chains[ref[2]]
            fragment.oncall_item("services", entry, r.path)
            if r.values.get("route"):
                fragment.warn(
                    r.path, f"{where}.route", "routes within an integration are not modelled: its default route runs"
                )


def _points_to(step: Resource, chain: str) -> bool:
    ref = reference(step.values.get("escalation_chain_id"))
    return ref is not None and ref[1] == "grafana_oncall_escalation_chain" and ref[2] == chain


def _position(step: Resource) -> int:
    position = step.values.get("position")
    return position if isinstance(position, int) else 0


def _chain(  # noqa: PLR0912 - one branch per kind of step
    r: Resource, steps: list[Resource], schedules: dict[str, str], user: Any, fragment: Fragment
) -> str | None:
    where = f"grafana_oncall_escalation_chain.{r.name}"
    steps = sorted(steps, key=_position)
    rules: list[dict[str, Any]] = []
    current: dict[str, Any] = {"targets": []}
    for s in steps:
        at = f"grafana_oncall_escalation.{s.name}"
        kind = s.values.get("type")
        if kind == "wait":
            duration = s.values.get("duration")
            if not isinstance(duration, int | float) or duration <= 0:
                fragment.warn(s.path, f"{at}.duration", "not a number of seconds: the wait is left out")
                continue
            if current["targets"]:
                rules.append({**current, "escalation_delay_in_minutes": duration / 60})
                current = {"targets": []}
            continue
        if kind in ("notify_persons", "notify_person_next_each_time"):
            key = "persons_to_notify" if kind == "notify_persons" else "persons_to_notify_next_each_time"
            people = s.values.get(key) or []
            for k, v in enumerate(people if isinstance(people, list) else []):
                name = user(v, f"{at}.{key}[{k}]", s.path)
                if name is not None:
                    current["targets"].append({"type": "user_reference", "id": name})
            if kind == "notify_person_next_each_time":
                current["round_robin"] = True
        elif kind == "notify_on_call_from_schedule":
            ref = reference(s.values.get("notify_on_call_from_schedule"))
            if ref is not None and ref[1] == "grafana_oncall_schedule" and ref[2] in schedules:
                current["targets"].append({"type": "schedule_reference", "id": schedules[ref[2]]})
            else:
                value = s.values.get("notify_on_call_from_schedule")
                fragment.warn(
                    s.path,
                    f"{at}.notify_on_call_from_schedule",
                    f"{value!r} is no schedule of the files read: left out",
                )
        else:
            fragment.warn(s.path, f"{at}.type", f"step {kind!r} is not modelled (notify_persons, notify_on_call_from_schedule, "
                          "notify_person_next_each_time, wait): left out")  # fmt: skip
    if current["targets"]:
        rules.append({**current, "escalation_delay_in_minutes": LAST_LEVEL_MINUTES})
    if not rules:
        fragment.warn(r.path, where, "no step we could read: chain left out")
        return None
    entry: dict[str, Any] = {"name": slug(r.name)}
    if isinstance(r.values.get("name"), str) and not is_expression(r.values["name"]):
        entry["display_name"] = r.values["name"]
    entry["rules"] = [{"escalation_delay_in_minutes": x["escalation_delay_in_minutes"], "targets": x["targets"],
                       **({"round_robin": True} if x.get("round_robin") else {})} for x in rules]  # fmt: skip
    fragment.oncall_item("escalation_policies", entry, r.path)
    return str(entry["name"])


def _schedule(r: Resource, by_name: dict[tuple[str, str], Resource], user: Any, fragment: Fragment) -> str | None:
    where = f"grafana_oncall_schedule.{r.name}"
    zone = r.values.get("time_zone", "UTC")
    if is_expression(zone):
        fragment.warn(r.path, f"{where}.time_zone", f"{zone!r} is computed: schedule left out")
        return None
    layers = []
    shifts = r.values.get("shifts")
    for k, v in enumerate(shifts if isinstance(shifts, list) else []):
        ref = reference(v)
        shift = by_name.get(("grafana_oncall_on_call_shift", ref[2])) if ref is not None else None
        if shift is None:
            fragment.warn(r.path, f"{where}.shifts[{k}]", f"{v!r} is no shift of the files read: left out")
            continue
        layer = _shift(shift, user, fragment)
        if layer is not None:
            layers.append(layer)
    if not layers:
        fragment.warn(r.path, where, "no shift we could read: schedule left out")
        return None
    entry: dict[str, Any] = {"name": slug(r.name)}
    if isinstance(r.values.get("name"), str) and not is_expression(r.values["name"]):
        entry["display_name"] = r.values["name"]
    entry.update({"time_zone": str(zone), "layers": layers})
    fragment.oncall_item("schedules", entry, r.path)
    return str(entry["name"])


def _shift(s: Resource, user: Any, fragment: Fragment) -> dict[str, Any] | None:  # noqa: PLR0911, PLR0912 - one reason per return
    where = f"grafana_oncall_on_call_shift.{s.name}"
    v = s.values
    if v.get("type") != "rolling_users":
        fragment.warn(s.path, f"{where}.type", f"{v.get('type')!r} shifts are not modelled (rolling_users): left out")
        return None
    start, duration = v.get("start"), v.get("duration")
    frequency, interval = v.get("frequency"), v.get("interval", 1)
    if is_expression(start) or not isinstance(start, str):
        fragment.warn(s.path, f"{where}.start", f"{start!r} is computed: shift left out")
        return None
    if not isinstance(duration, int | float) or frequency not in _PERIOD or not isinstance(interval, int):
        fragment.warn(s.path, where, "duration, frequency (hourly, daily, weekly) or interval not read: left out")
        return None
    groups = v.get("rolling_users")
    if not isinstance(groups, list):
        fragment.warn(s.path, f"{where}.rolling_users", f"{groups!r} is computed: shift left out")
        return None
    users = []
    for k, group in enumerate(groups):
        first = group[0] if isinstance(group, list) and group else None
        name = user(first, f"{where}.rolling_users[{k}]", s.path) if first is not None else None
        if name is not None:
            users.append(name)
    if not users:
        return None
    try:
        when = datetime.fromisoformat(start)
    except ValueError:
        fragment.warn(s.path, f"{where}.start", f"{start!r} is not a date and time: shift left out")
        return None
    if when.tzinfo is None:  # a wall-clock time in the shift's zone (UTC when it names none)
        zone = v.get("time_zone")
        try:
            when = when.replace(tzinfo=ZoneInfo(str(zone)) if zone and not is_expression(zone) else UTC)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            when = when.replace(tzinfo=UTC)
    instant = when.isoformat()
    period = _PERIOD[frequency] * interval
    layer: dict[str, Any] = {"name": str(v.get("name") or s.name), "start": instant,
                             "rotation_turn_length_seconds": period, "users": users}  # fmt: skip
    if duration < _PERIOD[frequency]:
        by_day = v.get("by_day")
        days = [_DAYS[d] for d in (by_day if isinstance(by_day, list) else []) if isinstance(d, str) and d in _DAYS]
        time_of_day = when.strftime("%H:%M:%S")
        if frequency == "daily" or (frequency == "weekly" and len(days) in (0, 7)):
            layer["restrictions"] = [{"type": "daily_restriction", "start_time_of_day": time_of_day,
                                      "duration_seconds": int(duration)}]  # fmt: skip
        elif frequency == "weekly":
            layer["restrictions"] = [{"type": "weekly_restriction", "start_day_of_week": d,
                                      "start_time_of_day": time_of_day, "duration_seconds": int(duration)} for d in days]  # fmt: skip
    return layer
