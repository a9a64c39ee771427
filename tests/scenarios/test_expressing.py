"""What users asked to express: gate checks root_cause, not_paged, pages_per_person;
scripted human actions on the virtual clock; extends: with lists appended."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actors.pipeline import build
from actors.report.digest import digest
from actors.report.gate import evaluate
from bus.messages import Escalated, IncidentAcknowledged, IncidentResolved, Page
from scenarios.loader import ScenarioError, load_scenario, parse_scenario
from scenarios.schema import Expectation
from tests.conftest import ROOT

MIN = 60.0


def test_root_cause_not_paged_and_pages_per_person_on_bad_deploy() -> None:
    """bad_deploy: INC-001 is rooted at support-agent and pages alice then bob (one page
    each); the four sev3 incidents (session-cache, ...) are tickets that page nobody."""
    result = build(load_scenario(str(ROOT / "scenarios" / "bad_deploy.yaml"))).run()
    d = digest(result.trace)
    checks = [
        ({"check": "root_cause", "service": "support-agent"}, True),
        ({"check": "root_cause", "service": "cdn-edge", "incident": "INC-001"}, False),
        ({"check": "root_cause", "service": "cdn-edge"}, True),
        ({"check": "not_paged", "severity": "sev3"}, True),
        ({"check": "not_paged", "service": "session-cache"}, True),
        ({"check": "not_paged", "service": "support-agent"}, False),
        ({"check": "pages_per_person", "at_most": 1}, True),
        ({"check": "pages_per_person", "at_most": 0}, False),
        ({"check": "pages_per_person", "at_most": 0, "by": "carol"}, True),
    ]
    verdicts = evaluate([Expectation(**c) for c, _ in checks], d, ["alice", "bob", "carol"])
    assert [v.passed for v in verdicts] == [ok for _, ok in checks], [(v.name, v.figure) for v in verdicts]


def test_checks_without_their_field_are_one_line_errors() -> None:
    with pytest.raises(ScenarioError, match="pages_per_person needs at_most"):
        parse_scenario("name: x\nexpect: [{check: pages_per_person}]\n", "x.yaml")


TABLETOP = {
    "name": "tabletop",
    "until": "1h",
    "services": [{"name": "api"}],
    "slos": [{"name": "avail", "service": "api", "objective": 0.99}],
    "responders": [
        {"name": "ann", "level": "L1", "phone": "off"},
        {"name": "bob", "level": "L2", "phone": "off"},
        {"name": "carol", "level": "L3", "phone": "off"},
    ],
    "escalation": {"levels": [{"name": "L1", "targets": ["ann"], "escalate_after": "30m"},
                              {"name": "L2", "targets": ["bob"], "escalate_after": "30m"},
                              {"name": "L3", "targets": ["carol"], "escalate_after": "30m"}]},
    "events": [
        {"at": "10m", "fault": {"service": "api", "health": 0.5}},
        {"at": "15m", "ack": {"incident": "INC-001", "by": "ann"}},
        {"at": "16m", "escalate": {"incident": "INC-001", "by": "ann"}},
        {"at": "18m", "reassign": {"incident": "INC-001", "by": "bob", "to": "carol"}},
        {"at": "25m", "resolve": {"incident": "INC-001", "by": "carol"}},
    ],
}  # fmt: skip


def test_scripted_human_actions_happen_at_their_times() -> None:
    """The fault at 10m opens INC-001 at 11m30s and pages ann (phones are off: nobody acks
    by themselves). At 15m ann acks by script; at 16m she escalates: bob is paged at 16m;
    at 18m bob reassigns it to carol: carol is paged at 18m; at 25m carol resolves it."""
    result = build(parse_scenario(yaml.safe_dump(TABLETOP), "tabletop.yaml")).run()
    assert [(e.t, e.msg.by) for e in result.trace.of(IncidentAcknowledged)] == [(15 * MIN, "ann")]
    assert [(e.t, e.msg.to_level) for e in result.trace.of(Escalated)] == [(16 * MIN, "L2")]
    assert [(e.t, e.msg.responder) for e in result.trace.of(Page)] == [
        (11 * MIN + 30, "ann"),
        (16 * MIN, "bob"),
        (18 * MIN, "carol"),
    ]
    assert [(e.t, e.msg.by) for e in result.trace.of(IncidentResolved)][:1] == [(25 * MIN, "carol")]


def test_a_scripted_action_by_someone_unknown_is_one_line() -> None:
    bad = {**TABLETOP, "events": [{"at": "5m", "ack": {"incident": "INC-001", "by": "zed"}}]}
    with pytest.raises(ScenarioError, match=r"events\[0\]\.ack\.by: no responder named 'zed'"):
        build(parse_scenario(yaml.safe_dump(bad), "tabletop.yaml"))


def test_extends_appends_a_list_with_a_trailing_plus(tmp_path: Path) -> None:
    base = {"name": "base", "services": [{"name": "api"}], "events": [{"at": "1m", "note": "from the base"}]}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    (tmp_path / "more.yaml").write_text("extends: base.yaml\nname: more\nevents+: [{at: 2m, note: mine}]\n")
    (tmp_path / "instead.yaml").write_text("extends: base.yaml\nname: instead\nevents: [{at: 2m, note: mine}]\n")
    more = load_scenario(str(tmp_path / "more.yaml"))
    assert [e.note for e in more.events] == ["from the base", "mine"]
    assert [e.note for e in load_scenario(str(tmp_path / "instead.yaml")).events] == ["mine"]
    from scenarios.schema import Scenario

    assert "extends" in Scenario.model_json_schema()["properties"]
