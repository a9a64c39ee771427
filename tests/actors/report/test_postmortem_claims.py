"""Every claim a postmortem makes is a fact of the trace: checked sentence by sentence for
every scenario of ``scenarios/`` (with and without dropped acks) and for generated ones
(a fault-free day, a failure below a cycle, a flapping dependency, a runbook that runs
out, an incident nobody acknowledges)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.engine.runtime import RunResult
from actors.pipeline import Options, build
from actors.report.postmortem import _pct
from bus.messages import (
    Escalated,
    EscalationExhausted,
    FaultStarted,
    FixApplied,
    HandedOff,
    IncidentAcknowledged,
    IncidentResolved,
    Page,
    PageAcked,
    PostmortemWritten,
    RolledBack,
)
from bus.vtime import format_duration, format_vtime
from scenarios.loader import load_scenario, parse_scenario
from tests.conftest import ROOT

SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))


def generated() -> dict[str, Any]:
    """Scenarios of our own that reach the corners of the template."""
    cycle = {
        "name": "cycle", "until": "2h",
        "services": [{"name": "A", "depends_on": ["B"]}, {"name": "B", "depends_on": ["C"]},
                     {"name": "C", "depends_on": ["A", "E"]}, {"name": "D", "depends_on": ["A"]}, {"name": "E"}],
        "slos": [{"name": "avail", "service": ["A", "B", "C", "D"], "objective": 0.99}],
        "responders": [{"name": "ann", "level": "L1", "ack_after": "1m"}],
        "escalation": {"levels": [{"name": "L1", "targets": ["ann"], "escalate_after": "5m"}]},
        "runbooks": {"error_rate": [{"name": "fail over", "action": "mitigate", "sli": 1.0, "takes": "2m"}]},
        "events": [{"at": "10m", "fault": {"service": "E", "health": 0.85}}, {"at": "40m", "recover": {"service": "E"}}],
    }  # fmt: skip
    nobody = {
        "name": "nobody", "until": "2h",
        "services": [{"name": "api"}],
        "slos": [{"name": "avail", "service": "api", "objective": 0.99}],
        "responders": [{"name": "ann", "level": "L1", "phone": "off"}],
        "escalation": {"levels": [{"name": "L1", "targets": ["ann"], "escalate_after": "5m"}], "repeat": 1},
        "events": [{"at": "10m", "fault": {"service": "api", "health": 0.5}}, {"at": "1h", "recover": {"service": "api"}}],
    }  # fmt: skip
    runs_out = {
        **nobody, "name": "runs_out",
        "responders": [{"name": "ann", "level": "L1", "ack_after": "1m"}],
        "runbooks": {"error_rate": [{"name": "restart", "action": "mitigate", "sli": 0.6, "takes": "1m"}]},
    }  # fmt: skip
    fixed = {
        **nobody, "name": "fixed",
        "responders": [{"name": "ann", "level": "L1", "ack_after": "1m"}],
        "runbooks": {"broken": [{"name": "patch", "action": "fix", "signature": "broken", "takes": "1m"}]},
        "events": [{"at": "10m", "fault": {"service": "api", "health": 0.5, "signature": "broken"}}],
    }  # fmt: skip
    quiet = {"name": "quiet", "until": "1h", "services": [{"name": "api"}],
             "slos": [{"name": "avail", "service": "api", "objective": 0.99}]}  # fmt: skip
    return {"cycle": cycle, "nobody": nobody, "runs_out": runs_out, "fixed": fixed, "quiet": quiet}


def check(result: RunResult) -> int:
    """Check every postmortem of *result* against its trace; the number checked."""
    trace = result.trace
    posts = trace.messages(PostmortemWritten)
    for pm in posts:
        inc = pm.incident
        mine = [e for e in trace if e.incident == inc]
        text = pm.markdown
        pages = [e for e in mine if isinstance(e.msg, Page)]
        assert f"- Pages: {len(pages)};" in text, inc
        dropped = sum(1 for e in mine if isinstance(e.msg, PageAcked) for f in e.faults if f.action == "drop")
        assert ("Dropped acknowledgements:" in text) == (dropped > 0), inc
        assert ("acks were lost" in text or "Acknowledgements were lost" in text) == (dropped > 0), inc
        hand = [e.msg for e in mine if isinstance(e.msg, HandedOff)]
        assert ("needed a higher level" in text) == any(h.cause == "min_level" for h in hand), inc
        assert ("The runbook ran out" in text) == any(h.cause == "runbook" for h in hand), inc
        if "the dependency itself was not fixed" in text:
            assert not any(isinstance(e.msg, FixApplied) for e in mine), inc
        escalations = [
            (format_vtime(e.t), e.msg.from_level, e.msg.to_level) for e in mine if isinstance(e.msg, Escalated)
        ]
        claimed = [(t, a, b) for a, b, t in re.findall(r"- Escalated (\S+) -> (\S+) at (T\+[0-9:]+):", text)]
        assert claimed == escalations, inc
        acks = [e.msg for e in mine if isinstance(e.msg, IncidentAcknowledged)]
        if acks:
            assert f"Time to acknowledge: {format_duration(acks[0].after)}" in text, inc
        else:
            assert "Time to acknowledge" not in text, inc
        exhausted = [e.msg for e in mine if isinstance(e.msg, EscalationExhausted)]
        assert ("ladder was exhausted" in text) == bool(exhausted), inc
        if "exhausted: nobody acknowledged" in text:
            assert all(not x.reason for x in exhausted), inc
        rolled = [e.msg for e in mine if isinstance(e.msg, RolledBack)]
        assert [(r.bad, r.to) for r in rolled] == re.findall(r"^- Rolled back (\S+) -> (\S+)\.$", text, re.M)
        resolved = [e.msg for e in mine if isinstance(e.msg, IncidentResolved)]
        if resolved:
            assert f"- Resolved: {resolved[0].reason}." in text, inc
        for value, service in re.findall(r"- Worst SLI: ([0-9.]+)% \(([^)]+)\)", text):
            slis = [s.sli for s in trace.series.samples(service)]
            assert f"{min(slis) * 100:.1f}" == value or any(f"{s * 100:.1f}" == value for s in slis), (inc, value)
            assert float(value) < 100.0 or min(slis) >= 0.9995, (inc, value)  # no 100% while it burned
        for health in re.findall(r"its health fell to ([0-9.]+%)", text):
            faults = [_pct(e.msg.health) for e in trace.of(FaultStarted)]
            assert health in faults, (inc, health, faults)
    return len(posts)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_claim_of_every_scenarios_postmortems_is_in_its_trace(name: str) -> None:
    scenario = load_scenario(str(ROOT / "scenarios" / name))
    check(build(scenario).run())
    if scenario.escalation is not None:
        check(build(scenario, Options(drop_ack=[scenario.escalation.levels[0].name])).run())


@pytest.mark.parametrize("name", sorted(generated()))
def test_every_claim_of_generated_postmortems_is_in_its_trace(name: str) -> None:
    result = build(parse_scenario(yaml.safe_dump(generated()[name]), f"{name}.yaml")).run()
    written = check(result)
    assert (written == 0) == (name == "quiet")  # a fault-free day writes none


def test_a_small_fault_is_not_reported_as_a_round_figure() -> None:
    """A share is printed with the decimals it needs (99.72% is not "100%"); the cycle
    incident (E, which has no SLO, at 85% below A -> B -> C -> A) is named after C, the
    member that calls E, and its worst SLI is read from an alerting member's SLO: 85%."""
    assert [_pct(v) for v in (0.9972, 0.5, 0.97, 0.0004, 1.0)] == ["99.7%", "50%", "97%", "0.04%", "100%"]
    result = build(parse_scenario(yaml.safe_dump(generated()["cycle"]), "cycle.yaml")).run()
    [pm] = result.trace.messages(PostmortemWritten)
    assert "its health fell to 85%" in pm.markdown and "# Postmortem INC-001: C " in pm.markdown
    assert "- Worst SLI: 85.0% (C)" in pm.markdown, pm.markdown


def test_the_claims_checker_catches_a_false_claim(tmp_path: Path) -> None:
    """The checker can fail: a postmortem edited to claim lost acks is refused."""
    result = build(load_scenario(str(ROOT / "scenarios" / "provider_outage.yaml"))).run()
    env = result.trace.of(PostmortemWritten)[0]
    forged = env.msg.model_copy(update={"markdown": env.msg.markdown + "\n- Acknowledgements were lost.\n"})
    result.trace.envelopes[env.seq - 1] = env._replace(msg=forged)
    with pytest.raises(AssertionError):
        check(result)
