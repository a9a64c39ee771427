"""On-call importers: PagerDuty Terraform and API exports, Grafana OnCall Terraform and
Opsgenie configs become ``responders:`` and ``pagerduty:`` fragments that load, and
``python -m actors.oncall who`` reads them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.oncall import main as oncall_main
from scenarios.imports import import_files
from scenarios.imports.__main__ import main as import_main
from scenarios.loader import load_scenario, parse_scenario
from scenarios.oncall import oncall_config
from tests.conftest import ROOT

REAL = ROOT.parent / "shared" / "real_configs" / "escalation"


def loads(fragment_yaml: str) -> Any:
    scenario = parse_scenario(fragment_yaml, "fragment.yaml")
    config = oncall_config(scenario, "fragment.yaml")
    assert config is not None
    return config


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real configs are not beside the project")
def test_the_quickstart_terraform_imports_and_who_prints_its_day_and_night_layers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """support_level_1 (Europe/London): catelyn_stark Mon-Fri 09:00-17:00, robb_stark
    Mon-Thu 17:00 + 16h, nobody at the weekend (24x5). Wednesday 2027-03-10 12:00Z (GMT):
    catelyn until 17:00 GMT; 22:00Z: robb until 09:00 the next day; Saturday 13 March 12:00Z:
    nobody until Monday 15 March 09:00; Wednesday 7 July 11:00Z (12:00 BST): catelyn until
    17:00 BST (16:00Z)."""
    for path in REAL.glob("pagerduty-quickstart__*.tf"):
        shutil.copy(path, tmp_path / path.name)
    files = sorted(p.name for p in tmp_path.glob("*.tf"))
    drill = tmp_path / "drill.yaml"
    drill.write_text(yaml.safe_dump({"name": "qs", "start": "2027-03-01T00:00:00Z", "imports": {"pagerduty": files}}))
    config = oncall_config(load_scenario(str(drill)), str(drill))
    assert config is not None and set(config.policies) == {"support", "operations", "it_management"}
    assert [r.delay for r in config.policies["support"].rules] == [300.0, 900.0, 1800.0]
    cases = {
        "2027-03-10T12:00:00Z": ["catelyn_stark (Workday Rotation)", "2027-03-10 17:00 GMT"],
        "2027-03-10T22:00:00Z": ["robb_stark (Nightshift Rotation)", "2027-03-11 09:00 GMT"],
        "2027-03-13T12:00:00Z": ["nobody", "2027-03-15 09:00 GMT"],
        "2027-07-07T11:00:00Z": ["catelyn_stark (Workday Rotation)", "2027-07-07 17:00 BST"],
    }
    for at, expected in cases.items():
        assert oncall_main(["who", str(drill), "--at", at]) == 0
        out = capsys.readouterr().out
        row = next(line for line in out.splitlines() if "│ support_level_1 " in line)
        assert [c.strip() for c in row.split("│")[3:5]] == expected, at


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real configs are not beside the project")
def test_every_shared_escalation_config_imports_without_a_crash() -> None:
    """Each file of the shared folder, by its kind; templated ones warn, none crash; the
    fragments load as scenarios."""
    groups = {
        "pagerduty": sorted(REAL.glob("pagerduty-*.tf")),
        "oncall": sorted(REAL.glob("grafana_*.tf")),
        "opsgenie": sorted(REAL.glob("cloudposse_opsgenie__*.yaml")),
    }
    for kind, paths in groups.items():
        fragment = import_files([str(p) for p in paths], kind)
        parse_scenario(fragment.to_yaml("x"), "fragment.yaml")
        for path in paths:
            import_files([str(path)], kind)


def test_a_pagerduty_api_export_maps_ids_rendering_index_and_final_schedule(tmp_path: Path) -> None:
    """An export in three files: users (with notification rules), a schedule whose layer
    with the higher rendering_index is listed first, a policy and a service naming them by
    id. The higher layer must come last (it wins); the rendered entry becomes an override.
    Names that are identifiers already stay (Bob); others become slugs (Ann Lee: ann-lee)."""
    users = {"users": [
        {"id": "PU1", "name": "Ann Lee", "email": "ann@example.com", "time_zone": "America/New_York",
         "notification_rules": [{"start_delay_in_minutes": 0, "urgency": "high", "contact_method": {"type": "push_notification_contact_method"}},
                                {"start_delay_in_minutes": 5, "urgency": "high", "contact_method": {"type": "phone_contact_method_reference"}}]},
        {"id": "PU2", "name": "Bob", "email": "bob@example.com"},
    ]}  # fmt: skip
    schedule = {"schedule": {
        "id": "PS1", "name": "Primary", "time_zone": "America/New_York",
        "schedule_layers": [
            {"name": "Top", "rendering_index": 2, "start": "2027-01-01T09:00:00-05:00", "rotation_virtual_start": "2027-01-01T09:00:00-05:00",
             "rotation_turn_length_seconds": 86400, "users": [{"user": {"id": "PU2"}}],
             "restrictions": [{"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 28800}]},
            {"name": "Base", "rendering_index": 1, "start": "2027-01-01T00:00:00-05:00",
             "rotation_turn_length_seconds": 604800, "users": [{"user": {"id": "PU1"}}]},
        ],
        "final_schedule": {"rendered_schedule_entries": [
            {"start": "2027-01-05T00:00:00-05:00", "end": "2027-01-05T06:00:00-05:00", "user": {"id": "PU2"}}]},
    }}  # fmt: skip
    rest = {"escalation_policies": [{"id": "PP1", "name": "Web EP", "num_loops": 1, "escalation_rules": [
                {"escalation_delay_in_minutes": 10, "targets": [{"id": "PS1", "type": "schedule_reference"}]},
                {"escalation_delay_in_minutes": 10, "targets": [{"id": "PU1", "type": "user_reference"}]}]}],
            "services": [{"id": "PSV", "name": "Web", "escalation_policy": {"id": "PP1", "type": "escalation_policy_reference"},
                          "acknowledgement_timeout": None, "auto_resolve_timeout": 14400,
                          "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"}}]}  # fmt: skip
    paths = []
    for name, doc in (("users.json", users), ("schedule.json", schedule), ("rest.json", rest)):
        (tmp_path / name).write_text(json.dumps(doc))
        paths.append(str(tmp_path / name))
    fragment = import_files(paths, "pagerduty")
    assert fragment.warnings == []
    data = fragment.as_scenario("x")
    [primary] = data["pagerduty"]["schedules"]
    assert [layer["name"] for layer in primary["layers"]] == ["Base", "Top"]
    assert primary["overrides"] == [
        {"user": "Bob", "start": "2027-01-05T00:00:00-05:00", "end": "2027-01-05T06:00:00-05:00"}
    ]
    [service] = data["pagerduty"]["services"]
    assert (service["name"], service["escalation_policy"], service["acknowledgement_timeout"]) == (
        "Web",
        "web-ep",
        None,
    )
    ann = next(p for p in data["responders"] if p["name"] == "ann-lee")
    assert [r["type"] for r in ann["notification_rules"]] == ["push", "phone"] and ann[
        "time_zone"
    ] == "America/New_York"
    config = loads(fragment.to_yaml("x"))
    from datetime import datetime, timedelta

    # Tuesday 5 Jan 2027 10:00 EST: the Top layer (bob, 09:00-17:00) wins over Base (ann);
    # 03:00 EST: the rendered entry (an override) puts bob on; 20:00: ann.
    at = {h: datetime(2027, 1, 5, 5, tzinfo=UTC) + timedelta(hours=h) for h in (3, 10, 20)}
    assert [config.schedules["Primary"].user_at(at[h]) for h in (3, 10, 20)] == ["Bob", "Bob", "ann-lee"]


ONCALL_TF = """
data "grafana_oncall_user" "alice" { username = "alice" }
data "grafana_oncall_user" "bo" { username = "bo" }
resource "grafana_oncall_on_call_shift" "week" {
  name = "Weekly"
  type = "rolling_users"
  start = "2027-01-04T09:00:00"
  duration = 28800
  frequency = "weekly"
  interval = 1
  by_day = ["MO", "TU", "WE", "TH", "FR"]
  rolling_users = [[data.grafana_oncall_user.alice.id], [data.grafana_oncall_user.bo.id]]
  time_zone = "Europe/Berlin"
}
resource "grafana_oncall_schedule" "team" {
  name = "Team"
  type = "calendar"
  time_zone = "Europe/Berlin"
  shifts = [grafana_oncall_on_call_shift.week.id]
}
resource "grafana_oncall_escalation_chain" "main" { name = "Main chain" }
resource "grafana_oncall_escalation" "s0" {
  escalation_chain_id = grafana_oncall_escalation_chain.main.id
  type = "notify_on_call_from_schedule"
  notify_on_call_from_schedule = grafana_oncall_schedule.team.id
  position = 0
}
resource "grafana_oncall_escalation" "s1" {
  escalation_chain_id = grafana_oncall_escalation_chain.main.id
  type = "wait"
  duration = 900
  position = 1
}
resource "grafana_oncall_escalation" "s2" {
  escalation_chain_id = grafana_oncall_escalation_chain.main.id
  type = "notify_persons"
  persons_to_notify = [data.grafana_oncall_user.bo.id]
  position = 2
}
resource "grafana_oncall_escalation" "s3" {
  escalation_chain_id = grafana_oncall_escalation_chain.main.id
  type = "trigger_webhook"
  position = 3
}
resource "grafana_oncall_integration" "alerts" {
  name = "Alerts"
  type = "grafana_alerting"
  default_route { escalation_chain_id = grafana_oncall_escalation_chain.main.id }
}
"""


def test_a_grafana_oncall_chain_is_cut_into_levels_at_its_waits(tmp_path: Path) -> None:
    """Steps by position: the schedule (level 1), wait 900 s (its delay: 15m), bo (level
    2, the chain's last: 5m), a webhook step (not modelled: one warning). The shift: weekly
    turns, Monday-Friday 09:00 for 8h in Berlin: weekly restrictions, alice then bo."""
    path = tmp_path / "oncall.tf"
    path.write_text(ONCALL_TF)
    fragment = import_files([str(path)], "oncall")
    assert len(fragment.warnings) == 1 and "trigger_webhook" in fragment.warnings[0]
    data = fragment.as_scenario("x")
    [policy] = data["pagerduty"]["escalation_policies"]
    assert [(r["escalation_delay_in_minutes"], r["targets"]) for r in policy["rules"]] == [
        (15.0, [{"type": "schedule_reference", "id": "team"}]),
        (5, [{"type": "user_reference", "id": "bo"}]),
    ]
    [layer] = data["pagerduty"]["schedules"][0]["layers"]
    assert layer["users"] == ["alice", "bo"] and layer["rotation_turn_length_seconds"] == 604800
    assert [r["start_day_of_week"] for r in layer["restrictions"]] == [1, 2, 3, 4, 5]
    assert data["pagerduty"]["services"] == [{"name": "alerts", "display_name": "Alerts", "escalation_policy": "main"}]
    loads(fragment.to_yaml("x"))


def test_bad_terraform_is_one_line_and_a_variable_is_a_warning_strict_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.tf"
    broken.write_text('resource "pagerduty_user" "a" {\n  name = \n')
    assert import_main(["pagerduty", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {broken}: malformed Terraform") and len(err.strip().splitlines()) == 1
    varied = tmp_path / "var.tf"
    varied.write_text(
        'resource "pagerduty_user" "a" { name = "A" }\n'
        'resource "pagerduty_escalation_policy" "p" {\n  name = "P"\n'
        "  rule {\n    escalation_delay_in_minutes = 5\n"
        '    target {\n      type = "user_reference"\n      id = pagerduty_user.a.id\n    }\n'
        '    target {\n      type = "user_reference"\n      id = var.manager\n    }\n  }\n}\n'
    )
    assert import_main(["pagerduty", str(varied)]) == 0
    out, err = capsys.readouterr()
    assert "var.manager" in err and "cannot be resolved" in err
    assert yaml.safe_load(out)["pagerduty"]["escalation_policies"][0]["rules"][0]["targets"] == [
        {"type": "user_reference", "id": "a"}
    ]
    assert import_main(["pagerduty", str(varied), "--strict"]) == 2
    first = import_files([str(varied)]).to_yaml("x")
    assert import_files([str(varied)]).to_yaml("x") == first  # the same bytes each time


def test_who_and_timeline_read_an_inline_config_and_bad_times_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule on a schedule (ann) then the manager, 5m each, no loops; every ack dropped:
    ann paged at 0, escalated at 5m to max, exhausted at 10m."""
    drill = tmp_path / "drill.yaml"
    drill.write_text(yaml.safe_dump({
        "name": "d", "start": "2027-01-04T00:00:00Z",
        "responders": [{"name": "ann"}, {"name": "max"}],
        "pagerduty": {
            "services": [{"name": "web", "escalation_policy": "p"}],
            "escalation_policies": [{"name": "p", "rules": [
                {"escalation_delay_in_minutes": 5, "targets": [{"type": "schedule_reference", "id": "s"}]},
                {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "max"}]}]}],
            "schedules": [{"name": "s", "layers": [{"start": "2027-01-01T00:00:00Z", "rotation_turn_length_seconds": 86400, "users": ["ann"]}]}],
        },
    }))  # fmt: skip
    assert oncall_main(["timeline", str(drill), "--service", "web", "--at", "1h", "--drop-ack", "L1,L2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    got = [(cells[2].strip(), cells[3].strip(), cells[4].strip()) for cells in (r.split("│") for r in rows)]
    assert [g for g in got if g[1] in ("Page", "Escalated", "EscalationExhausted")] == [
        ("0s", "Page", "ann"), ("5m", "Escalated", ""), ("5m", "Page", "max"), ("10m", "EscalationExhausted", ""),
    ]  # fmt: skip
    # by name: ann's acks and max's dropped, the same timeline
    assert oncall_main(["timeline", str(drill), "--service", "web", "--at", "1h", "--drop-ack", "ann,max"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    assert [r.split("│")[3].strip() for r in rows].count("Page") == 2 and "EscalationExhausted" in rows[-1]
    assert oncall_main(["timeline", str(drill), "--service", "web", "--drop-ack", "nobody-here"]) == 2
    assert "no such level or responder" in capsys.readouterr().err
    assert oncall_main(["who", str(drill), "--at", "2027-01-04T10:00:00"]) == 2
    err = capsys.readouterr().err
    assert "give the offset" in err and len(err.strip().splitlines()) == 1
    assert oncall_main(["timeline", str(drill), "--service", "nope"]) == 2
    assert "no such service" in capsys.readouterr().err


CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: shop}
spec: {type: website, owner: group:default/web, consumesApis: [orders-api], dependsOn: ['component:shop']}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orders}
spec: {type: service, owner: payments, providesApis: [orders-api], dependsOn: ['resource:default/orders-db', 'resource:cache']}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: orders-api}
spec: {type: openapi, owner: payments, definition: "{}"}
"""


def test_a_backstage_catalog_is_the_dependency_graph(tmp_path: Path) -> None:
    """shop consumes orders-api, which orders provides: shop depends on orders; orders
    depends on orders-db and on cache, which no file declares (a stub); shop's dependsOn
    itself is dropped with a warning; owners become teams (group: and namespace dropped)."""
    path = tmp_path / "catalog-info.yaml"
    path.write_text(CATALOG)
    fragment = import_files([str(path)], "backstage")
    assert len(fragment.warnings) == 1 and "depends on itself" in fragment.warnings[0]
    services = {s["name"]: s for s in fragment.services.values()}
    assert services["shop"] == {"name": "shop", "team": "web", "depends_on": ["orders"]}
    assert services["orders"]["depends_on"] == ["orders-db", "cache"] and services["cache"] == {"name": "cache"}
    scenario = parse_scenario(fragment.to_yaml("x"), "x.yaml")
    from scenarios.checks import load_topology

    topology = load_topology(scenario, "x.yaml")
    assert topology.blast_radius("cache") == ["orders", "shop"]
    drill = tmp_path / "drill.yaml"
    drill.write_text("name: d\nimports: {services: [catalog-info.yaml]}\n")
    assert {s.name for s in load_scenario(str(drill)).services} == {"shop", "orders", "orders-db", "cache"}


@pytest.mark.skipif(
    not (REAL.parent / "dependency_graph").is_dir(), reason="the shared real configs are not beside the project"
)
def test_the_shared_backstage_catalogs_import() -> None:
    paths = sorted(str(p) for p in (REAL.parent / "dependency_graph").glob("*.yaml"))
    fragment = import_files(paths, "backstage")
    services = {s["name"]: s for s in fragment.services.values()}
    assert services["artist-lookup"]["depends_on"] == ["artists-db"]
    assert services["www-artist"]["depends_on"] == ["artist-lookup"]
    parse_scenario(fragment.to_yaml("x"), "x.yaml")
