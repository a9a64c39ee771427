"""The correlator on the virtual clock: storms collapse, late alerts join, tickets link."""

from __future__ import annotations

from typing import Any

from actors.correlator import Correlator
from actors.domain.triage import triage
from actors.engine.actor import Actor
from actors.engine.runtime import RunResult, Runtime
from actors.report.placements import placements_in
from bus.messages import (
    AlertFired,
    AlertResolved,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    Message,
    TicketFiled,
    TicketTriaged,
)
from topology import ServiceSpec, Topology

DIAMOND = {"web": ["auth", "cart"], "auth": ["db"], "cart": ["db"], "db": [], "batch": []}


class Feed(Actor):
    """Publishes the given messages at the given times, like a monitor would."""

    def __init__(self, name: str, runtime: Runtime, script: list[tuple[float, Message]]) -> None:
        self.script = script
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.left = len(self.script)

    def on_start(self) -> None:
        for at, msg in self.script:
            self.call_at(at, self._say, msg)

    def _say(self, msg: Message) -> None:
        self.left -= 1
        self.send(msg)

    def busy(self) -> str | None:
        return "script left" if self.left else None


def fired(
    alert: str, service: str, symptom: str = "error_rate", severity: str = "sev1", action: str = "page"
) -> AlertFired:
    return AlertFired(
        alert=alert,
        fingerprint=f"{service}/{symptom}",
        service=service,
        symptom=symptom,
        slo=f"{service}-{symptom}",
        action=action,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        sli=0.8,
        burns={"fast": 20.0, "slow": 8.0},
        reason="fast burn 20.0x",
    )


def resolved(alert: str, service: str, symptom: str = "error_rate") -> AlertResolved:
    return AlertResolved(
        alert=alert, fingerprint=f"{service}/{symptom}", service=service, symptom=symptom, slo="x", sli=1.0, reason="ok"
    )


def run(script: list[tuple[float, Message]], edges: dict[str, list[str]] = DIAMOND, **kw: Any) -> RunResult:
    rt = Runtime(seed=1, until=86400.0)
    rt.add(Feed("monitor", rt, script))
    topology = Topology.build(ServiceSpec(n, tuple(d)) for n, d in edges.items())
    rt.add(Correlator("correlator", rt, topology, **kw))
    return rt.run()


def placements(result: RunResult) -> list[tuple[float, str, str | None, str, str | None]]:
    return [(p.t, p.alert, p.incident, p.role, p.cause) for p in placements_in(result.trace)]


def test_a_storm_over_a_shared_dependency_pages_once_about_the_cause() -> None:
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "web")),
        (60, fired("A-2", "auth")),
        (65, fired("A-3", "db")),
        (70, fired("A-4", "cart", severity="sev2")),
    ]
    result = run(script)
    opened = result.trace.of(IncidentOpened)
    assert [(e.t, e.msg.incident, e.msg.root_service, e.msg.severity, e.msg.alerts) for e in opened] == [
        (90.0, "INC-001", "db", "sev1", ["A-3", "A-1", "A-2", "A-4"])
    ]
    assert placements(result) == [
        (90.0, "A-3", "INC-001", "root", "db"),
        (90.0, "A-1", "INC-001", "inhibited", "db"),
        (90.0, "A-2", "INC-001", "inhibited", "db"),
        (90.0, "A-4", "INC-001", "inhibited", "db"),
    ]
    inhibited = [p for p in placements_in(result.trace) if p.alert == "A-1"]
    assert inhibited[0].reason == "inhibited: its dependency db is the cause"
    assert len(result.trace) == 5  # four alerts and one incident: the storm is one message


def test_two_independent_failures_make_two_incidents() -> None:
    result = run([(60, fired("A-1", "db")), (60, fired("A-2", "batch", severity="sev3", action="ticket"))])
    opened = [(e.msg.incident, e.msg.root_service, e.msg.action) for e in result.trace.of(IncidentOpened)]
    assert opened == [("INC-001", "db", "page"), ("INC-002", "batch", "ticket")]


