"""The monitor on the virtual clock: pages when the policy says, resolves after recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.pipeline import build
from bus.messages import AlertFired, AlertResolved, SliReported
from scenarios.loader import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]

OUTAGE = """
name: outage
until: 3h
traffic: {requests_per_minute: 20}
services:
  - {name: api, quality: 1.0}
slos:
  - {name: api-success, service: api, objective: 0.99, windows: {fast: 100, slow: 1000}}
events:
  - {at: 10m, fault: {service: api, health: 0.6}}
  - {at: 30m, recover: {service: api}}
"""


def naive_burns(minutes: list[float], rpm: float, size: int, budget: float) -> float:
    """Burn over the last *size* requests, walking back minute by minute (bad fraction per minute)."""
    left, bad = float(size), 0.0
    for bad_fraction in reversed(minutes):
        take = min(left, rpm)
        bad += take * bad_fraction
        left -= take
        if left <= 0:
            break
    return bad / size / budget


def test_the_page_fires_and_resolves_at_the_times_the_policy_predicts() -> None:
    rpm, budget = 20.0, 0.01
    # Predict with a naive model: history full of good minutes, 40% bad from T+10m to T+30m.
    history = [0.0] * 100
    predicted_fire = predicted_resolve = None
    state = "ok"
    for minute in range(1, 180):
        history.append(0.4 if 10 <= minute - 1 < 30 else 0.0)  # the sample at m covers minute m-1
        fast = naive_burns(history, rpm, 100, budget)
        slow = naive_burns(history, rpm, 1000, budget)
        paging = (fast >= 10 and slow >= 1) or (slow >= 6 and fast >= 1) or slow >= 1
        if state == "ok" and paging:
            predicted_fire, state = minute * 60.0, "firing"
        elif state == "firing" and not paging:
            predicted_resolve, state = minute * 60.0, "ok"
            break
    assert predicted_fire == 12 * 60.0  # fast 16x, slow 1.6x: two minutes in
    result = build(parse_scenario(OUTAGE)).run()
    fired = result.trace.of(AlertFired)
    resolved = result.trace.of(AlertResolved)
    assert [(e.t, e.msg.severity) for e in fired] == [(predicted_fire, "sev1")]
    assert [e.t for e in resolved] == [predicted_resolve]
    assert resolved[0].msg.alert == fired[0].msg.alert == "A-001"
    assert result.ending == "done" and result.ended_at == predicted_resolve


def test_provider_outage_reproduces_the_lab_figures() -> None:
    result = build(load_scenario(str(ROOT / "scenarios" / "provider_outage.yaml"))).run()
    [before] = result.trace.series.samples(since=600.0, until=600.0)
    assert (before.sli, before.budget_remaining) == (0.997, 0.7)
    # the last report said by 10m (reports are said when they change): slow burn 0.3, ok
    said = [e.msg for e in result.trace.of(SliReported) if e.t <= 600.0][-1]
    assert (said.sli, said.burns["slow"], said.action) == (0.997, 0.3, "ok")
    page = result.trace.first(AlertFired)
    assert page is not None and page.t == 660.0
    msg = page.msg
    assert (msg.service, msg.severity, msg.action) == ("support-agent", "sev1", "page")
    assert {k: round(v, 1) for k, v in msg.burns.items()} == {"fast": 50.0, "slow": 8.0}
    assert msg.reason == "fast burn 50.0x (error budget gone in hours)"
    # the provider's 503s show in the support agent's logs: triage will name the runbook from it
    assert msg.labels == {
        "team": "ai-support",
        "tier": "1",
        "alertname": "answer-success",
        "severity": "sev1",
        "slo": "answer-success",
        "service": "support-agent",
        "error": "model_provider_outage",
    }


STORM = """
name: chain
until: 1h
services:
  - {name: web, depends_on: [api]}
  - {name: api, depends_on: [db]}
  - {name: db}
  - {name: cache}
slos:
  - {name: errors, service: [web, api, db, cache], objective: 0.99}
  - {name: latency, service: [web, api], objective: 0.95, symptom: latency, sensitivity: 0.5}
events:
  - {at: 5m, fault: {service: db, health: 0.7, signature: disk_full}}
  - {at: 20m, recover: {service: db}}
"""


def test_a_failing_dependency_makes_every_service_above_it_alert() -> None:
    result = build(parse_scenario(STORM)).run()
    fired = [(e.t, e.msg.fingerprint, e.msg.labels.get("error")) for e in result.trace.of(AlertFired)]
    assert sorted(f for _, f, _ in fired) == sorted(
        ["web/error_rate", "api/error_rate", "db/error_rate", "web/latency", "api/latency"]
    )
    # Error rates page at the first sample after the fault (30% bad: 30x); the latency SLIs
    # see half of it (15% bad against a 5% budget: 3x fast), which pages later, on the slow burn.
    assert {t for t, f, _ in fired if f.endswith("error_rate")} == {360.0}
    assert all(t > 360.0 for t, f, _ in fired if f.endswith("latency"))
    assert ("db/error_rate", "disk_full") in {(f, e) for _, f, e in fired}  # the cause's logs say why
    assert len(result.trace.of(AlertResolved)) == 5


def test_random_outcomes_follow_the_seed() -> None:
    text = OUTAGE.replace("traffic: {requests_per_minute: 20}", "traffic: {requests_per_minute: 20, outcomes: random}")

    def slis(seed: int) -> list[float]:
        scenario = parse_scenario(text).model_copy(update={"seed": seed})
        return [s.sli for s in build(scenario).run().trace.series.samples()][:40]

    assert slis(1) == slis(1)
    assert slis(1) != slis(2)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("slos: [{name: x, service: nope, objective: 0.9}]", "slos[0].service: unknown service 'nope'"),
        ("slos: [{name: x, service: api, objective: 1.5}]", "slos[0].objective"),
        ("slos: [{name: x, service: api, objective: 0.9, windows: {fast: 0}}]", "windows.fast"),
        ("events: [{at: 1m, fault: {service: nope, health: 0.5}}]", "events[0].fault.service: unknown service"),
    ],
)
def test_slo_and_event_references_are_checked(snippet: str, expected: str) -> None:
    from scenarios.loader import ScenarioError

    text = "name: x\nservices: [{name: api}]\n" + snippet + "\n"
    with pytest.raises(ScenarioError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        build(parse_scenario(text, "x.yaml"), path="x.yaml")
