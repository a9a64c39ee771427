"""Hostile configs for the on-call and graph importers: documents of the right shape with
values of any type. Each import either maps, with warnings, or stops with one clear
error; the fragment it prints loads as a scenario or is refused as bad input. Never a
traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.imports import import_files
from scenarios.loader import ScenarioError, parse_scenario

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.sampled_from(["UTC", "Europe/London", "2027-01-01T00:00:00Z", "09:00:00", "user", "schedule"]),
)  # fmt: skip
value = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping with some of *keys* (values of any type) and maybe others."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, value))


OPSGENIE = st.fixed_dictionaries(
    {},
    optional={
        "teams": st.lists(shaped(["name", "members"]), max_size=2),
        "schedules": st.lists(shaped(["name", "timezone"]), max_size=2),
        "schedule_rotations": st.lists(
            shaped(["name", "schedule_name", "start_date", "type", "length", "participants", "time_restriction"]),
            min_size=1, max_size=2,
        ),
        "escalations": st.lists(shaped(["name", "rules", "repeat"]), max_size=2),
        "services": st.lists(shaped(["name", "team_name"]), max_size=2),
    },
)  # fmt: skip
PAGERDUTY_API = st.one_of(
    st.fixed_dictionaries({"users": st.lists(shaped(["id", "name", "time_zone", "notification_rules"]).map(
        lambda d: {**d, "email": "x@example.com"}), min_size=1, max_size=2)}),
    st.fixed_dictionaries({"schedule": shaped(["id", "name", "time_zone", "final_schedule"]).map(
        lambda d: {**d, "schedule_layers": d.get("schedule_layers", [])})}),
    st.fixed_dictionaries({"escalation_policies": st.lists(shaped(["id", "name", "num_loops"]).map(
        lambda d: {**d, "escalation_rules": [{"targets": [{"id": "P1", "type": "user_reference"}], "escalation_delay_in_minutes": d.get("num_loops")}]}),
        min_size=1, max_size=2)}),
)  # fmt: skip
BACKSTAGE = shaped(["kind", "metadata", "spec"]).map(lambda d: {**d, "apiVersion": "backstage.io/v1alpha1"})


def survives(tmp_path: Path, doc: Any, kind: str) -> None:
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    problems: list[str] = []
    try:
        fragment = import_files([str(path)], kind)
        parse_scenario(fragment.to_yaml("fuzz"), "fuzz.yaml")
    except ScenarioError as exc:  # a clear refusal: one line
        problems.append(str(exc))
    assert all("\n" not in p for p in problems), problems


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("kind", ["opsgenie"])
@FUZZ
@given(doc=OPSGENIE)
def test_hostile_opsgenie_configs(tmp_path: Path, kind: str, doc: dict[str, Any]) -> None:
    survives(tmp_path, doc, kind)


@FUZZ
@given(doc=PAGERDUTY_API)
def test_hostile_pagerduty_api_exports(tmp_path: Path, doc: dict[str, Any]) -> None:
    survives(tmp_path, doc, "pagerduty")


@FUZZ
@given(doc=BACKSTAGE)
def test_hostile_backstage_entities(tmp_path: Path, doc: dict[str, Any]) -> None:
    survives(tmp_path, doc, "backstage")


HOSTILE_TF = [
    'resource "pagerduty_schedule" "s" {\n  name = 5\n  time_zone = ["UTC"]\n  layer = "x"\n}\n',
    (
        'resource "pagerduty_schedule" "s" {\n  time_zone = "UTC"\n  layer {\n    start = 7\n    users = "ann"\n'
        '    rotation_turn_length_seconds = "day"\n    restriction = 5\n  }\n}\n'
    ),
    (
        'resource "pagerduty_user" "a" { name = "A" }\n'
        'resource "pagerduty_escalation_policy" "p" {\n  num_loops = "many"\n  rule {\n    escalation_delay_in_minutes = "soon"\n'
        "    target {\n      type = 3\n      id = 5\n    }\n  }\n}\n"
    ),
    (
        'resource "pagerduty_service" "x" {\n  escalation_policy = pagerduty_escalation_policy.p.id\n  acknowledgement_timeout = "soon"\n'
        '  incident_urgency_rule = "high"\n  support_hours {\n    days_of_week = 3\n  }\n}\n'
    ),
    (
        'resource "grafana_oncall_on_call_shift" "w" {\n  type = "rolling_users"\n  start = "2027-01-01T09:00:00"\n  duration = "long"\n'
        '  frequency = "weekly"\n  by_day = 3\n  rolling_users = "x"\n}\n'
        'resource "grafana_oncall_schedule" "s" {\n  shifts = "w"\n  time_zone = 3\n}\n'
        'resource "grafana_oncall_escalation" "e" {\n  escalation_chain_id = 5\n  type = "wait"\n  duration = "x"\n}\n'
    ),
]


@pytest.mark.parametrize("text", HOSTILE_TF, ids=[f"terraform {i}" for i in range(len(HOSTILE_TF))])
def test_hostile_terraform_values(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.tf"
    path.write_text(text, encoding="utf-8")
    problems: list[str] = []
    try:
        fragment = import_files([str(path)])
        parse_scenario(fragment.to_yaml("fuzz"), "fuzz.yaml")
    except ScenarioError as exc:  # a clear refusal: one line
        problems.append(str(exc))
    assert all("\n" not in p for p in problems), problems
