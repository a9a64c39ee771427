"""The release manager and the canary: offline scoring, stepped analysis, verdicts."""

from __future__ import annotations

from actors.domain.canary import analyse, answers_of, offline_verdict, score
from actors.pipeline import build
from bus.messages import CanaryStep, CanaryVerdict, ReleaseLive, RolledBack
from scenarios.loader import parse_scenario

EVAL = {"refund window": "30 days", "shipping": "3 days"}


def test_scoring_and_the_offline_verdict() -> None:
    good = answers_of({}, EVAL)
    bad = answers_of({"refund window": "7 days"}, EVAL)
    assert score(bad, list(EVAL.items())) == (0.5, ["refund window"])
    regression = [("regression-INC-001", "refund window", "30 days")]
    verdict = offline_verdict(bad, good, EVAL, regression)
    assert (verdict.promote, verdict.failed_cases[0], verdict.reason) == (
        False,
        "regression-INC-001",
        "fails regression-INC-001",
    )
    assert offline_verdict(good, good, EVAL, regression).promote
    worse = offline_verdict(answers_of({"shipping": "never"}, EVAL), good, EVAL, [])
    assert not worse.promote and worse.reason == "scores 50% against live 100%"


def test_each_step_passes_fails_or_is_inconclusive() -> None:
    assert [analyse(s, 0.99, 0.94) for s in (0.995, 0.99, 0.96, 0.90, None)] == [
        "pass",
        "pass",
        "inconclusive",
        "fail",
        "inconclusive",
    ]


CANARY = """
name: canary
until: 4h
services: [{name: agent}]
slos: [{name: answers, service: agent, objective: 0.99}]
eval_set: [{question: q, answer: a}]
releases:
  v1: {service: agent, quality: 1.0}
  v2: {service: agent, quality: QUALITY}
live: {agent: v1}
canary: {steps: [0.1, 0.5, 1.0], analysis: 5m, failure_limit: 1}
events:
  - {at: 10m, deploy: {release: v2, canary: true}}
"""


def run(quality: float) -> list[object]:
    result = build(parse_scenario(CANARY.replace("QUALITY", str(quality)))).run()
    return result.trace.of(CanaryStep, CanaryVerdict, ReleaseLive)


def test_a_good_candidate_steps_10_50_100_and_is_promoted() -> None:
    trace = run(1.0)
    weights = [(e.t, e.msg.weight) for e in trace if isinstance(e.msg, ReleaseLive) and e.msg.candidate]
    assert weights == [(600.0, 0.1), (900.0, 0.5), (1200.0, 1.0)]
    verdict = trace[-1].msg
    assert isinstance(verdict, CanaryVerdict)
    assert (trace[-1].t, verdict.verdict, verdict.live_after) == (1500.0, "promote", "v2")


def test_a_candidate_that_hurts_the_sli_is_aborted_and_live_stays() -> None:
    # At 10% of traffic, quality 0.2 gives 0.9 * 1.0 + 0.1 * 0.2 = 92% < 94%: a failure.
    trace = run(0.2)
    steps = [e.msg for e in trace if isinstance(e.msg, CanaryStep)]
    assert [(s.weight, s.result) for s in steps] == [(0.1, "fail")]
    verdicts = [e.msg for e in trace if isinstance(e.msg, CanaryVerdict)]
    assert [(v.verdict, v.live_after) for v in verdicts] == [("abort", "v1")]
    assert trace[-2].msg.release == "v1" and trace[-2].msg.candidate is None  # traffic back on v1


def test_an_inconclusive_step_holds_for_a_human() -> None:
    # 0.9 * 1.0 + 0.1 * 0.6 = 96%: under 99% but not under 94%.
    trace = run(0.6)
    verdicts = [e.msg for e in trace if isinstance(e.msg, CanaryVerdict)]
    assert [(v.verdict, v.live_after) for v in verdicts] == [("hold", "v1")]


def test_a_rollback_goes_back_to_the_last_good_release_and_names_what_regressed() -> None:
    text = (
        CANARY.replace("QUALITY", "0.8").replace(
            "  - {at: 10m, deploy: {release: v2, canary: true}}",
            "  - {at: 10m, deploy: {release: v2}}",
        )
        + """
responders: [{name: ann, level: L1, ack_after: 1m}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}]}
runbooks: {error_rate: [{name: roll back, action: rollback, takes: 1m}]}
"""
    )
    text = text.replace(
        "releases:\n  v1: {service: agent, quality: 1.0}\n  v2: {service: agent, quality: 0.8}",
        "releases:\n  v1: {service: agent, quality: 1.0}\n  v2: {service: agent, quality: 0.8, answers: {q: wrong}}",
    )
    result = build(parse_scenario(text)).run()
    rolled = result.trace.messages(RolledBack)
    assert [(r.bad, r.to, r.regressed) for r in rolled] == [("v2", "v1", ["q"])]
