"""PagerDuty in the loop, on exact virtual times: schedules, policies, urgency, people.

Most tests feed the pager incidents at chosen virtual times (``Feed``) and read who was
paged when; the scenario's ``pagerduty:`` block is parsed as a drill file would be.
"""

from __future__ import annotations

from typing import Any

import yaml

from actors.engine.runtime import RunResult, Runtime
from actors.pager import Pager
from actors.pipeline import Options, _instant, build
from actors.responder import Responder
from bus.messages import (
    Escalated,
    EscalationExhausted,
    HandedOff,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentTriggered,
    LadderRepeated,
    Notified,
    Page,
    ResponderNotified,
)
from scenarios.loader import parse_scenario
from scenarios.oncall import oncall_config
from scenarios.schema import StepDef
from tests.actors.test_correlator import Feed

MIN = 60.0
HOUR = 3600.0


def people(*names: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"name": n, "phone": "off", **extra} for n in names]


def incident(n: int, severity: str = "sev1", paging: str | None = None) -> IncidentOpened:
    return IncidentOpened(
        incident=f"INC-{n:03d}",
        title="api error_rate",
        root_service="api",
        symptom="error_rate",
        severity=severity,  # type: ignore[arg-type]
        action="page",
        paging_service=paging,
    )


def run(
    pagerduty: dict[str, Any], responders: list[dict[str, Any]], script: list[tuple[float, IncidentOpened]], start: str
) -> RunResult:
    data = {"name": "pd", "start": start, "responders": responders, "pagerduty": pagerduty}
    scenario = parse_scenario(yaml.safe_dump(data), "pd.yaml")
    config = oncall_config(scenario, "pd.yaml")
    assert config is not None
    rt = Runtime(seed=1, until=10 * 86400.0)
    rt.add(Feed("correlator", rt, list(script)))
    begin = _instant(scenario.start)
    rt.add(Pager("pager", rt, config, start=begin))
    for person in scenario.responders:
        rt.add(Responder(person.name, rt, person, config.levels, {}, start=begin, capacity=1))
    return rt.run()


def first_pages(result: RunResult) -> list[tuple[float, str]]:
    """The first page of each incident: (virtual time, who)."""
    seen: dict[str, tuple[float, str]] = {}
    for e in result.trace.of(Page):
        seen.setdefault(e.msg.incident, (e.t, e.msg.responder))
    return list(seen.values())


def policy_on(schedule: str, delay: float = 5) -> dict[str, Any]:
    return {
        "name": "p",
        "rules": [{"escalation_delay_in_minutes": delay, "targets": [{"type": "schedule_reference", "id": schedule}]}],
    }


DAILY_NY = {
    "name": "primary",
    "time_zone": "America/New_York",
    "layers": [
        {
            "name": "daily",
            "start": "2027-03-01T09:00:00-05:00",
            "rotation_virtual_start": "2027-03-01T09:00:00-05:00",
            "rotation_turn_length_seconds": 86400,
            "users": ["ann", "bob", "cat"],
        }
    ],
}


def test_a_daily_rotation_hands_over_at_0900_local_across_both_dst_changes() -> None:
    """ann, bob, cat take daily turns from 2027-03-01 09:00 New York time: day n from
    then (n = 0, 1, ...) is users[n % 3], counted in local days.

    March (start 2027-03-13T00:00-05:00 = 05:00Z; DST begins 14 March 02:00):
    13th 08:59 EST = t 32340 (turn 11: cat), 09:01 = 32460 (turn 12: ann);
    14th 08:59 EDT = 12:59Z = t 115140 (ann), 09:01 = 115260 (turn 13: bob);
    15th 08:59 EDT = t 201540 (bob), 09:01 = 201660 (turn 14: cat).
    November (start 2027-11-06T00:00-04:00 = 04:00Z; DST ends 7 November 02:00): 1 March
    to 6 November is 250 days, so the turn from 6 Nov 09:00 is 250 (bob);
    6th 08:59 EDT = t 32340 (ann), 09:01 = 32460 (bob);
    7th 08:59 EST = 13:59Z = t 122340 (bob), 09:01 = 122460 (turn 251: cat);
    8th 08:59 EST = t 208740 (cat), 09:01 = 208860 (turn 252: ann)."""
    pd = {"services": [{"name": "web", "escalation_policy": "p"}], "escalation_policies": [policy_on("primary")],
          "schedules": [DAILY_NY]}  # fmt: skip
    cases = {
        "2027-03-13T00:00:00-05:00": [
            (32340, "cat"), (32460, "ann"), (115140, "ann"), (115260, "bob"), (201540, "bob"), (201660, "cat"),
        ],
        "2027-11-06T00:00:00-04:00": [
            (32340, "ann"), (32460, "bob"), (122340, "bob"), (122460, "cat"), (208740, "cat"), (208860, "ann"),
        ],
    }  # fmt: skip
    for start, expected in cases.items():
        script = [(float(t), incident(i)) for i, (t, _) in enumerate(expected)]
        got = first_pages(run(pd, people("ann", "bob", "cat"), script, start))
        assert got == [(float(t), who) for t, who in expected], start