def test_a_late_alert_joins_the_open_incident_after_group_wait() -> None:
    result = run([(60, fired("A-1", "db")), (600, fired("A-2", "web", symptom="latency", severity="sev2"))])
    assert placements(result)[-1] == (630.0, "A-2", "INC-001", "inhibited", "db")
    updated = result.trace.of(IncidentUpdated)
    assert [(e.t, e.msg.alert_count, e.msg.affected_count, e.msg.severity) for e in updated] == [(630.0, 2, 2, "sev1")]
    assert len(result.trace.of(IncidentOpened)) == 1


def test_a_late_batch_joins_as_one_update_naming_its_first_alerts() -> None:
    script: list[tuple[float, Message]] = [(60, fired("A-1", "db"))] + [
        (600, fired(f"A-{i}", service, symptom=symptom, severity="sev2"))
        for i, (service, symptom) in enumerate(
            [("web", "latency"), ("auth", "latency"), ("web", "errors"), ("cart", "latency"), ("cart", "errors")],
            start=2,
        )
    ]
    result = run(script)
    [update] = result.trace.of(IncidentUpdated)
    assert (update.t, update.msg.reason, update.msg.alert_count) == (630.0, "A-2, A-4, A-3 and 2 more joined", 6)
    assert update.msg.placements == [
        ("web", "inhibited", ["A-2", "A-4"]),
        ("auth", "inhibited", ["A-3"]),
        ("cart", "inhibited", ["A-5", "A-6"]),
    ]


def test_a_dependent_alerting_after_the_root_recovered_is_not_joined_to_it() -> None:
    """db's alert resolved at 300 s (web's still fires, so INC-001 stays open); cart, in
    db's blast radius, alerts at 320 s. A service joins an incident only through a cause
    firing now: db is not, so cart opens INC-002 at 350 s, as its own root."""
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "db")),
        (60, fired("A-2", "web")),
        (300, resolved("A-1", "db")),
        (320, fired("A-3", "cart", severity="sev2")),
    ]
    assert placements(run(script))[-1] == (350.0, "A-3", "INC-002", "root", "cart")


def test_a_resolved_incident_takes_no_new_alerts() -> None:
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "db")),
        (300, resolved("A-1", "db")),
        (900, fired("A-2", "db")),
    ]
    result = run(script)
    first = result.trace.of(IncidentResolved)[0]
    assert (first.t, first.msg.incident, first.msg.by) == (300.0, "INC-001", "correlator")
    assert placements(result)[-1] == (930.0, "A-2", "INC-002", "root", "db")


def test_an_alert_that_resolves_within_group_wait_is_recorded_as_expired() -> None:
    result = run([(60, fired("A-1", "batch")), (75, resolved("A-1", "batch"))])
    assert placements(result) == [(75.0, "A-1", None, "expired", None)]
    assert result.trace.of(IncidentOpened) == []


def test_an_alert_that_expires_takes_its_severity_out_of_the_batch() -> None:
    # Two alerts on db, the paging one resolves within group_wait: the incident the other
    # opens is a sev3 ticket, with only it as a member.
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "db")),
        (62, fired("A-2", "db", symptom="latency", severity="sev3", action="ticket")),
        (75, resolved("A-1", "db")),
    ]
    result = run(script)
    assert placements(result) == [(75.0, "A-1", None, "expired", None), (90.0, "A-2", "INC-001", "root", "db")]
    opened = result.trace.of(IncidentOpened)
    assert [(e.t, e.msg.severity, e.msg.action, e.msg.alerts) for e in opened] == [(90.0, "sev3", "ticket", ["A-2"])]


def test_an_incident_resolves_itself_when_its_last_alert_resolves() -> None:
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "db")),
        (61, fired("A-2", "web")),
        (300, resolved("A-1", "db")),
        (400, resolved("A-2", "web")),
    ]
    result = run(script)
    assert [(e.t, e.msg.incident, e.msg.reason) for e in result.trace.of(IncidentResolved)] == [
        (400.0, "INC-001", "all 2 alerts resolved")
    ]


