"""PagerDuty configs: Terraform (``pagerduty_user``, ``pagerduty_user_contact_method``,
``pagerduty_user_notification_rule``, ``pagerduty_schedule``, ``pagerduty_escalation_policy``,
``pagerduty_service``) and REST API exports (``GET /users``, ``/schedules/{id}``,
``/escalation_policies``, ``/services``), as the scenario's ``responders:`` and
``pagerduty:``.

Resource names (Terraform) or names (API) become the identifiers of people, schedules,
policies and services, the original names kept as ``display_name``. References resolve
to resources of the same files (Terraform ``pagerduty_schedule.primary.id``, API ids); one
that does not (a variable, a data source, a resource in no file read) is reported, never
guessed. Terraform layers: a later ``layer`` block wins; API layers: the higher
``rendering_index`` wins; an API schedule's rendered ``final_schedule`` entries become
overrides (they are what PagerDuty shows for that range).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scenarios.imports.common import Fragment, is_api_export, items, mapping, slug, text
from scenarios.imports.hcl import Resource, is_expression, reference

__all__ = ["is_api_export", "read_api", "read_terraform_resources"]

_METHODS = {
    "email_contact_method": "email",
    "phone_contact_method": "phone",
    "sms_contact_method": "sms",
    "push_notification_contact_method": "push",
}


def _zone(value: Any) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return str(value)


def _instant(value: Any) -> str | None:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.isoformat() if when.tzinfo is not None else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _list(value: Any) -> list[Any]:
    """A list value (anything else: empty; a lone block: a list of one)."""
    if isinstance(value, dict):
        return [value]
    return value if isinstance(value, list) else []


def _blocks(value: Any) -> list[dict[str, Any]]:
    """A Terraform block list (or one block) as a list of mappings."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _urgency_rule(rule: dict[str, Any], where: str, fragment: Fragment, path: str) -> dict[str, Any] | None:
    kind = rule.get("type", "constant")
    if kind == "constant" and rule.get("urgency") in ("high", "low", "severity_based"):
        return {"type": "constant", "urgency": rule["urgency"]}
    if kind == "use_support_hours":
        parts = {}
        for side in ("during_support_hours", "outside_support_hours"):
            block = _blocks(rule.get(side))
            urgency = block[0].get("urgency") if block else None
            if urgency not in ("high", "low", "severity_based"):
                fragment.warn(path, f"{where}.{side}", "no urgency we read (high, low, severity_based); default kept")
                return None
            parts[side] = {"type": "constant", "urgency": urgency}
        return {"type": "use_support_hours", **parts}
    fragment.warn(path, where, f"urgency rule {kind!r} is not one we model (constant, use_support_hours)")
    return None


def _support_hours(block: dict[str, Any], where: str, fragment: Fragment, path: str) -> dict[str, Any] | None:
    zone = _zone(block.get("time_zone"))
    days = [d for d in _list(block.get("days_of_week")) if isinstance(d, int) and 1 <= d <= 7]
    start, end = str(block.get("start_time", "")), str(block.get("end_time", ""))
    if zone is None or not days or len(start) < 5 or len(end) < 5:
        fragment.warn(path, where, "support hours without a time zone, days and start/end times: left out")
        return None
    return {"type": "fixed_time_per_day", "time_zone": zone, "days_of_week": days, "start_time": start, "end_time": end}


def _restriction(r: dict[str, Any]) -> dict[str, Any] | None:
    kind = r.get("type")
    duration = _int(r.get("duration_seconds"))
    start = str(r.get("start_time_of_day", ""))
    if kind not in ("daily_restriction", "weekly_restriction") or duration is None or len(start) < 5:
        return None
    out: dict[str, Any] = {"type": kind, "start_time_of_day": start, "duration_seconds": duration}
    if kind == "weekly_restriction":
        day = _int(r.get("start_day_of_week"))
        if day is None:
            return None
        out["start_day_of_week"] = day
    return out


def _layer(raw: dict[str, Any], users: list[str], where: str, fragment: Fragment, path: str) -> dict[str, Any] | None:
    start = _instant(raw.get("start"))
    turn = _int(raw.get("rotation_turn_length_seconds"))
    if start is None or turn is None or turn <= 0 or not users:
        fragment.warn(path, where, "a layer without a start, a turn length and users we know: left out")
        return None
    layer: dict[str, Any] = {"name": str(raw.get("name") or ""), "start": start}
    virtual = _instant(raw.get("rotation_virtual_start"))
    if virtual is not None:
        layer["rotation_virtual_start"] = virtual
    end = _instant(raw.get("end")) if raw.get("end") not in (None, "", "null") else None
    if end is not None:
        layer["end"] = end
    layer["rotation_turn_length_seconds"] = turn
    layer["users"] = users
    restrictions = []
    for j, r in enumerate(_list(raw.get("restrictions")) or _list(raw.get("restriction"))):
        made = _restriction(r) if isinstance(r, dict) else None
        if made is None:
            fragment.warn(path, f"{where}.restriction[{j}]", "not a daily or weekly restriction we read: left out")
        else:
            restrictions.append(made)
    if restrictions:
        layer["restrictions"] = restrictions
    return layer


