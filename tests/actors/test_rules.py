"""Burn-rate rules as Prometheus evaluates them: the published cases, by hand.

Every case: a 99.9%/30d SLO on one service at 1000 requests a minute, windows full of good
traffic before the fault, evaluated every minute (the monitor's sample). The fault starts
at T = 2h, on an evaluation instant; the sample at T does not see it yet (a sample
reflects what was handled before its instant), so the first bad minute is the sample at
T+1m, which covers (T, T+1m]. The recovery at S is seen from the sample at S+1m on.
A window of L minutes at time t holds the samples of (t-L, t]. A tier holds when both its
windows burn strictly above its factor (bad ratio / 0.001).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from actors.domain.rules import PRESETS, AlertRule, RuleState, Tier, preset, rules_of
from actors.engine.runtime import RunResult
from actors.pipeline import build
from bus.messages import AlertFired, AlertPending, AlertResolved
from scenarios.loader import parse_scenario

T = 2 * 3600.0
M = 60.0


def drill(health: float, minutes: float, policy: str = "policy: sre-workbook", until: str = "12h") -> RunResult:
    text = f"""
name: published
until: {until}
traffic: {{requests_per_minute: 1000}}
services: [{{name: api}}]
slos: [{{name: avail, service: api, objective: 0.999, period: 30d, {policy}}}]
events:
  - {{at: 2h, fault: {{service: api, health: {health}}}}}
  - {{at: {2 * 60 + minutes}m, recover: {{service: api}}}}
"""
    return build(parse_scenario(text, "published.yaml")).run()


def timeline(result: RunResult) -> list[tuple[float, str, str]]:
    """(time since T, rule, what) for every state change of every rule."""
    out = []
    for env in result.trace.of(AlertPending, AlertFired, AlertResolved):
        rule = env.msg.fingerprint.rsplit("/", 1)[1]
        what = {"AlertFired": "firing", "AlertResolved": "resolved"}.get(env.kind)
        if isinstance(env.msg, AlertPending):
            what = env.msg.state
        assert what is not None
        out.append((env.t - T, rule, what))
    return out


def test_a_30_minute_total_outage_pages_at_once_and_each_tier_resolves_on_its_own() -> None:
    """100% errors from T to S = T+30m.

    page-1h (14.4x over 1h and 5m): at T+1m the 1h window burns 1000/60000/0.001 = 16.7
    and the 5m 200: fires at T+1m (the first evaluation after T+51.84 s, where 16.7 x
    51.84/60... reaches 14.4). It resolves when the 5m window is clean: at S+5m the
    window holds S+1m..S+5m (the first evaluation after S+4m55.68 s).
    page-6h (6x over 6h and 30m): k bad minutes burn k/360/0.001 over 6h, above 6 once
    k > 2.16: fires at T+3m; resolves when the 30m window is clean, at S+30m.
    ticket-3d (1x over 3d and 6h): k/4320/0.001 > 1 once k > 4.32: fires at T+5m;
    resolves when the 6h window is clean, at S+6h (the 3d one still burns 6.9x).
    """
    s = 30 * M
    assert timeline(drill(0.0, 30)) == [
        (1 * M, "page-1h", "firing"),
        (3 * M, "page-6h", "firing"),
        (5 * M, "ticket-3d", "firing"),
        (s + 5 * M, "page-1h", "resolved"),
        (s + 30 * M, "page-6h", "resolved"),
        (s + 6 * 3600, "ticket-3d", "resolved"),
    ]


def test_ten_percent_for_15_minutes_pages_at_9_minutes() -> None:
    """10% errors: after k minutes the 1h window burns 0.1 k/60/0.001 = 1.667 k, above
    14.4 once k > 8.64: fires at T+9m (the 5m window burns 100). Errors stop at S =
    T+15m; at S+4m the 5m window still holds one bad minute (20x); clean at S+5m."""
    page = [e for e in timeline(drill(0.9, 15)) if e[1] == "page-1h"]
    assert page == [(9 * M, "page-1h", "firing"), (15 * M + 5 * M, "page-1h", "resolved")]


def test_one_and_a_half_percent_for_two_hours_pages_at_58_minutes() -> None:
    """1.5% errors: the 1h window burns 0.015 k/60/0.001 = 0.25 k, above 14.4 once
    k > 57.6: fires at T+58m (the 5m window burns 15 > 14.4)."""
    page = [e for e in timeline(drill(0.985, 120)) if e[1] == "page-1h"]
    assert page[0] == (58 * M, "page-1h", "firing")


def test_half_the_requests_failing_for_one_minute_fires_nothing() -> None:
    """50% for one minute: 500/60000/0.001 = 8.3 over 1h (< 14.4), 500/360000/0.001 =
    1.4 over 6h (< 6), 0.12 over 3d (< 1): no tier holds."""
    assert timeline(drill(0.5, 1)) == []


def test_the_budget_over_the_period_after_30_minutes_at_100_percent() -> None:
    """30 bad minutes of 1000 requests in a 30-day period of 1000 a minute: 30,000 /
    43,200,000 = 0.0694% bad, 69.4% of a 0.1% budget spent: 30.6% left, at S and
    every sample after (constant traffic: the budget never rises while the bad
    requests are inside the period)."""
    result = drill(0.0, 30)
    samples = result.trace.series.samples()
    at_s = next(s for s in samples if s.t == T + 30 * M)
    assert at_s.budget_remaining == pytest.approx(0.3056, abs=0.001)
    budgets = [s.budget_remaining for s in samples]
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(budgets))
    assert budgets[-1] == pytest.approx(0.3056, abs=0.001)


HOLD = "policy: custom, tiers: [{name: fast, long: 1h, short: 5m, factor: 14.4, for: 10m}]"


def test_a_for_hold_keeps_a_short_outage_from_firing() -> None:
    """A 60-second total outage: the tier holds from T+1m (16.7x over 1h, 200x over 5m)
    until the bad minute leaves the 5m window at T+6m: pending T+1m, inactive at T+6m,
    never firing (it needed 10 minutes)."""
    assert timeline(drill(0.0, 1, HOLD)) == [(1 * M, "fast", "pending"), (6 * M, "fast", "inactive")]


def test_a_for_hold_fires_a_long_outage_ten_minutes_after_it_holds() -> None:
    """A 20-minute outage: pending from T+1m, firing at T+11m (T+11m - T+1m >= 10m, as
    Prometheus compares), resolved when the 5m window is clean at S+5m = T+25m."""
    assert timeline(drill(0.0, 20, HOLD)) == [
        (1 * M, "fast", "pending"),
        (11 * M, "fast", "firing"),
        (25 * M, "fast", "resolved"),
    ]


def test_keep_firing_for_holds_a_resolved_condition() -> None:
    """keep_firing_for: 10m on the fast tier: the condition is last true at S+4m (the 5m
    window still holds the last bad minute), so the alert resolves at the first
    evaluation 10 minutes after that at which it is false: S+14m."""
    tiers = "policy: custom, tiers: [{name: fast, long: 1h, short: 5m, factor: 14.4, keep_firing_for: 10m}]"
    assert timeline(drill(0.0, 30, tiers)) == [(1 * M, "fast", "firing"), (30 * M + 14 * M, "fast", "resolved")]


def test_a_minimum_rate_silences_a_quiet_service() -> None:
    """min_rate 20 requests/s over the long window: 1000 a minute is 16.7/s, so the tier
    never holds however bad the errors."""
    tiers = "policy: custom, tiers: [{name: fast, long: 1h, short: 5m, factor: 14.4, min_rate: 20}]"
    assert timeline(drill(0.0, 30, tiers)) == []


def test_alerts_carry_labels_from_service_slo_and_rule() -> None:
    text = """