def test_a_day_layer_over_a_night_layer_an_override_and_the_exact_hand_over_instant() -> None:
    """Europe/London in January (GMT = UTC), start 2027-01-04T00:00Z (a Monday). Layer 1:
    nora, all day. Layer 2 (listed later, so it wins where it has someone): dave,
    restricted to 09:00-17:00 daily. An override puts olga on 12:00-13:00 on the 5th.
    08:59 nora; 09:00 exactly: dave (a window opens at its first instant, turns are
    [start, end)); 16:59 dave; 17:00 nora; the 5th at 12:30 (t = 131400): olga; 13:00
    (t = 133200): dave again."""
    schedule = {
        "name": "support",
        "time_zone": "Europe/London",
        "layers": [
            {
                "name": "night",
                "start": "2027-01-01T00:00:00Z",
                "rotation_turn_length_seconds": 604800,
                "users": ["nora"],
            },
            {
                "name": "day",
                "start": "2027-01-01T00:00:00Z",
                "rotation_turn_length_seconds": 86400,
                "users": ["dave"],
                "restrictions": [
                    {"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 28800}
                ],
            },
        ],
        "overrides": [{"user": "olga", "start": "2027-01-05T12:00:00Z", "end": "2027-01-05T13:00:00Z"}],
    }
    pd = {"services": [{"name": "web", "escalation_policy": "p"}], "escalation_policies": [policy_on("support")],
          "schedules": [schedule]}  # fmt: skip
    times = [8 * HOUR + 59 * MIN, 9 * HOUR, 16 * HOUR + 59 * MIN, 17 * HOUR, 131400.0, 133200.0]
    got = first_pages(run(pd, people("nora", "dave", "olga"), [(t, incident(i)) for i, t in enumerate(times)],
                          "2027-01-04T00:00:00Z"))  # fmt: skip
    assert [who for _, who in got] == ["nora", "dave", "dave", "nora", "olga", "dave"]


def test_a_rule_with_nobody_on_call_is_passed_at_once() -> None:
    """Rule 1: a schedule on call only 09:00-17:00 UTC; rule 2: the manager. An incident
    at 02:00 finds nobody on rule 1: escalated to L2 at the same instant, the manager paged
    at 02:00; one at 10:00 pages dave."""
    schedule = {
        "name": "day",
        "time_zone": "UTC",
        "layers": [{"start": "2027-01-01T00:00:00Z", "rotation_turn_length_seconds": 86400, "users": ["dave"],
                    "restrictions": [{"type": "daily_restriction", "start_time_of_day": "09:00",
                                      "duration_seconds": 28800}]}],
    }  # fmt: skip
    policy = {"name": "p", "rules": [
        {"escalation_delay_in_minutes": 10, "targets": [{"type": "schedule_reference", "id": "day"}]},
        {"escalation_delay_in_minutes": 10, "targets": [{"type": "user_reference", "id": "mgr"}]},
    ]}  # fmt: skip
    pd = {
        "services": [{"name": "web", "escalation_policy": "p"}],
        "escalation_policies": [policy],
        "schedules": [schedule],
    }
    result = run(pd, people("dave", "mgr"), [(2 * HOUR, incident(1)), (10 * HOUR, incident(2))], "2027-01-04T00:00:00Z")
    assert first_pages(result) == [(2 * HOUR, "mgr"), (10 * HOUR, "dave")]
    [passed] = [e for e in result.trace.of(Escalated) if e.t == 2 * HOUR]
    assert passed.msg.reason == "nobody on call at L1"


def test_a_policy_repings_its_primary_then_loops_twice_then_exhausts() -> None:
    """Rules (5m each): primary, primary again, secondary, the manager; num_loops 2; every
    ack dropped (--drop-ack L1,L2,L3,L4). The api alert fires at 11m, its incident opens
    at 11m30s (group_wait 30s). Pages: primary at 11m30s and 16m30s, secondary at 21m30s,
    manager at 26m30s; the same again from 31m30s and from 51m30s (three runs in all);
    the last deadline, 71m30s, exhausts the policy."""
    data = {
        "name": "loops",
        "until": "3h",
        "services": [{"name": "api"}],
        "slos": [{"name": "avail", "service": "api", "objective": 0.99, "policy": "custom",
                  "tiers": [{"name": "ApiDown", "long": "5m", "factor": 1, "severity": "critical"}]}],
        "responders": [{"name": n, "ack_after": "1m"} for n in ("pat", "sam", "max")],
        "pagerduty": {
            "services": [{"name": "api", "escalation_policy": "api"}],
            "escalation_policies": [{"name": "api", "num_loops": 2, "rules": [
                {"escalation_delay_in_minutes": 5, "targets": [{"type": "schedule_reference", "id": "primary"}]},
                {"escalation_delay_in_minutes": 5, "targets": [{"type": "schedule_reference", "id": "primary"}]},
                {"escalation_delay_in_minutes": 5, "targets": [{"type": "schedule_reference", "id": "secondary"}]},
                {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "max"}]},
            ]}],
            "schedules": [
                {"name": "primary", "layers": [{"start": "2026-01-01T00:00:00Z", "rotation_turn_length_seconds": 604800, "users": ["pat"]}]},
                {"name": "secondary", "layers": [{"start": "2026-01-01T00:00:00Z", "rotation_turn_length_seconds": 604800, "users": ["sam"]}]},
            ],
        },
        "events": [{"at": "10m", "fault": {"service": "api", "health": 0.0}}, {"at": "2h", "recover": {"service": "api"}}],
    }  # fmt: skip
    scenario = parse_scenario(yaml.safe_dump(data), "loops.yaml")
    result = build(scenario, Options(drop_ack=["L1", "L2", "L3", "L4"]), "loops.yaml").run()
    pages = [(e.t, e.msg.responder) for e in result.trace.of(Page)]
    run_of = ["pat", "pat", "sam", "max"]
    expected = [(11 * MIN + 30 + 20 * MIN * k + 5 * MIN * i, who) for k in range(3) for i, who in enumerate(run_of)]
    assert pages == expected
    assert [e.t for e in result.trace.of(LadderRepeated)] == [31 * MIN + 30, 51 * MIN + 30]
    [done] = result.trace.of(EscalationExhausted)
    assert (done.t, done.msg.loops, done.msg.reason) == (71 * MIN + 30, 2, "")