# --- Terraform -------------------------------------------------------------------------


def read_terraform_resources(resources: list[Resource], fragment: Fragment) -> None:
    """Map every PagerDuty resource of the files read (all of them: references cross files)."""
    mine = [r for r in resources if r.kind.startswith("pagerduty_")]
    known = {(r.kind, r.name) for r in mine if not r.data}

    def target(value: Any, kind: str, where: str, path: str) -> str | None:
        ref = reference(value)
        if ref is not None and not ref[0] and (ref[1], ref[2]) in known and ref[1] == kind:
            return slug(ref[2])
        why = "a data source" if ref is not None and ref[0] else "not a resource of the files read"
        fragment.warn(path, where, f"{value!r} is {why}: cannot be resolved, left out")
        return None

    methods = {
        r.name: _METHODS.get(str(r.values.get("type")), "") for r in mine if r.kind == "pagerduty_user_contact_method"
    }
    for r in mine:
        if r.kind == "pagerduty_user" and not r.data:
            entry = fragment.person(r.name, str(r.values.get("name") or "") or None)
            zone = _zone(r.values.get("time_zone")) if r.values.get("time_zone") else None
            if zone is not None:
                entry["time_zone"] = zone
    for r in mine:
        where = f"{r.kind}.{r.name}"
        if r.kind == "pagerduty_user_notification_rule":
            user = target(r.values.get("user_id"), "pagerduty_user", f"{where}.user_id", r.path)
            block = _blocks(r.values.get("contact_method"))
            ref = reference(block[0].get("id")) if block else None
            method = methods.get(ref[2], "") if ref is not None else ""
            if not method and block:
                method = _METHODS.get(str(block[0].get("type")), "")
            delay = r.values.get("start_delay_in_minutes")
            if user is None or not method or not isinstance(delay, int | float):
                if user is not None:
                    fragment.warn(r.path, where, "no contact method type or delay we read: left out")
                continue
            urgency = r.values.get("urgency", "high")
            fragment.person(user).setdefault("notification_rules", []).append(
                {
                    "urgency": urgency if urgency in ("high", "low") else "high",
                    "start_delay_in_minutes": delay,
                    "type": method,
                }
            )
        elif r.kind == "pagerduty_schedule" and not r.data:
            _tf_schedule(r, target, fragment)
        elif r.kind == "pagerduty_escalation_policy" and not r.data:
            _tf_policy(r, target, fragment)
        elif r.kind == "pagerduty_service" and not r.data:
            _tf_service(r, target, fragment)


def _tf_schedule(r: Resource, target: Any, fragment: Fragment) -> None:
    where = f"pagerduty_schedule.{r.name}"
    zone = _zone(r.values.get("time_zone"))
    if zone is None:
        fragment.warn(
            r.path, f"{where}.time_zone", f"{r.values.get('time_zone')!r} is not a time zone: schedule left out"
        )
        return
    layers = []
    for j, raw in enumerate(_blocks(r.values.get("layer"))):
        users = [u for k, v in enumerate(_list(raw.get("users")))
                 if (u := target(v, "pagerduty_user", f"{where}.layer[{j}].users[{k}]", r.path)) is not None]  # fmt: skip
        layer = _layer(raw, users, f"{where}.layer[{j}]", fragment, r.path)
        if layer is not None:
            layers.append(layer)
    if not layers:
        fragment.warn(r.path, where, "no layer we could read: schedule left out")
        return
    entry: dict[str, Any] = {"name": slug(r.name)}
    if r.values.get("name"):
        entry["display_name"] = str(r.values["name"])
    entry.update({"time_zone": zone, "layers": layers})
    fragment.oncall_item("schedules", entry, r.path)