def test_a_repeated_fingerprint_is_a_duplicate_that_can_raise_severity() -> None:
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "db", severity="sev3", action="ticket")),
        (300, fired("A-1", "db", severity="sev1", action="page")),
    ]
    result = run(script)
    assert placements(result)[-1] == (300.0, "A-1", "INC-001", "duplicate", "db")
    update = result.trace.of(IncidentUpdated)[-1]
    assert (update.t, update.msg.severity) == (300.0, "sev1")


def ticket(tid: str, text: str, service: str | None, users: int = 1) -> TicketFiled:
    return TicketFiled(ticket=tid, reporter="a customer", text=text, service=service, users_affected=users)


def test_a_sev2_ticket_routes_to_l2_and_links_to_the_incident_above_its_service() -> None:
    script: list[tuple[float, Message]] = [
        (60, fired("A-1", "db")),
        (300, ticket("T-1", "The answer was wrong", "web")),
    ]
    result = run(script)
    triaged = result.trace.of(TicketTriaged)
    assert [(e.t, e.msg.severity, e.msg.route, e.msg.incident, e.msg.linked) for e in triaged] == [
        (300.0, "sev2", "L2", "INC-001", True)
    ]
    assert result.trace.of(IncidentUpdated)[-1].msg.tickets == ["T-1"]


def test_an_unmatched_ticket_opens_a_ticket_only_incident_and_sev3_never_pages() -> None:
    result = run([(60, ticket("T-1", "search is slow sometimes", "batch"))])
    opened = result.trace.of(IncidentOpened)
    assert [(e.msg.incident, e.msg.source, e.msg.severity, e.msg.action, e.msg.route) for e in opened] == [
        ("INC-001", "ticket", "sev3", "ticket", None)
    ]
    assert result.ending == "done"  # a ticket in the queue does not hold the run open


def test_the_triage_rule() -> None:
    assert triage("The site is down for everyone") == ("sev1", "L1", "keyword 'down'")
    assert triage("Refund window answer is wrong")[:2] == ("sev2", "L2")
    assert triage("a bit slow sometimes")[:2] == ("sev3", None)
    assert triage("how do I export my data?")[:2] == ("sev4", None)
    assert triage("a bit slow", users_affected=250)[:2] == ("sev2", "L2")
    assert triage("question", users_affected=5000)[0] == "sev1"
    assert triage("downtime planning")[0] == "sev4"  # whole words only


def test_the_storm_drill_collapses_40_alerts_into_5_incidents_and_says_why() -> None:
    from pathlib import Path

    from actors.pipeline import build
    from scenarios.loader import load_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "bad_deploy.yaml"
    result = build(load_scenario(str(path))).run()
    alerts = result.trace.messages(AlertFired)
    opened = result.trace.messages(IncidentOpened)
    assert len(alerts) == 40
    assert [(o.incident, o.source) for o in opened] == [(f"INC-00{i}", "alerts") for i in range(1, 6)]
    placed = placements_in(result.trace)
    assert sorted(p.alert for p in placed) == sorted(a.alert for a in alerts)  # every alert, once
    main = [p for p in placed if p.incident == "INC-001"]
    assert len(main) == 32
    roles = {c.fingerprint: c.role for c in main}
    assert roles["support-agent/answer_quality"] == "root"
    assert roles["support-agent/latency"] == "grouped"
    assert {c.role for c in main if not c.fingerprint.startswith("support-agent/")} == {"inhibited"}
    assert {c.cause for c in main} == {"support-agent"}
    assert [len([p for p in placed if p.incident == f"INC-00{i}"]) for i in range(2, 6)] == [2, 2, 2, 2]
    first = result.trace.first(IncidentOpened, incident="INC-001")
    assert first is not None and first.t == 11 * 60 + 30  # the first sample after the deploy, + group_wait
    assert first.msg.severity == "sev1" and first.msg.burns["fast"] == 20.0


def _tiered(slos: list[tuple[str, str]]) -> str:
    return "\n".join(
        f"  - {{name: avail, service: {svc}, objective: 0.99, policy: custom, "
        f"tiers: [{{name: {svc}-burn, long: 5m, factor: 1, severity: {sev}}}]}}"
        for svc, sev in slos
    )