def test_urgency_low_never_escalates_severity_based_and_support_hours() -> None:
    """Service "sev" has severity-based urgency: a sev1 incident (t 0) is high and
    escalates at 5m; a sev3 one (t 1h) is low: paged once, never escalated. Service
    "office" uses support hours (Mon-Fri 09:00-17:00 New York; inside: high, outside:
    low): on Monday 2027-01-04 (EST, 09:00 = 14:00Z; start 00:00Z) incidents at 08:59 (t
    50340) and 09:01 (t 50460) local are low and high."""
    hours = {"type": "fixed_time_per_day", "time_zone": "America/New_York", "days_of_week": [1, 2, 3, 4, 5],
             "start_time": "09:00:00", "end_time": "17:00:00"}  # fmt: skip
    pd = {
        "services": [
            {"name": "sev", "escalation_policy": "p", "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"}},
            {"name": "office", "escalation_policy": "p", "support_hours": hours, "incident_urgency_rule": {
                "type": "use_support_hours", "during_support_hours": {"type": "constant", "urgency": "high"},
                "outside_support_hours": {"type": "constant", "urgency": "low"}}},
        ],
        "escalation_policies": [{"name": "p", "rules": [
            {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "ann"}]},
            {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "bob"}]}]}],
    }  # fmt: skip
    script = [(0.0, incident(1, "sev1", "sev")), (HOUR, incident(2, "sev3", "sev")),
              (50340.0, incident(3, "sev1", "office")), (50460.0, incident(4, "sev1", "office"))]  # fmt: skip
    result = run(pd, people("ann", "bob"), script, "2027-01-04T00:00:00Z")
    urgency = {e.msg.incident: e.msg.urgency for e in result.trace.of(IncidentTriggered)}
    assert urgency == {"INC-001": "high", "INC-002": "low", "INC-003": "low", "INC-004": "high"}
    escalated = sorted({(e.msg.incident, e.t) for e in result.trace.of(Escalated)})
    assert escalated[0] == ("INC-001", 5 * MIN)
    assert {i for i, _ in escalated} == {"INC-001", "INC-004"}  # the low ones never escalate