def _tf_policy(r: Resource, target: Any, fragment: Fragment) -> None:
    where = f"pagerduty_escalation_policy.{r.name}"
    rules = []
    for j, raw in enumerate(_blocks(r.values.get("rule"))):
        targets = []
        for k, t in enumerate(_blocks(raw.get("target"))):
            kind = "schedule" if str(t.get("type", "user")).startswith("schedule") else "user"
            name = target(t.get("id"), f"pagerduty_{kind}", f"{where}.rule[{j}].target[{k}]", r.path)
            if name is not None:
                targets.append({"type": f"{kind}_reference", "id": name})
        delay = raw.get("escalation_delay_in_minutes")
        if not targets or not isinstance(delay, int | float) or delay <= 0:
            fragment.warn(r.path, f"{where}.rule[{j}]", "no target or delay we could read: rule left out")
            continue
        rule: dict[str, Any] = {"escalation_delay_in_minutes": delay, "targets": targets}
        strategy = _blocks(raw.get("escalation_rule_assignment_strategy"))
        if strategy and strategy[0].get("type") == "round_robin":
            rule["round_robin"] = True
        rules.append(rule)
    if not rules:
        fragment.warn(r.path, where, "no rule we could read: policy left out")
        return
    entry: dict[str, Any] = {"name": slug(r.name)}
    if r.values.get("name"):
        entry["display_name"] = str(r.values["name"])
    loops = _int(r.values.get("num_loops"))
    entry["num_loops"] = min(max(loops or 0, 0), 9)
    entry["rules"] = rules
    fragment.oncall_item("escalation_policies", entry, r.path)


def _tf_service(r: Resource, target: Any, fragment: Fragment) -> None:
    where = f"pagerduty_service.{r.name}"
    policy = target(
        r.values.get("escalation_policy"), "pagerduty_escalation_policy", f"{where}.escalation_policy", r.path
    )
    if policy is None:
        return
    entry = _service(r.name, r.values, policy, where, fragment, r.path)
    fragment.oncall_item("services", entry, r.path)


