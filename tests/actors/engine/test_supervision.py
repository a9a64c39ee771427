"""Crashing actors: the pager restarts without losing an incident, or the run stops (exit 3)."""

from __future__ import annotations

from pathlib import Path

from actors.pipeline import build
from bus.messages import ActorCrashed, ActorRestarted, Escalated, IncidentAcknowledged, IncidentResolved, Page
from scenarios.loader import parse_scenario
from tests.conftest import run_cli

CRASH = """
name: crash
until: 3h
services: [{name: api}]
slos: [{name: api-errors, service: api, objective: 0.99}]
responders:
  - {name: alice, level: L1, ack_after: 8m}
  - {name: bob, level: L2, ack_after: 2m}
escalation:
  levels:
    - {name: L1, targets: [alice], escalate_after: 5m}
    - {name: L2, targets: [bob], escalate_after: 5m}
runbooks:
  crashloop: [{name: restart, action: fix, signature: crashloop, takes: 1m}]
supervision: {restart: RESTART}
events:
  - {at: 10m, fault: {service: api, health: 0.5, signature: crashloop}}
  - {at: CRASH_AT, crash: {actor: pager}}
"""


def scenario(restart: bool, crash_at: str = "12m") -> str:
    return CRASH.replace("RESTART", "true" if restart else "false").replace("CRASH_AT", crash_at)


def test_a_restarted_pager_rebuilds_its_incidents_and_escalates_on_time() -> None:
    result = build(parse_scenario(scenario(True))).run()
    crashed = result.trace.of(ActorCrashed)
    assert [(e.t, e.msg.actor, e.msg.restart) for e in crashed] == [(16 * 60 + 30, "pager", True)]
    assert result.trace.messages(ActorRestarted)[0].replayed == 2  # its journal: its start, the IncidentOpened
    # The deadline the crash swallowed fires at its own time after the restart.
    assert [(e.t, e.msg.to_level) for e in result.trace.of(Escalated)] == [(16 * 60 + 30, "L2")]
    assert result.trace.first(IncidentAcknowledged, by="bob") is not None
    assert result.trace.first(IncidentResolved, incident="INC-001") is not None
    assert result.ending == "done"


def test_a_crash_on_the_incident_itself_loses_nothing_after_restart() -> None:
    # The crash is armed before the incident opens: the pager raises on IncidentOpened.
    result = build(parse_scenario(scenario(True, crash_at="11m"))).run()
    assert result.trace.messages(ActorCrashed)[0].message_kind == "IncidentOpened"
    pages = result.trace.of(Page)
    assert pages and pages[0].t == 11 * 60 + 30  # taken at once by the restarted pager
    assert result.trace.first(IncidentResolved, incident="INC-001") is not None


def test_without_restart_the_run_stops_with_exit_3_and_a_report(tmp_path: Path) -> None:
    path = tmp_path / "crash.yaml"
    path.write_text(scenario(False), encoding="utf-8")
    proc = run_cli(str(path), "--quiet")
    assert proc.returncode == 3
    assert "run over at T+00:16:30 (an actor crashed)" in proc.stdout
    assert proc.stderr.strip() == "error: actor pager crashed: InjectedCrash: crash injected by the scenario in a timer"
    assert "Traceback" not in proc.stderr