def test_a_busy_responder_waits_or_hands_off_and_a_last_level_hand_off_is_not_exhaustion() -> None:
    """One rule, ann and bob both on it (ack after 1m, capacity 1, no runbook for the
    symptom, so whoever acks hands the incident off at once). INC-001 at 0: both paged,
    ann's and bob's acks at 1m: ann's is taken (sent first), bob's ignored; ann hands off
    at 1m (nobody-left? bob has not handed it off: bob is paged again at 1m, acks at 2m,
    hands off at 2m); now both handed off at the last (only) rule: the policy loops once
    (num_loops 1) at 2m, both paged again; after their second hand-offs it is exhausted
    and says why, not "nobody acked"."""
    pd = {
        "services": [{"name": "web", "escalation_policy": "p"}],
        "escalation_policies": [{"name": "p", "num_loops": 1, "rules": [
            {"escalation_delay_in_minutes": 30, "targets": [{"type": "user_reference", "id": "ann"},
                                                            {"type": "user_reference", "id": "bob"}]}]}],
    }  # fmt: skip
    crew = [{"name": "ann", "ack_after": "1m"}, {"name": "bob", "ack_after": "1m"}]
    result = run(pd, crew, [(0.0, incident(1))], "2027-01-04T00:00:00Z")
    hand_offs = [(e.t, e.msg.responder) for e in result.trace.of(HandedOff)]
    assert hand_offs[:2] == [(MIN, "ann"), (2 * MIN, "bob")]
    assert [e.t for e in result.trace.of(LadderRepeated)] == [2 * MIN]
    [done] = result.trace.of(EscalationExhausted)
    assert done.msg.reason.startswith("handed off by") and "nobody acked" not in done.msg.summary()


def test_capacity_one_a_second_page_waits_or_is_handed_off() -> None:
    """ann (ack after 1m, capacity 1) is the only target of rule 1 (rule 2: bob). INC-001
    at 0: ann acks at 1m and works it (a runbook step of 1h: her work lasts). INC-002 at
    10m: with when_busy: wait she does not ack; rule 1's 5m pass, bob is paged at 15m.
    With when_busy: hand_off she hands INC-002 off at 10m and bob is paged at once."""
    pd = {
        "services": [{"name": "web", "escalation_policy": "p"}],
        "escalation_policies": [{"name": "p", "rules": [
            {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "ann"}]},
            {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "bob"}]}]}],
    }  # fmt: skip
    for mode, bob_paged in (("wait", 15 * MIN), ("hand_off", 10 * MIN)):
        crew = [{"name": "ann", "ack_after": "1m", "when_busy": mode}, {"name": "bob", "phone": "off"}]
        data = {"name": "pd", "start": "2027-01-04T00:00:00Z", "responders": crew, "pagerduty": pd}
        scenario = parse_scenario(yaml.safe_dump(data), "pd.yaml")
        config = oncall_config(scenario, "pd.yaml")
        assert config is not None
        rt = Runtime(seed=1, until=3 * HOUR)
        rt.add(Feed("correlator", rt, [(0.0, incident(1)), (10 * MIN, incident(2))]))
        rt.add(Pager("pager", rt, config, start=_instant(scenario.start)))
        long = {"error_rate": [StepDef(name="look", action="mitigate", sli=1.0, takes=HOUR)]}
        for person in scenario.responders:
            rt.add(Responder(person.name, rt, person, config.levels, long, capacity=1))
        result = rt.run()
        acks = [(e.t, e.msg.incident, e.msg.by) for e in result.trace.of(IncidentAcknowledged)]
        assert acks[0] == (MIN, "INC-001", "ann")
        assert ("INC-002", "ann") not in {(i, b) for _, i, b in acks if _ < bob_paged}
        bob = [e.t for e in result.trace.of(Page) if e.msg.responder == "bob" and e.msg.incident == "INC-002"]
        assert bob[0] == bob_paged, mode


