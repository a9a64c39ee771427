"""SLI figures are state, not events, and steady state is skipped: neither changes a run.

Three ways to run every scenario: as before this change (an ``SliReported`` per SLO per
evaluation, every rule evaluated every time), with the reports said only when a reader
listens or they change, and with the quiet SLOs' rule evaluation skipped too (the
default). The series (every SLO at every evaluation) is the same in all three; every
message other than ``SliReported`` is the same, at the same virtual time, to the same
recipients; the reports said are among the reports of the first way, word for word; and
skipping changes nothing at all: the default run's trace is byte-identical to the run
that evaluates every rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.engine.runtime import RunResult
from actors.pipeline import Options, build
from bus.messages import SliReported
from scenarios.loader import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
DRILLS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))

#: Random outcomes and noisy traffic on a custom two-tier SLO: quiet stretches between
#: faults, a rule that pends and fires, and windows that keep errors for an hour.
NOISY: dict[str, Any] = {
    "name": "noisy",
    "until": "8h",
    "services": [{"name": "api"}, {"name": "db"}],
    "slos": [
        {"name": "avail", "service": "api", "objective": 0.999, "policy": "custom",
         "tiers": [{"name": "fast", "long": "1h", "short": "5m", "factor": 14.4, "severity": "critical", "for": "2m"},
                   {"name": "slow", "long": "6h", "short": "30m", "factor": 6, "severity": "warning"}]},
        {"name": "db-avail", "service": "db", "objective": 0.99, "policy": "sloth"},
    ],
    "traffic": {"requests_per_minute": 500, "outcomes": "random", "noise": 0.2},
    "events": [
        {"at": "1h", "fault": {"service": "api", "health": 0.9}},
        {"at": "1h20m", "recover": {"service": "api"}},
        {"at": "4h", "fault": {"service": "db", "health": 0.5, "ramp": "5m"}},
        {"at": "4h10m", "recover": {"service": "db"}},
        {"at": "7h59m", "note": "the end"},
    ],
}  # fmt: skip


def runs(name: str) -> tuple[RunResult, RunResult, RunResult]:
    scenario = (
        parse_scenario(yaml.safe_dump(NOISY), "noisy.yaml")
        if name == "noisy"
        else load_scenario(str(ROOT / "scenarios" / name))
    )
    before = build(scenario, Options(sli_reports="every", skip_quiet=False)).run()
    said = build(scenario, Options(skip_quiet=False)).run()
    skipped = build(scenario).run()
    return before, said, skipped


def _series(result: RunResult) -> list[tuple[Any, ...]]:
    return [tuple(s) for s in result.trace.series.samples()]


def _others(result: RunResult) -> list[tuple[Any, ...]]:
    """Every message but the SLI reports, with sequence numbers (the causal parent, a
    notification's alerts) replaced by the place of their message among these."""
    kept = [e for e in result.trace if not isinstance(e.msg, SliReported)]
    place = {e.seq: i for i, e in enumerate(kept)}
    out = []
    for e in kept:
        data = e.msg.model_dump(mode="json")
        for key in ("firing", "resolved", "message_seq"):
            value = data.get(key)
            if isinstance(value, list):
                data[key] = [place.get(v, -1) for v in value]
            elif isinstance(value, int):
                data[key] = place.get(value, -1)
        parent = None if e.parent is None else place.get(e.parent, "a report")
        out.append((e.t, e.sender, e.to, e.incident, parent, e.kind, data))
    return out


@pytest.mark.parametrize("name", [*DRILLS, "noisy"])
def test_reports_said_on_change_and_skipped_steady_state_change_nothing(name: str) -> None:
    before, said, skipped = runs(name)
    assert len(before.trace.series) > 0
    assert _series(before) == _series(said) == _series(skipped)
    assert _others(before) == _others(said)
    every = {(e.t, e.msg.model_dump_json()) for e in before.trace.of(SliReported)}
    kept = [(e.t, e.msg.model_dump_json()) for e in said.trace.of(SliReported)]
    assert set(kept) <= every and len(kept) <= len(every)
    assert (before.ending, before.ended_at) == (said.ending, said.ended_at)
    assert said.trace.to_jsonl() == skipped.trace.to_jsonl()


def test_the_day_says_a_fraction_of_its_reports() -> None:
    """The realistic day: most SLOs are steady most of the day; their reports are said
    when they change or while someone listens, a small part of one per evaluation."""
    before, said, _ = runs("follow_the_sun.yaml")
    n_before, n_said = len(before.trace.of(SliReported)), len(said.trace.of(SliReported))
    assert n_said * 5 < n_before, (n_said, n_before)
