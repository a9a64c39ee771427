"""Generated scenarios at real scale, for the benchmarks: a seeded random service graph
(each service calls one to three services further down, so the graph is a DAG with
shared dependencies), two SLOs per service (availability under Sloth's rules, latency
under kube-prometheus's), a three-level ladder, and faults.

    python benchmarks/generate.py storm [--services 200] > storm.yaml
    python benchmarks/generate.py week [--services 50] > week.yaml
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

import yaml

DAY = 86400


def _graph(services: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(services):
        below = list(range(i + 1, services))
        deps = sorted(rng.sample(below, min(len(below), rng.randint(1, 3)))) if below else []
        out.append({"name": f"s{i:04d}", "team": f"team{i % 12}", "depends_on": [f"s{d:04d}" for d in deps]})
    return out


def scenario(services: int, until_s: int, faults: list[tuple[int, int, int, float]], seed: int = 1) -> dict[str, Any]:
    """*faults*: (service index, at, for, health) each."""
    rng = random.Random(seed)
    graph = _graph(services, rng)
    names = [s["name"] for s in graph]
    slos = [{"name": "availability", "service": names, "objective": 0.999, "policy": "sloth"}]
    slos.append(
        {"name": "latency", "service": names, "objective": 0.99, "policy": "kube-prometheus", "symptom": "latency"}
    )
    events: list[dict[str, Any]] = []
    for index, at, length, health in faults:
        service = names[index]
        events.append({"at": f"{at}s", "fault": {"service": service, "health": health, "name": f"fault-{index}-{at}"}})
        events.append({"at": f"{at + length}s", "recover": {"service": service}})
    events.append({"at": f"{until_s - 60}s", "note": "the end"})
    return {
        "name": f"generated-{services}",
        "seed": seed,
        "until": f"{until_s}s",
        "traffic": {"requests_per_minute": 1000, "outcomes": "exact"},
        "services": graph,
        "slos": slos,
        "responders": [
            {"name": "ann", "level": "L1", "ack_after": "2m"},
            {"name": "bob", "level": "L2", "ack_after": "3m"},
            {"name": "cyd", "level": "L3", "ack_after": "4m"},
        ],
        "escalation": {
            "levels": [
                {"name": "L1", "targets": ["ann"], "escalate_after": "5m"},
                {"name": "L2", "targets": ["bob"], "escalate_after": "5m"},
                {"name": "L3", "targets": ["cyd"], "escalate_after": "10m"},
            ],
        },
        "events": sorted(events, key=lambda e: int(str(e["at"]).removesuffix("s"))),
    }


def storm(services: int = 200, seed: int = 1) -> dict[str, Any]:
    """Six hours; at 1h a service deep in the graph fails (its callers burn with it), at 3h
    a second one, each for 40 minutes: the alert storm of every SLO above them."""
    deep = int(services * 0.9)
    faults = [(deep, 3600, 2400, 0.3), (int(services * 0.7), 3 * 3600, 2400, 0.5)]
    return scenario(services, 6 * 3600, faults, seed)


def week(services: int = 50, days: int = 7, seed: int = 1) -> dict[str, Any]:
    """*days* days; each day one service fails for 30 minutes at a seeded hour."""
    rng = random.Random(seed)
    faults = [(rng.randrange(services), d * DAY + rng.randrange(2, 20) * 3600, 1800, 0.6) for d in range(days)]
    return scenario(services, days * DAY, faults, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["storm", "week"])
    parser.add_argument("--services", type=int)
    args = parser.parse_args()
    if args.kind == "storm":
        data = storm(args.services or 200)
    else:
        data = week(args.services or 50)
    yaml.safe_dump(data, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
