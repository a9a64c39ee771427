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


def test_a_candidate_that_hurts_its_slice_is_rejected_after_the_failures_tolerated() -> None:
    """failure_limit 1 (Argo's failureLimit): one failure tolerated. Quality 0.2: the
    candidate's own slice reads 20%, under 94%: the step fails at 15m, runs again, fails
    again at 20m: rejected, and traffic goes back to v1."""
    trace = run(0.2)
    steps = [(e.t, e.msg.weight, e.msg.sli, e.msg.result) for e in trace if isinstance(e.msg, CanaryStep)]
    assert steps == [(900.0, 0.1, 0.2, "fail"), (1200.0, 0.1, 0.2, "fail")]
    verdicts = [(e.t, e.msg.verdict, e.msg.live_after) for e in trace if isinstance(e.msg, CanaryVerdict)]
    assert verdicts == [(1200.0, "reject", "v1")]
    assert trace[-2].msg.release == "v1" and trace[-2].msg.candidate is None  # traffic back on v1


def test_an_inconclusive_step_pauses_then_aborts_when_the_hold_times_out() -> None:
    """Quality 0.96: the slice reads 96%, under 99% but not under 94%: inconclusive at 15m,
    the rollout pauses at 10% (hold); 30m later (hold_timeout), at 45m, it aborts."""
    trace = run(0.96)
    verdicts = [(e.t, e.msg.verdict, e.msg.live_after) for e in trace if isinstance(e.msg, CanaryVerdict)]
    assert verdicts == [(900.0, "hold", "v1"), (2700.0, "abort", "v1")]


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


FIVE_PERCENT = """
name: canary5
until: 2h
traffic: {requests_per_minute: 1000}
services: [{name: agent}]
slos: [{name: answers, service: agent, objective: 0.99}]
eval_set: [{question: q, answer: a}]
releases:
  v1: {service: agent, quality: 1.0}
  v2: {service: agent, quality: QUALITY}
live: {agent: v1}
canary: {steps: [0.05, 0.5, 1.0], analysis: 5m, success_sli: 0.99, failure_sli: 0.98}
events:
  - {at: 10m, deploy: {release: v2, canary: true}}
"""


def test_a_5_percent_canary_is_judged_on_its_own_traffic() -> None:
    """1000 requests a minute, the candidate on 5% of them (50 a minute), analysis 5m,
    pass at 99%, fail under 98%, no failure tolerated. A 97%-good candidate: its slice
    reads 97% (the service as a whole reads 0.95 x 1.0 + 0.05 x 0.97 = 99.85%, which a
    blended judgment would pass): the first analysis, at 15m, fails: rejected. A 100%-good
    one passes 5%, 50%, 100% (15m, 20m, 25m): promoted at 25m. A 98.5% one is between the
    bounds: paused at 15m, aborted when the pause passes 30m, at 45m."""
    cases = {0.97: [(900.0, "reject")], 1.0: [(1500.0, "promote")], 0.985: [(900.0, "hold"), (2700.0, "abort")]}
    for quality, expected in cases.items():
        result = build(parse_scenario(FIVE_PERCENT.replace("QUALITY", str(quality)))).run()
        verdicts = [(e.t, e.msg.verdict) for e in result.trace.of(CanaryVerdict)]
        assert verdicts == expected, quality
        first = result.trace.of(CanaryStep)[0].msg
        assert first.sli == quality and first.weight == 0.05
    blended = build(parse_scenario(FIVE_PERCENT.replace("QUALITY", "0.97"))).run()
    from bus.messages import SliReported

    # the last sample of the analysis (14m; the release manager listens while the canary runs)
    at_14m = [e.msg for e in blended.trace.of(SliReported) if e.t == 840.0]
    assert [(m.sli, m.canary_sli, m.stable_sli) for m in at_14m] == [(0.9985, 0.97, 1.0)]