name: labels
until: 3h
traffic: {requests_per_minute: 1000}
services: [{name: api, team: payments, tier: 0, labels: {env: prod}}]
slos: [{name: avail, service: api, objective: 0.999, policy: kube-prometheus, labels: {category: availability}}]
events: [{at: 1h, fault: {service: api, health: 0.0}}]
"""
    result = build(parse_scenario(text, "labels.yaml")).run()
    fired = result.trace.messages(AlertFired)[0]
    assert fired.labels == {
        "team": "payments",
        "tier": "0",
        "env": "prod",
        "category": "availability",
        "long": "1h",
        "alertname": "critical-1h",
        "severity": "critical",
        "slo": "avail",
        "service": "api",
    }
    assert fired.severity == "sev1" and fired.action == "page"


@pytest.mark.parametrize(
    ("name", "period", "table"),
    [
        # (factor, long, short, for) per tier, as each tool publishes it
        ("sre-workbook", 30, [(14.4, "1h", "5m", 0), (6.0, "6h", "30m", 0), (1.0, "3d", "6h", 0)]),
        ("sloth", 30, [(14.4, "1h", "5m", 0), (6.0, "6h", "30m", 0), (3.0, "1d", "2h", 0), (1.0, "3d", "6h", 0)]),
        ("sloth", 28, [(13.44, "1h", "5m", 0), (5.6, "6h", "30m", 0), (2.8, "1d", "2h", 0), (0.9333, "3d", "6h", 0)]),
        (
            "pyrra",
            28,
            [(14.0, "1h", "5m", 120), (7.0, "6h", "30m", 900), (2.0, "1d", "2h", 3600), (1.0, "4d", "6h", 10800)],
        ),
        (
            "pyrra",
            7,
            [(14.0, "15m", "1m", 60), (7.0, "1h30m", "8m", 240), (2.0, "6h", "30m", 900), (1.0, "1d", "1h30m", 2700)],
        ),
        (
            "kube-prometheus",
            30,
            [(14.4, "1h", "5m", 120), (6.0, "6h", "30m", 900), (3.0, "1d", "2h", 3600), (1.0, "3d", "6h", 10800)],
        ),
    ],
)
def test_presets_match_the_published_tables(name: str, period: int, table: list[tuple[Any, ...]]) -> None:
    from bus.vtime import parse_duration

    rows = preset(name, period * 86400.0)
    got = [(round(r.factor, 4), r.long, r.short, r.for_) for r in rows]
    assert got == [(f, parse_duration(lo), parse_duration(sh), h) for f, lo, sh, h in table]
    assert set(PRESETS) == {"sre-workbook", "sloth", "pyrra", "kube-prometheus"}


def test_sloth_or_groups_become_two_alerts() -> None:
    rules = rules_of(preset("sloth", 30 * 86400.0))
    assert [(r.name, len(r.tiers), r.severity) for r in rules] == [("page", 2, "page"), ("ticket", 2, "ticket")]


def test_the_rule_state_machine_follows_prometheus() -> None:
    """for: 2m, keep_firing_for: 1m, evaluated each minute: true at 0 (pending), 1, 2
    (2 - 0 >= 2: firing), false at 3 (kept: 3 - 2 < 1? no, 1 >= 1: resolved)."""
    rule = AlertRule("r", (Tier(3600.0, 300.0, 1.0),), "sev1", for_=120.0, keep_firing_for=60.0)
    rs = RuleState()
    assert [rs.step(rule, t, c) for t, c in ((0, True), (60, True), (120, True), (180, False))] == [
        "pending",
        None,
        "firing",
        "resolved",
    ]
    rs = RuleState()
    assert [rs.step(rule, t, c) for t, c in ((0, True), (30, False))] == ["pending", "inactive"]


def test_no_data_silences_a_rule() -> None:
    """A window that saw no request has no ratio: the tier does not hold."""
    tier = Tier(3600.0, 300.0, 1.0)
    assert not tier.holds({3600.0: None, 300.0: 50.0}, {3600.0: 0.0, 300.0: 0.0})
    assert tier.holds({3600.0: 2.0, 300.0: 50.0}, {3600.0: 1.0, 300.0: 1.0})


def test_the_postmortem_counts_the_budget_from_the_first_bad_event() -> None:
    """10% errors for 15 minutes of a 99.9%/30d SLO: 15 x 0.1 / (43,200 x 0.001) = 3.47%
    of the budget, all of it: the 8 minutes before the page at T+9m included."""
    from actors.report.postmortem import gather
    from topology import ServiceSpec, Topology

    text = """
