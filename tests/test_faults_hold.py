"""Faults that must change nothing, over every scenario in scenarios/ (so later scenarios
keep them green):

- every message duplicated (``faults: [{action: duplicate}]`` added to the scenario's own
  rules): each actor is an idempotent consumer, so the gate's verdicts, the invariants and
  the ending are those of the plain run;
- each actor crashed once (its next handler or timer raises), at each of the instants where
  the drill's story turns (the start, the first alert, the incident's opening, the first
  page, the first ack, the resolution), with ``supervision: {restart: true}``: the actor restarts by replaying its
  journal, the message or timer the crash interrupted is handed over again, and again the
  verdicts, the invariants and the ending are those of the plain run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actors.engine.runtime import RunResult
from actors.pipeline import build
from actors.report.digest import digest
from actors.report.gate import evaluate
from actors.report.invariants import check_invariants
from bus.messages import (
    ActorCrashed,
    ActorRestarted,
    AlertFired,
    IncidentOpened,
    IncidentResolved,
    Message,
    Page,
    PageAcked,
)
from scenarios.checks import actor_names
from scenarios.loader import load_scenario
from scenarios.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml"))
TURNS: tuple[type[Message], ...] = (AlertFired, IncidentOpened, Page, PageAcked, IncidentResolved)

Outcome = tuple[str, list[str], list[tuple[str, bool]]]


def changed(path: str, **fields: Callable[[Any], Any]) -> Scenario:
    """The scenario at *path* (extends: resolved) with some top-level fields rewritten."""
    data = load_scenario(str(ROOT / path)).model_dump(mode="json", by_alias=True, exclude_none=True)
    for name, change in fields.items():
        data[name] = change(data.get(name))
    return Scenario.model_validate(data)


def run(scenario: Scenario, path: str) -> tuple[Outcome, RunResult]:
    result = build(scenario, path=path).run()
    d = digest(result.trace)
    broken = [i.name for i in check_invariants(d, result.accounts) if not i.held]
    verdicts = [(v.name, v.passed) for v in evaluate(scenario.expect, d, [p.name for p in scenario.responders])]
    return (result.ending, broken, verdicts), result


_PLAIN: dict[str, tuple[Outcome, RunResult]] = {}


def plain(path: str) -> tuple[Outcome, RunResult]:
    if path not in _PLAIN:
        _PLAIN[path] = run(load_scenario(str(ROOT / path)), path)
    return _PLAIN[path]


def turning_points(result: RunResult) -> list[float]:
    """The start and the first instant of each turn of the story, in seconds."""
    instants = {0.0}
    for kind in TURNS:
        first = result.trace.first(kind)
        if first is not None:
            instants.add(first.t)
    return sorted(instants)


@pytest.mark.parametrize("path", SCENARIOS)
def test_every_message_duplicated_changes_nothing(path: str) -> None:
    expected, _ = plain(path)
    scenario = changed(path, faults=lambda rules: [*(rules or []), {"name": "dup-all", "action": "duplicate"}])
    outcome, result = run(scenario, path)
    assert result.accounts.duplicated > 0  # the rule did hit: every copy came twice
    assert outcome == expected


@pytest.mark.parametrize("path", SCENARIOS)
def test_each_actor_crashed_once_at_each_turn_changes_nothing(path: str) -> None:
    expected, base = plain(path)
    actors = actor_names(load_scenario(str(ROOT / path)))
    failures = []
    hit = dict.fromkeys(actors, 0)
    for actor in actors:
        for at in turning_points(base):
            scenario = changed(
                path,
                supervision=lambda _: {"restart": True},
                events=lambda evs, at=at, actor=actor: [*(evs or []), {"at": at, "crash": {"actor": actor}}],
            )
            outcome, result = run(scenario, path)
            crashed = [m for m in result.trace.messages(ActorCrashed) if m.actor == actor]
            restarted = [m for m in result.trace.messages(ActorRestarted) if m.actor == actor]
            hit[actor] += len(crashed)
            # An actor with nothing left to do after the crash is armed never crashes.
            if len(crashed) > 1 or len(restarted) != len(crashed) or outcome != expected:
                failures.append((actor, at, len(crashed), outcome))
    assert failures == []
    assert [a for a, n in hit.items() if n == 0] == []  # every actor did crash, at some turn
