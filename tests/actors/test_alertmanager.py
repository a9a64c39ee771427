"""Alertmanager in the loop, on exact virtual times.

Every drill here: services api and db (unrelated: neither depends on the other), one SLO
each whose only tier fires at the first bad sample (burn over 5m above 1); a fault at
10m is first sampled at 11m, so its alert fires at 11m. The route's timers are given
per test; ticks of a group fall at its first alert + group_wait + k x group_interval.
"""

from __future__ import annotations

from typing import Any

import yaml

from actors.pipeline import build
from bus.messages import AlertMuted, IncidentOpened, Notified
from scenarios.loader import parse_scenario

BASE: dict[str, Any] = {
    "name": "am",
    "until": "6h",
    "traffic": {"requests_per_minute": 1000},
    "services": [{"name": "api", "team": "web"}, {"name": "db", "team": "web"}],
    "slos": [
        {
            "name": "avail",
            "service": "api",
            "objective": 0.99,
            "policy": "custom",
            "tiers": [{"name": "ApiDown", "long": "5m", "factor": 1, "severity": "warning"}],
        },
        {
            "name": "avail",
            "service": "db",
            "objective": 0.99,
            "policy": "custom",
            "tiers": [{"name": "DbDown", "long": "5m", "factor": 1, "severity": "critical"}],
        },
    ],
    "responders": [{"name": "ann", "level": "L1", "ack_after": "1m"}],
    "escalation": {"levels": [{"name": "L1", "targets": ["ann"], "escalate_after": "5m"}], "ack_timeout": "10h"},
}
PAGER = {"name": "pager", "pagerduty_configs": [{"routing_key": "secret"}]}


def drill(route: dict[str, Any], events: list[dict[str, Any]], **extra: Any) -> Any:
    data = {**BASE, "events": events, "alertmanager": {"route": route, "receivers": [PAGER], **extra}}
    data.update({k: v for k, v in extra.items() if k in ("start",)})
    data["alertmanager"].pop("start", None)
    return build(parse_scenario(yaml.safe_dump(data), "am.yaml")).run()


def notified(result: Any) -> list[tuple[float, str, int, str]]:
    return [
        (e.t, e.msg.group.split("{", 1)[1].rstrip("}"), len(e.msg.firing), e.msg.reason)
        for e in result.trace.of(Notified)
    ]