def test_notification_rules_and_a_night_profile_decide_when_a_page_is_seen() -> None:
    """ann (Europe/London, GMT in January): push at 0, SMS at 2m, phone at 5m for high
    urgency; asleep 23:00-07:00, when only the phone wakes her, and she acks 1m after
    noticing by day, 4m by night. A page at 12:00 (t 43200): push noticed at once, ack at
    12:01 (the service auto-resolves it at 12:10: she is free again). A page at 03:00 the
    next day (t 97200): push and SMS slept through (at +0,
    +2m), phone at +5m wakes her, ack at +5m + 4m = t 97740."""
    crew = [{
        "name": "ann", "ack_after": "1m", "time_zone": "Europe/London",
        "notification_rules": [{"urgency": "high", "start_delay_in_minutes": 0, "type": "push"},
                               {"urgency": "high", "start_delay_in_minutes": 2, "type": "sms"},
                               {"urgency": "high", "start_delay_in_minutes": 5, "type": "phone"}],
        "night": {"from": "23:00", "to": "07:00", "wakes_on": ["phone"], "ack_after": "4m"},
    }]  # fmt: skip
    pd = {"services": [{"name": "web", "escalation_policy": "p", "acknowledgement_timeout": None,
                        "auto_resolve_timeout": 600}],
          "escalation_policies": [{"name": "p", "rules": [
              {"escalation_delay_in_minutes": 30, "targets": [{"type": "user_reference", "id": "ann"}]}]}]}  # fmt: skip
    data = {"name": "pd", "start": "2027-01-04T00:00:00Z", "responders": crew, "pagerduty": pd}
    scenario = parse_scenario(yaml.safe_dump(data), "pd.yaml")
    config = oncall_config(scenario, "pd.yaml")
    assert config is not None
    rt = Runtime(seed=1, until=2 * 86400.0)
    rt.add(Feed("correlator", rt, [(43200.0, incident(1)), (97200.0, incident(2))]))
    start = _instant(scenario.start)
    rt.add(Pager("pager", rt, config, start=start))
    fix = {"error_rate": [StepDef(name="look", action="mitigate", sli=1.0, takes=HOUR)]}
    rt.add(Responder("ann", rt, scenario.responders[0], config.levels, fix, start=start, capacity=1))
    result = rt.run()
    told = [(e.t, e.msg.method, e.msg.noticed) for e in result.trace.of(ResponderNotified)]
    assert told == [
        (43200.0, "push", True),
        (97200.0, "push", False),
        (97320.0, "sms", False),
        (97500.0, "phone", True),
    ]
    assert [e.t for e in result.trace.of(IncidentAcknowledged)] == [43260.0, 97740.0]


