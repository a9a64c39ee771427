"""Failures through dependency cycles: the health every member sees, the blast radius,
and the incident's root, in the trace."""

from __future__ import annotations

from typing import Any

import yaml

from actors.pipeline import build
from bus.messages import AlertFired, IncidentOpened
from scenarios.loader import parse_scenario
from topology import ServiceSpec, Topology

CYCLE = {"A": ("B",), "B": ("C",), "C": ("A", "E"), "D": ("A",), "E": ()}


def topology() -> Topology:
    return Topology.build(ServiceSpec(n, d) for n, d in CYCLE.items())


def test_a_failure_below_a_cycle_reaches_every_member_and_health_agrees_with_the_blast_radius() -> None:
    """A -> B -> C -> A, D -> A, C -> E; E at 0.5 (impact 1). The cycle {A, B, C} takes
    E's factor 1 - (1 - 0.5) = 0.5 once for every member; D, above A, takes A's 0.5: every
    service degrades to 0.5, exactly the blast radius of E. Two failures multiply: E at
    0.5 and B's own health 0.8 give A and C 0.5 x 0.8 = 0.4, B 0.8 x 0.5 = 0.4, D 0.4."""
    t = topology()
    health = t.health({"E": 0.5})
    assert health == {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5, "E": 0.5}
    assert sorted(s for s, h in health.items() if h < 1 and s != "E") == t.blast_radius("E")
    both = t.health({"E": 0.5, "B": 0.8})
    assert {s: round(h, 9) for s, h in both.items()} == {"A": 0.4, "B": 0.4, "C": 0.4, "D": 0.4, "E": 0.5}
    lifted = t.health({"E": 0.5}, floor={"A": 0.9})  # a mitigation on A: its dependents see 0.9
    assert lifted["A"] == 0.9 and lifted["D"] == 0.9 and lifted["B"] == 0.5


def drill(with_e_slo: bool) -> Any:
    services = [{"name": n, "depends_on": list(d)} for n, d in CYCLE.items()]
    slo_services = [n for n in CYCLE if with_e_slo or n != "E"]
    data = {
        "name": "cycle",
        "until": "40m",
        "services": services,
        "slos": [{"name": "avail", "service": slo_services, "objective": 0.99, "policy": "custom",
                  "tiers": [{"name": "Down", "long": "5m", "factor": 5, "severity": "critical"}]}],
        "events": [{"at": "10m", "fault": {"service": "E", "health": 0.5}}, {"at": "30m", "recover": {"service": "E"}}],
    }  # fmt: skip
    return build(parse_scenario(yaml.safe_dump(data), "cycle.yaml")).run()


def test_the_cycle_drill_degrades_a_b_c_d_and_opens_one_incident_rooted_at_e() -> None:
    """E fails at 10m; the first sample after, 11m, reads every service at 50% good: a
    burn of 50x against a 1% budget, above 5x: every SLO fires at 11m, and after
    group_wait (30s) one incident opens at 11m30s, rooted at E, the others inhibited."""
    result = drill(with_e_slo=True)
    at_11m = {s.service: s.sli for s in result.trace.series.samples(since=660.0, until=660.0)}
    assert at_11m == {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5, "E": 0.5}
    assert sorted(e.msg.service for e in result.trace.of(AlertFired)) == ["A", "B", "C", "D", "E"]
    [opened] = result.trace.of(IncidentOpened)
    assert (opened.t, opened.msg.root_service) == (690.0, "E")


def test_a_cycle_incident_is_named_after_the_member_that_calls_the_failing_dependency() -> None:
    """E has no SLO (it never alerts): A, B, C, D alert; the root is the cycle {A, B, C},
    named after C, the member that calls E, and the title says it is a cycle."""
    [opened] = drill(with_e_slo=False).trace.of(IncidentOpened)
    assert opened.msg.root_service == "C"
    assert "in a cycle with A, B" in opened.msg.title