name: burned
until: 6h
traffic: {requests_per_minute: 1000}
services: [{name: api}]
slos: [{name: avail, service: api, objective: 0.999, policy: sre-workbook}]
responders: [{name: ann, level: L1, ack_after: 30m}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 1h}]}
events:
  - {at: 2h, fault: {service: api, health: 0.9}}
  - {at: 2h15m, recover: {service: api}}
"""
    result = build(parse_scenario(text, "burned.yaml")).run()
    topology = Topology.build([ServiceSpec("api", ())])
    facts = gather(result.trace, "INC-001", topology)
    assert facts.budget_burned == pytest.approx(0.0347, abs=0.0002)


PROMTOOL_FIXTURE = "tests/fixtures/promtool/for_hold.test.yml"


def test_promtool_says_what_the_for_hold_tests_say() -> None:
    """The oracle: tests/fixtures/promtool/for_hold.test.yml states, for the same rule in
    Prometheus's own evaluator, what the two for: tests above derive by hand (a 1-minute
    outage never fires; a 20-minute one is not firing at T+10m, fires at T+11m, still
    fires at T+24m, resolved at T+25m). Re-checked here when promtool is installed
    (Debian package prometheus): ``promtool test rules tests/fixtures/promtool/for_hold.test.yml``."""
    import shutil
    import subprocess

    from tests.conftest import ROOT

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    proc = subprocess.run(
        [promtool, "test", "rules", PROMTOOL_FIXTURE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0 and "SUCCESS" in proc.stdout, proc.stdout + proc.stderr
    assert timeline(drill(0.0, 20, HOLD)) == [
        (1 * M, "fast", "pending"),
        (11 * M, "fast", "firing"),
        (25 * M, "fast", "resolved"),
    ]


def test_a_service_that_stops_reporting_silences_burn_rules_and_fires_an_absent_rule() -> None:
    """At T the service fails and its metrics go (health 0, traffic 0) until S = T+30m.
    The burn tier never fires: from T+1m on, no request is recorded, so nothing bad is
    either (the 1h window keeps its good past; later windows are empty: no ratio). The
    absent tier (10m) holds once its window holds only empty samples, T+1m..T+10m: fires
    at T+10m; the sample at S+1m sees requests again: resolved at T+31m."""
    text = """
name: gone
until: 6h
traffic: {requests_per_minute: 1000}
services: [{name: api}]
slos:
  - name: avail
    service: api
    objective: 0.999
    policy: custom
    tiers:
      - {name: fast, long: 1h, short: 5m, factor: 14.4}
      - {name: gone, absent: 10m, severity: critical}
events:
  - {at: 2h, fault: {service: api, health: 0.0, traffic: 0.0}}
  - {at: 2h30m, recover: {service: api}}
"""
    result = build(parse_scenario(text, "gone.yaml")).run()
    assert timeline(result) == [(10 * M, "gone", "firing"), (31 * M, "gone", "resolved")]
    fired = result.trace.messages(AlertFired)[0]
    assert fired.reason == "no request reported for 10m" and fired.severity == "sev1"
