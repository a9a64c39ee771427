"""Recovery that is real: a responder calls an incident recovered only when no paging rule
has burned for ``recovery_hold`` reports in a row, never from one lucky sample."""

from __future__ import annotations

from typing import Any

import yaml

from actors.pipeline import Options, build
from bus.messages import IncidentResolved, SliReported, StepTaken
from scenarios.loader import parse_scenario

MIN = 60.0


def scenario(mitigated_to: float, outcomes: str = "random", slo: dict[str, Any] | None = None) -> Any:
    data = {
        "name": "recovery",
        "until": "3h",
        "traffic": {"requests_per_minute": 100, "outcomes": outcomes},
        "services": [{"name": "api"}],
        "slos": [slo or {"name": "avail", "service": "api", "objective": 0.999, "policy": "sre-workbook"}],
        "responders": [{"name": "ann", "level": "L1", "ack_after": "1m"}],
        "escalation": {"levels": [{"name": "L1", "targets": ["ann"], "escalate_after": "10m"}], "ack_timeout": "10h"},
        "runbooks": {"error_rate": [{"name": "shed load", "action": "mitigate", "sli": mitigated_to, "takes": "1m"}]},
        "events": [{"at": "10m", "fault": {"service": "api", "health": 0.5}}],
    }
    return parse_scenario(yaml.safe_dump(data), "recovery.yaml")


def test_no_responder_resolves_from_one_good_sample_while_a_paging_rule_still_burns() -> None:
    """Objective 99.9% (a 0.1% budget), 100 requests a minute drawn at random. The
    mitigation leaves api at 99%: a 10x burn. A sample of 100 requests has no bad one
    about a third of the time (e^-1), so judged sample by sample it would look recovered;
    but the 6x tier's 30m short window stays near 10x: a paging rule burns, nobody calls
    it recovered, over 50 seeds."""
    spec = scenario(0.99)
    lucky = 0
    for seed in range(50):
        result = build(spec, Options(seed=seed)).run()
        assert [e for e in result.trace.of(IncidentResolved) if e.sender == "ann"] == [], seed
        mitigated = next(e.t for e in result.trace.of(StepTaken))
        lucky += any(s.sli == 1.0 for s in result.trace.series.samples(since=mitigated + 1))
    assert lucky > 0  # the trap was there: some seeds had a 100%-good sample after the mitigation


def test_the_responder_who_mitigated_resolves_once_no_paging_rule_burned_for_two_reports() -> None:
    """Exact outcomes; one paging rule, 1h and 5m windows above 6x, kept firing 10m after
    its condition clears (so the alert still fires when the responder judges). The
    mitigation leaves api at 99.5%: a 5x burn, below the paging factor, still above the
    budget: mitigated, not fixed. The rule burns while its 5m window still holds the
    outage's samples; the first report where it does not, and the next, make two: ann
    resolves at that second report (before the alert stops), with the SLI still 99.5%."""
    tier = {"name": "Fast", "long": "1h", "short": "5m", "factor": 6, "severity": "critical", "keep_firing_for": "10m"}
    slo = {"name": "avail", "service": "api", "objective": 0.999, "policy": "custom", "tiers": [tier]}
    result = build(scenario(0.995, outcomes="exact", slo=slo)).run()
    mitigated = next(e.t for e in result.trace.of(StepTaken))
    reports = [e for e in result.trace.of(SliReported) if e.t > mitigated]
    last_paging = max(e.t for e in reports if e.msg.paging)
    [resolved] = result.trace.of(IncidentResolved)
    assert (resolved.t, resolved.sender) == (last_paging + 2 * MIN, "ann")
    assert [e.msg.sli for e in reports if e.t == resolved.t] == [0.995]
    assert last_paging >= mitigated + 3 * MIN  # the 5m window had to lose the outage samples first


def test_a_flapping_dependencys_next_burst_pages_again() -> None:
    """One paging rule (5m window above 5x) kept firing 30m after its condition clears. The
    cache fails at 10m: the alert fires at 11m, INC-001 opens at 11m30s and pages ann; her
    mitigation (1m) lands at 13m30s; the 5m window loses the outage samples at 18m: calm
    reports at 18m and 19m, she resolves at 19m. The alert still fires (kept 30m): it is
    released, not held by the resolved incident. The cache fails again at 25m: at 26m the
    rule pages again (its report went from calm to paging): the released alert opens
    INC-002 at 26m30s (group_wait), which pages ann."""
    tier = {"name": "CacheDown", "long": "5m", "factor": 5, "severity": "critical", "keep_firing_for": "30m"}
    data = {
        "name": "flap",
        "until": "1h",
        "traffic": {"requests_per_minute": 100, "outcomes": "exact"},
        "services": [{"name": "cache"}],
        "slos": [{"name": "avail", "service": "cache", "objective": 0.99, "policy": "custom", "tiers": [tier]}],
        "responders": [{"name": "ann", "level": "L1", "ack_after": "1m"}],
        "escalation": {"levels": [{"name": "L1", "targets": ["ann"], "escalate_after": "10m"}], "ack_timeout": "10h"},
        "runbooks": {"error_rate": [{"name": "restart", "action": "mitigate", "sli": 1.0, "takes": "1m"}]},
        "events": [
            {"at": "10m", "fault": {"service": "cache", "health": 0.5}},
            {"at": "15m", "recover": {"service": "cache"}},
            {"at": "25m", "fault": {"service": "cache", "health": 0.5}},
            {"at": "30m", "recover": {"service": "cache"}},
        ],
    }
    from bus.messages import AlertFired, IncidentOpened, Page

    result = build(parse_scenario(yaml.safe_dump(data), "flap.yaml")).run()
    assert [e.t for e in result.trace.of(AlertFired)] == [11 * MIN]  # one alert, never resolved between
    assert [(e.t, e.sender) for e in result.trace.of(IncidentResolved)][:1] == [(19 * MIN, "ann")]
    assert [(e.t, e.msg.incident) for e in result.trace.of(IncidentOpened)] == [
        (11 * MIN + 30, "INC-001"),
        (26 * MIN + 30, "INC-002"),
    ]
    assert [(e.t, e.msg.incident) for e in result.trace.of(Page)][:2] == [
        (11 * MIN + 30, "INC-001"),
        (26 * MIN + 30, "INC-002"),
    ]