def test_a_renotified_group_pages_nobody_while_its_incident_is_open_and_triggers_anew_after() -> None:
    """Alertmanager: group_wait 30s, group_interval 5m, repeat_interval 10m, to a paging
    receiver on PagerDuty service "api" (auto-resolve after 25m; nobody acks). api fires
    at 11m: first notification at 11m30s opens INC-001 and pages. Ticks every 5m; the
    repeat at 26m30s (15m after the last, > 10m) finds INC-001 open: no new incident, no
    page. The service auto-resolves INC-001 at 36m30s while the alert still fires; the
    next repeat, 41m30s, triggers anew: INC-002, paged then."""
    data = {
        "name": "dedup",
        "until": "50m",
        "services": [{"name": "api"}],
        "slos": [{"name": "avail", "service": "api", "objective": 0.99, "policy": "custom",
                  "tiers": [{"name": "ApiDown", "long": "5m", "factor": 1, "severity": "critical"}]}],
        "responders": [{"name": "ann", "phone": "off"}],
        "alertmanager": {"route": {"receiver": "pd", "group_by": ["service"], "group_wait": "30s",
                                   "group_interval": "5m", "repeat_interval": "10m"},
                         "receivers": [{"name": "pd", "pagerduty_configs": [{"routing_key": "x"}]}]},
        "paging": {"pd": "api"},
        "pagerduty": {"services": [{"name": "api", "escalation_policy": "p", "auto_resolve_timeout": 1500}],
                      "escalation_policies": [{"name": "p", "rules": [
                          {"escalation_delay_in_minutes": 60, "targets": [{"type": "user_reference", "id": "ann"}]}]}]},
        "events": [{"at": "10m", "fault": {"service": "api", "health": 0.0}}],
    }  # fmt: skip
    result = build(parse_scenario(yaml.safe_dump(data), "dedup.yaml")).run()
    repeats = [e.t for e in result.trace.of(Notified) if e.msg.reason == "repeat"]
    assert repeats[:2] == [26 * MIN + 30, 41 * MIN + 30]
    assert [(e.t, e.msg.incident, e.msg.paging_service) for e in result.trace.of(IncidentOpened)] == [
        (11 * MIN + 30, "INC-001", "api"),
        (41 * MIN + 30, "INC-002", "api"),
    ]
    assert [(e.t, e.msg.incident) for e in result.trace.of(Page)] == [
        (11 * MIN + 30, "INC-001"),
        (41 * MIN + 30, "INC-002"),
    ]


def test_an_open_incident_outlives_the_shift_that_was_paged_for_it() -> None:
    """Daily turns of ann and bob from 2027-01-01 09:00Z: on 4 January ann until 09:00
    (turn 2), bob from 09:00 (turn 3). One rule on the schedule (5m), num_loops 1. An incident at 08:58 pages ann,
    who is on call then. Nobody acks (phones off): at 09:03 the policy loops and pages
    whoever is on call then, bob; at 09:08 it is exhausted. With ann acking 3m after her
    page, she acks at 09:01, after her shift ended: the incident is hers (a page is not
    taken back at a hand-over)."""
    schedule = {"name": "s", "layers": [{"start": "2027-01-01T09:00:00Z", "rotation_turn_length_seconds": 86400,
                                         "users": ["ann", "bob"]}]}  # fmt: skip
    pd = {"services": [{"name": "web", "escalation_policy": "p"}], "schedules": [schedule],
          "escalation_policies": [{"name": "p", "num_loops": 1, "rules": [
              {"escalation_delay_in_minutes": 5, "targets": [{"type": "schedule_reference", "id": "s"}]}]}]}  # fmt: skip
    at = 8 * HOUR + 58 * MIN
    result = run(pd, people("ann", "bob"), [(at, incident(1))], "2027-01-04T00:00:00Z")
    assert [(e.t, e.msg.responder) for e in result.trace.of(Page)] == [(at, "ann"), (at + 5 * MIN, "bob")]
    assert [e.t for e in result.trace.of(EscalationExhausted)] == [at + 10 * MIN]
    crew = [{"name": "ann", "ack_after": "3m"}, {"name": "bob", "phone": "off"}]
    result = run(pd, crew, [(at, incident(1))], "2027-01-04T00:00:00Z")
    assert [(e.t, e.msg.by) for e in result.trace.of(IncidentAcknowledged)][:1] == [(at + 3 * MIN, "ann")]


def test_a_one_second_rotation_of_one_person_does_not_hang_the_search() -> None:
    """A layer of one person turning every second has an edge every second but never a
    change: the answer is checked MAX_STEPS instants ahead and says it holds at least that
    long (a hostile schedule costs bounded work); the pager re-asks from there."""
    from datetime import UTC, datetime

    from actors.domain.oncall import MAX_STEPS, Layer, Schedule

    start = datetime(2027, 1, 1, tzinfo=UTC)
    answer = Schedule("s", "UTC", (Layer("fast", start, start, 1, ("ann",)),)).on_call(start)
    assert (answer.user, answer.changes) == ("ann", False)
    assert answer.until is not None and (answer.until - start).total_seconds() == MAX_STEPS