FAULT_API = {"at": "10m", "fault": {"service": "api", "health": 0.0}}
FAULT_DB = {"at": "13m", "fault": {"service": "db", "health": 0.0}}
ROUTE = {
    "receiver": "pager",
    "group_by": ["service"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "4h",
}


def test_two_unrelated_groups_each_wait_group_wait_after_their_own_first_alert() -> None:
    """api fires at 11m: its group notifies at 11m30s. db fires at 14m: its own group
    notifies at 14m30s, not at a tick of api's group."""
    events = [
        FAULT_API,
        FAULT_DB,
        {"at": "20m", "recover": {"service": "api"}},
        {"at": "20m", "recover": {"service": "db"}},
    ]
    got = notified(drill(ROUTE, events))
    assert got[:2] == [(11 * 60 + 30, 'service="api"', 1, "first"), (14 * 60 + 30, 'service="db"', 1, "first")]


def test_an_update_to_an_open_group_waits_for_group_interval() -> None:
    """group_by team: one group. api at 11m -> first notification at 11m30s; db at 14m
    joins it, and is told at the next tick, 11m30s + 5m = 16m30s."""
    route = {**ROUTE, "group_by": ["team"]}
    events = [
        FAULT_API,
        FAULT_DB,
        {"at": "30m", "recover": {"service": "api"}},
        {"at": "30m", "recover": {"service": "db"}},
    ]
    got = notified(drill(route, events))
    assert got[:2] == [(11 * 60 + 30, 'team="web"', 1, "first"), (16 * 60 + 30, 'team="web"', 2, "update")]


def test_a_still_firing_group_is_renotified_after_repeat_interval() -> None:
    """First notification at t0 = 11m30s; ticks every 5m; at t0 + 4h the last one is
    exactly 4h old, not older: nothing; at t0 + 4h05m = 4h16m30s: repeat."""
    got = notified(drill(ROUTE, [FAULT_API, {"at": "5h", "recover": {"service": "api"}}]))
    assert got[:2] == [
        (11 * 60 + 30, 'service="api"', 1, "first"),
        (4 * 3600 + 16 * 60 + 30, 'service="api"', 1, "repeat"),
    ]


def test_a_silence_mutes_then_releases_an_alert() -> None:
    """Silenced until 30m: the ticks at 11m30s ... 26m30s notify nobody (the trace says which
    silence); at 31m30s the silence is over: the first notification."""
    events = [
        {"at": "0s", "silence": {"matchers": ['service="api"'], "until": "30m", "comment": "maintenance"}},
        FAULT_API,
        {"at": "50m", "recover": {"service": "api"}},
    ]
    result = drill(ROUTE, events)
    muted = [(e.t, e.msg.muted, e.msg.by) for e in result.trace.of(AlertMuted)]
    assert muted == [(11 * 60 + 30, True, "silence maintenance"), (31 * 60 + 30, False, "silence maintenance")]
    assert notified(result)[0] == (31 * 60 + 30, 'service="api"', 1, "first")


def test_an_inhibited_target_is_notified_within_group_interval_after_its_source_resolves() -> None:
    """db (critical) fires at 11m and inhibits api (warning) of the same team, which
    fires at 11m too. db recovers at 20m: its alert resolves at the sample of 21m (its
    5m window still holds bad samples until 26m: resolves at 26m). api's group ticks at
    11m30s + 5k m: muted until the tick after 26m, 26m30s, where it is notified."""
    events = [
        {"at": "10m", "fault": {"service": "db", "health": 0.0}},
        FAULT_API,
        {"at": "20m", "recover": {"service": "db"}},
        {"at": "1h", "recover": {"service": "api"}},
    ]
    inhibit = [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": ["team"]}
    ]
    result = drill(ROUTE, events, inhibit_rules=inhibit)
    api = [n for n in notified(result) if n[1] == 'service="api"']
    assert api[0] == (26 * 60 + 30, 'service="api"', 1, "first")
    assert [(e.t, e.msg.muted) for e in result.trace.of(AlertMuted)] == [(11 * 60 + 30, True), (26 * 60 + 30, False)]


NIGHT = [
    {
        "name": "night",
        "time_intervals": [{"times": [{"start_time": "00:00", "end_time": "02:00"}], "location": "Europe/London"}],
    }
]


def test_a_route_muted_by_a_time_interval_resumes_after_it_across_dst() -> None:
    """Muted 00:00-02:00 London time. On 29 March 2026 the clocks go forward at 01:00 UTC
    (02:00 BST): the night lasts one real hour. Start 00:00Z, api fires at 00:11: ticks at
    00:11:30 ... 00:56:30 are muted; 01:01:30Z is 02:01:30 BST: notified then. A day
    earlier (GMT all night) the mute lasts to 02:00Z: notified at 02:01:30Z."""
    route = {**ROUTE, "mute_time_intervals": ["night"]}
    events = [FAULT_API, {"at": "3h", "recover": {"service": "api"}}]
    for start, first in (("2026-03-29T00:00:00Z", 3600 + 90), ("2026-03-28T00:00:00Z", 2 * 3600 + 90)):
        data = {
            **BASE,
            "start": start,
            "events": events,
            "alertmanager": {"route": route, "receivers": [PAGER], "time_intervals": NIGHT},
        }
        result = build(parse_scenario(yaml.safe_dump(data), "am.yaml")).run()
        assert notified(result)[0] == (first, 'service="api"', 1, "first"), start


def test_paging_notifications_open_incidents_and_sinks_do_not() -> None:
    """A route to a webhook (a sink) for db and to the pager for api: only api's
    notification reaches the correlator and opens an incident."""
    route = {
        "receiver": "pager",
        "group_by": ["service"],
        "routes": [{"receiver": "hook", "matchers": ['service="db"']}],
    }
    hook = {"name": "hook", "webhook_configs": [{"url": "http://example.invalid/"}]}
    data = {
        **BASE,
        "events": [
            FAULT_API,
            FAULT_DB,
            {"at": "30m", "recover": {"service": "api"}},
            {"at": "30m", "recover": {"service": "db"}},
        ],
        "alertmanager": {"route": route, "receivers": [PAGER, hook]},
    }
    result = build(parse_scenario(yaml.safe_dump(data), "am.yaml")).run()
    notes = result.trace.of(Notified)
    assert {(n.msg.receiver, n.msg.pages, n.to) for n in notes if n.msg.reason == "first"} == {
        ("pager", True, ("correlator",)),
        ("hook", False, ()),
    }
    assert [e.msg.root_service for e in result.trace.of(IncidentOpened)] == ["api"]


def test_routes_no_alert_of_the_scenario_reaches_are_reported(tmp_path: Any) -> None:
    """The scenario's alerts carry service, team, alertname, severity and slo labels: a
    route on env="staging" is reached by none of them, and says so; paging names the
    service an incident opens on."""
    from scenarios.checks import routing_config, unreachable_routes

    route = {
        "receiver": "pager",
        "routes": [
            {"receiver": "pager", "matchers": ['env="staging"']},
            {"receiver": "pager", "matchers": ['team="web"']},
        ],
    }
    data = {**BASE, "alertmanager": {"route": route, "receivers": [PAGER]}, "paging": {"pager": "payments-oncall"}}
    scenario = parse_scenario(yaml.safe_dump(data), "am.yaml")
    routing = routing_config(scenario, "am.yaml")
    assert routing is not None
    assert unreachable_routes(scenario, routing) == [
        "alertmanager.route.routes[0] (receiver pager) is reached by no alert of this scenario"
    ]
    data["events"] = [FAULT_API, {"at": "20m", "recover": {"service": "api"}}]
    result = build(parse_scenario(yaml.safe_dump(data), "am.yaml")).run()
    assert {n.msg.paging_service for n in result.trace.of(Notified)} == {"payments-oncall"}


def test_the_routes_cli_reads_a_scenario_and_the_importer_keeps_no_secret(tmp_path: Any) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    am = {
        "route": ROUTE,
        "receivers": [{"name": "pager", "pagerduty_configs": [{"routing_key": "TOPSECRET", "send_resolved": False}]}],
    }
    (tmp_path / "am.yml").write_text(yaml.safe_dump(am), encoding="utf-8")
    scenario = {**BASE, "imports": {"alertmanager": "am.yml"}}
    (tmp_path / "drill.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    routes = subprocess.run(
        [sys.executable, "-m", "actors.routes", "test", str(tmp_path / "drill.yaml"), "service=api"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert routes.returncode == 0 and routes.stdout == "pager\n", routes.stderr
    fragment = subprocess.run(
        [sys.executable, "-m", "scenarios.imports", "alertmanager", str(tmp_path / "am.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert fragment.returncode == 0 and "TOPSECRET" not in fragment.stdout
    loaded = yaml.safe_load(fragment.stdout)
    assert loaded["alertmanager"]["receivers"] == [{"name": "pager", "pagerduty_configs": [{"send_resolved": False}]}]
    parse_scenario(fragment.stdout, "fragment.yaml")  # it loads on its own


def test_a_resolved_notification_resolves_the_incident() -> None:
    """api fires at 11m (notified 11m30s, incident INC-001); it recovers at 20m, its alert
    resolves at the sample of 25m (its 5m window clean); the group's next tick, 26m30s,
    tells the pager of the resolution, and the correlator resolves INC-001 then."""
    from bus.messages import IncidentResolved

    data = {
        **{k: v for k, v in BASE.items() if k not in ("responders", "escalation")},
        "events": [FAULT_API, {"at": "20m", "recover": {"service": "api"}}],
        "alertmanager": {"route": ROUTE, "receivers": [PAGER]},
    }
    result = build(parse_scenario(yaml.safe_dump(data), "am.yaml")).run()
    assert notified(result) == [
        (11 * 60 + 30, 'service="api"', 1, "first"),
        (26 * 60 + 30, 'service="api"', 0, "resolved"),
    ]
    resolved = result.trace.of(IncidentResolved)
    assert [(e.t, e.msg.incident, e.sender) for e in resolved] == [(26 * 60 + 30, "INC-001", "correlator")]


def test_a_resolved_alert_is_told_only_to_receivers_with_send_resolved() -> None:
    """group_by team: one group. api fires at 11m (first, 11m30s), db at 14m (update at
    16m30s, two firing). db recovers at 20m: its alert resolves at the sample of 25m, told
    at the tick of 26m30s as an update (one firing, one resolved) with send_resolved. Without
    it, Alertmanager's dedup stays silent: what fires now (api) is a subset of what the
    receiver was told. api recovers at 40m, resolves at 45m: at 46m30s the receiver with
    send_resolved hears the group resolved; the other hears nothing."""
    route = {**ROUTE, "group_by": ["team"]}
    events = [
        FAULT_API,
        FAULT_DB,
        {"at": "20m", "recover": {"service": "db"}},
        {"at": "40m", "recover": {"service": "api"}},
    ]
    said = {}
    for send_resolved in (True, False):
        pager = {"name": "pager", "pagerduty_configs": [{"routing_key": "k", "send_resolved": send_resolved}]}
        data = {**BASE, "events": events, "alertmanager": {"route": route, "receivers": [pager]}}
        result = build(parse_scenario(yaml.safe_dump(data), "am.yaml")).run()
        said[send_resolved] = [
            (e.t, len(e.msg.firing), len(e.msg.resolved), e.msg.reason) for e in result.trace.of(Notified)
        ]
    told = [(11 * 60 + 30, 1, 0, "first"), (16 * 60 + 30, 2, 0, "update")]
    assert said[False] == told
    assert said[True] == [*told, (26 * 60 + 30, 1, 1, "update"), (46 * 60 + 30, 0, 1, "resolved")]


def test_a_relabelled_alert_leaves_its_old_group_and_the_incident_escalates() -> None:
    """One alert id fires as a ticket (severity="ticket") at 60s, then again as a page
    (severity="page") at 200s, as the two-window monitor says a slow burn that turned
    fast. Routes by severity: tickets to a webhook, pages to the pager; group_by severity,
    group_wait 30s, group_interval 5m. The ticket group notifies at 90s; at 200s the alert
    leaves it for the page group, which notifies at 230s; the ticket group's next tick,
    390s, tells its receiver the old label set resolved (webhooks send_resolved). The
    correlator, fed by the pager only, opens one page incident at 230s."""
    from datetime import UTC, datetime

    from actors.alertmanager import Alertmanager
    from actors.correlator import RoutedCorrelator
    from actors.domain.routing import parse_config
    from actors.engine.runtime import Runtime
    from tests.actors.test_correlator import Feed, fired
    from topology import ServiceSpec, Topology

    config = parse_config(
        {
            "route": {
                "receiver": "pager",
                "group_by": ["severity"],
                "group_wait": "30s",
                "group_interval": "5m",
                "routes": [{"receiver": "hook", "matchers": ['severity="ticket"']}],
            },
            "receivers": [PAGER, {"name": "hook", "webhook_configs": [{"url": "http://example.invalid/"}]}],
        }
    )
    ticket = fired("A-1", "api", severity="sev3", action="ticket").model_copy(
        update={"labels": {"service": "api", "severity": "ticket"}}
    )
    page = fired("A-1", "api").model_copy(update={"labels": {"service": "api", "severity": "page"}})
    rt = Runtime(seed=1, until=1000.0)
    rt.add(Feed("monitor", rt, [(60.0, ticket), (200.0, page)]))
    rt.add(Alertmanager("alertmanager", rt, config, start=datetime(2026, 1, 1, tzinfo=UTC)))
    rt.add(RoutedCorrelator("correlator", rt, Topology.build([ServiceSpec("api", ())]), group_wait=0.0))
    result = rt.run()
    said = [
        (e.t, e.msg.receiver, len(e.msg.firing), len(e.msg.resolved), e.msg.reason) for e in result.trace.of(Notified)
    ]
    assert said == [(90.0, "hook", 1, 0, "first"), (230.0, "pager", 1, 0, "first"), (390.0, "hook", 0, 1, "resolved")]
    opened = result.trace.of(IncidentOpened)
    assert [(e.t, e.msg.action) for e in opened] == [(230.0, "page")]