def _service(
    name: str, values: dict[str, Any], policy: str, where: str, fragment: Fragment, path: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": slug(name)}
    if values.get("name") and values["name"] != entry["name"]:
        entry["display_name"] = str(values["name"])
    entry["escalation_policy"] = policy
    for key in ("acknowledgement_timeout", "auto_resolve_timeout"):
        value = values.get(key)
        if value in (None, "null", ""):
            if key in values:
                entry[key] = None
            continue
        seconds = _int(value)
        if seconds is None or seconds <= 0 or is_expression(value):
            fragment.warn(path, f"{where}.{key}", f"{value!r} is not a number of seconds: default kept")
        else:
            entry[key] = seconds
    rule = values.get("incident_urgency_rule")
    block = _blocks(rule)
    if block:
        made = _urgency_rule(block[0], f"{where}.incident_urgency_rule", fragment, path)
        if made is not None:
            hours = _blocks(values.get("support_hours"))
            if made["type"] == "use_support_hours":
                support = _support_hours(hours[0], f"{where}.support_hours", fragment, path) if hours else None
                if support is None:
                    fragment.warn(path, f"{where}.incident_urgency_rule", "support hours missing: default urgency kept")
                    return entry
                entry["support_hours"] = support
            entry["incident_urgency_rule"] = made
    return entry


# --- REST API exports ------------------------------------------------------------------


def read_api(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    """One API answer. Ids are kept on the fragment until every file is read, so a policy
    may name a schedule exported in another file."""
    ids = fragment.pd_ids
    for user in items(doc.get("users")):
        if text(user.get("id")) and text(user.get("name")):
            ids[text(user["id"])] = ("user", slug(text(user["name"])))
            entry = fragment.person(text(user["name"]), text(user["name"]))
            zone = _zone(user.get("time_zone")) if user.get("time_zone") else None
            if zone is not None:
                entry["time_zone"] = zone
            for rule in items(user.get("notification_rules")):
                method = _METHODS.get(
                    text(mapping(rule.get("contact_method")).get("type", "")).removesuffix("_reference")
                )
                delay = rule.get("start_delay_in_minutes")
                if method and isinstance(delay, int | float):
                    entry.setdefault("notification_rules", []).append(
                        {
                            "urgency": rule.get("urgency") if rule.get("urgency") in ("high", "low") else "high",
                            "start_delay_in_minutes": delay,
                            "type": method,
                        }
                    )
    schedules = items(doc.get("schedules"))
    if isinstance(doc.get("schedule"), dict):
        schedules.append(doc["schedule"])
    for s in schedules:
        if text(s.get("id")) and text(s.get("name")):
            ids[text(s["id"])] = ("schedule", slug(text(s["name"])))
            fragment.pd_pending.append(("schedule", s, path))
    for p in items(doc.get("escalation_policies")):
        if text(p.get("id")) and text(p.get("name")):
            ids[text(p["id"])] = ("policy", slug(text(p["name"])))
            fragment.pd_pending.append(("policy", p, path))
    for s in items(doc.get("services")):
        if text(s.get("name")):
            fragment.pd_pending.append(("service", s, path))


def finish_api(fragment: Fragment) -> None:
    """Map what the API answers held, now that every id is known."""
    ids = fragment.pd_ids

    def known(ref: Any, kind: str, where: str, path: str) -> str | None:
        rid = text(ref.get("id", "")) if isinstance(ref, dict) else text(ref)
        found = ids.get(rid)
        if found is None or found[0] != kind:
            fragment.warn(path, where, f"{kind} id {rid!r} is in no file read: left out")
            return None
        return found[1]

    for kind, item, path in fragment.pd_pending:
        name = slug(text(item["name"]))
        if kind == "schedule":
            _api_schedule(item, name, known, fragment, path)
        elif kind == "policy":
            _api_policy(item, name, known, fragment, path)
        else:
            policy = known(item.get("escalation_policy"), "policy", f"services.{name}.escalation_policy", path)
            if policy is not None:
                values = dict(item)
                rule = item.get("incident_urgency_rule")
                values["incident_urgency_rule"] = [rule] if isinstance(rule, dict) else []
                values["support_hours"] = [item["support_hours"]] if isinstance(item.get("support_hours"), dict) else []
                fragment.oncall_item(
                    "services", _service(name, values, policy, f"services.{name}", fragment, path), path
                )
    fragment.pd_pending.clear()


def _api_schedule(item: dict[str, Any], name: str, known: Any, fragment: Fragment, path: str) -> None:
    where = f"schedules.{name}"
    zone = _zone(item.get("time_zone"))
    if zone is None:
        fragment.warn(path, f"{where}.time_zone", "not a time zone: schedule left out")
        return
    raw_layers = items(item.get("schedule_layers"))
    raw_layers.sort(key=lambda x: _int(x.get("rendering_index")) or 0)  # the higher wins: listed later
    layers = []
    for j, raw in enumerate(raw_layers):
        users = [u for k, ref in enumerate(items(raw.get("users")))
                 if (u := known(ref.get("user"), "user", f"{where}.schedule_layers[{j}].users[{k}]", path))]  # fmt: skip
        layer = _layer(raw, users, f"{where}.schedule_layers[{j}]", fragment, path)
        if layer is not None:
            layers.append(layer)
    if not layers:
        fragment.warn(path, where, "no layer we could read: schedule left out")
        return
    entry: dict[str, Any] = {"name": name, "display_name": text(item["name"]), "time_zone": zone, "layers": layers}
    overrides = []
    final = items(mapping(item.get("final_schedule")).get("rendered_schedule_entries"))
    for k, e in enumerate(final):
        user = known(e.get("user"), "user", f"{where}.final_schedule[{k}].user", path)
        start, end = _instant(e.get("start")), _instant(e.get("end"))
        if user and start and end and start < end:
            overrides.append({"user": user, "start": start, "end": end})
    if overrides:
        entry["overrides"] = overrides
    if entry["display_name"] == name:
        del entry["display_name"]
    fragment.oncall_item("schedules", entry, path)


def _api_policy(item: dict[str, Any], name: str, known: Any, fragment: Fragment, path: str) -> None:
    where = f"escalation_policies.{name}"
    rules = []
    for j, raw in enumerate(items(item.get("escalation_rules"))):
        targets = []
        for k, t in enumerate(items(raw.get("targets"))):
            kind = "schedule" if text(t.get("type", "")).startswith("schedule") else "user"
            found = known(t, kind, f"{where}.escalation_rules[{j}].targets[{k}]", path)
            if found is not None:
                targets.append({"type": f"{kind}_reference", "id": found})
        delay = raw.get("escalation_delay_in_minutes")
        if targets and isinstance(delay, int | float) and delay > 0:
            rules.append({"escalation_delay_in_minutes": delay, "targets": targets})
        else:
            fragment.warn(path, f"{where}.escalation_rules[{j}]", "no target or delay we could read: rule left out")
    if not rules:
        fragment.warn(path, where, "no rule we could read: policy left out")
        return
    entry: dict[str, Any] = {"name": name}
    if text(item["name"]) != name:
        entry["display_name"] = text(item["name"])
    entry["num_loops"] = min(max(_int(item.get("num_loops")) or 0, 0), 9)
    entry["rules"] = rules
    fragment.oncall_item("escalation_policies", entry, path)
