"""Generated scenarios: random topologies with cycles, random fault timelines, random
ladders, random ack drops. Each runs to completion with its invariants holding, or stops
cleanly as invalid input. Never a traceback, never a hang (virtual time is bounded)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.pipeline import Options, build
from actors.report.digest import digest
from actors.report.invariants import check_invariants
from scenarios.loader import ScenarioError, parse_scenario


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], float]:
    n = draw(st.integers(1, 6))
    names = [f"s{i}" for i in range(n)]
    services = []
    for name in names:
        deps = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
        services.append({"name": name, "depends_on": [d for d in deps if d != name]})
    levels = draw(st.integers(1, 3))
    responders = [
        {
            "name": f"r{i}",
            "level": f"L{i + 1}",
            "ack_after": f"{draw(st.integers(0, 12))}m",
            "phone": draw(st.sampled_from(["on", "on", "off"])),
        }
        for i in range(levels)
    ]
    events = []
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, 120))
        service = draw(st.sampled_from(names))
        if draw(st.booleans()):
            events.append(
                {
                    "at": f"{at}m",
                    "fault": {
                        "service": service,
                        "health": draw(st.sampled_from([0.0, 0.3, 0.5, 0.9, 0.97])),
                        "signature": draw(st.sampled_from(["boom", "slow"])),
                    },
                }
            )
        else:
            events.append({"at": f"{at}m", "recover": {"service": service}})
    if draw(st.booleans()):
        events.append(
            {
                "at": f"{draw(st.integers(0, 60))}m",
                "ticket": {
                    "reporter": "u",
                    "text": draw(st.sampled_from(["site down", "wrong answer", "slow", "hello"])),
                    "service": draw(st.sampled_from(names)),
                },
            }
        )
    data: dict[str, Any] = {
        "name": "fuzz",
        "seed": draw(st.integers(0, 10_000)),
        "until": "4h",
        "traffic": {"requests_per_minute": 20, "outcomes": draw(st.sampled_from(["exact", "random"]))},
        "services": services,
        "slos": [
            {
                "name": "e",
                "service": draw(st.lists(st.sampled_from(names), min_size=1, unique=True)),
                "objective": draw(st.sampled_from([0.9, 0.99, 0.999])),
                "policy": draw(st.sampled_from(["two-window", "two-window", "sre-workbook"])),
            }
        ],
        "responders": responders,
        "escalation": {
            "levels": [
                {"name": f"L{i + 1}", "targets": [f"r{i}"], "escalate_after": f"{draw(st.integers(1, 15))}m"}
                for i in range(levels)
            ],
            "repeat": draw(st.integers(0, 2)),
            "ack_timeout": f"{draw(st.integers(5, 60))}m",
        },
        "runbooks": {
            "boom": [{"name": "fix it", "action": "fix", "signature": "boom", "service": names[0]}],
            "error_rate": [{"name": "lift", "action": "mitigate", "sli": 1.0, "min_level": f"L{levels}"}],
        },
        "events": events,
    }
    if draw(st.integers(0, 9)) == 0:  # now and then, something invalid
        data[draw(st.sampled_from(["colour", "until"]))] = draw(st.sampled_from(["-3m", "soon", 7]))
    return data, draw(st.sampled_from([0.0, 0.0, 0.3, 1.0]))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_generated_scenarios_complete_with_their_invariants_or_stop_as_bad_input(
    case: tuple[dict[str, Any], float],
) -> None:
    data, ack_loss = case
    text = yaml.safe_dump(data)
    try:
        scenario = parse_scenario(text, "fuzz.yaml")
        runtime = build(scenario, Options(ack_loss=ack_loss), path="fuzz.yaml")
    except ScenarioError as exc:
        message = str(exc)
        assert message.startswith("fuzz.yaml")  # a generated case may be refused, but only with a clear message
        return
    result = runtime.run()
    assert result.ending in ("done", "until"), result.problem
    assert result.ended_at <= 4 * 3600
    broken = [i for i in check_invariants(digest(result.trace), result.accounts) if not i.held]
    assert not broken, broken