def test_an_open_ticket_does_not_absorb_an_unrelated_outage_above_it() -> None:
    """db burns slowly from 10m (10% errors over its 5m window: 2x, a sev3 ticket at 11m,
    its incident at 11m30s). api, which calls db, fails on its own at 20m (a sev1 page at 21m): db's
    ticket-level cause cannot explain a page, so at 21m30s api opens its own incident
    instead of joining db's."""
    from actors.pipeline import build
    from bus.messages import IncidentOpened, IncidentUpdated
    from scenarios.loader import parse_scenario

    text = f"""
name: absorb
until: 2h
traffic: {{requests_per_minute: 1000}}
services: [{{name: api, depends_on: [db], impact: 0.0}}, {{name: db}}]
slos:
{_tiered([("db", "warning"), ("api", "critical")])}
events:
  - {{at: 10m, fault: {{service: db, health: 0.9}}}}
  - {{at: 20m, fault: {{service: api, health: 0.0}}}}
  - {{at: 40m, recover: {{service: api}}}}
  - {{at: 40m, recover: {{service: db}}}}
"""
    result = build(parse_scenario(text, "absorb.yaml")).run()
    opened = [(e.t, e.msg.root_service, e.msg.severity) for e in result.trace.of(IncidentOpened)]
    assert opened == [(11 * 60 + 30, "db", "sev3"), (21 * 60 + 30, "api", "sev1")]
    assert not [e for e in result.trace.of(IncidentUpdated) if "joined" in e.msg.reason]


def test_two_symptoms_of_an_unmonitored_dependency_name_it_as_the_suspected_cause() -> None:
    """web1 and web2 both call db, which has no SLO: when db fails at 10m both alert at
    11m, and at 11m30s one incident opens with db, the dependency they share, as its root."""
    from actors.pipeline import build
    from bus.messages import IncidentOpened
    from scenarios.loader import parse_scenario

    text = f"""
name: suspect
until: 2h
traffic: {{requests_per_minute: 1000}}
services: [{{name: web1, depends_on: [db]}}, {{name: web2, depends_on: [db]}}, {{name: db}}]
slos:
{_tiered([("web1", "critical"), ("web2", "critical")])}
events:
  - {{at: 10m, fault: {{service: db, health: 0.0}}}}
  - {{at: 30m, recover: {{service: db}}}}
"""
    result = build(parse_scenario(text, "suspect.yaml")).run()
    opened = result.trace.of(IncidentOpened)
    assert [(e.t, e.msg.root_service, len(e.msg.alerts)) for e in opened] == [(11 * 60 + 30, "db", 2)]


def test_topology_inhibition_can_be_switched_off() -> None:
    """correlator: {topology_inhibition: false}: when db fails at 10m, db and web (which
    calls db) alert at 11m and open one incident each at 11m30s, neither inhibited."""
    from actors.pipeline import build
    from bus.messages import IncidentOpened
    from scenarios.loader import parse_scenario

    text = f"""
name: no-inhibition
until: 2h
traffic: {{requests_per_minute: 1000}}
correlator: {{topology_inhibition: false}}
services: [{{name: web, depends_on: [db]}}, {{name: db}}]
slos:
{_tiered([("web", "critical"), ("db", "critical")])}
events:
  - {{at: 10m, fault: {{service: db, health: 0.0}}}}
  - {{at: 30m, recover: {{service: db}}}}
"""
    result = build(parse_scenario(text, "off.yaml")).run()
    opened = sorted((e.t, e.msg.root_service, len(e.msg.alerts)) for e in result.trace.of(IncidentOpened))
    assert opened == [(11 * 60 + 30, "db", 1), (11 * 60 + 30, "web", 1)]
    text_on = text.replace("correlator: {topology_inhibition: false}\n", "")
    on = build(parse_scenario(text_on, "on.yaml")).run()
    assert [(e.msg.root_service, len(e.msg.alerts)) for e in on.trace.of(IncidentOpened)] == [("db", 2)]
