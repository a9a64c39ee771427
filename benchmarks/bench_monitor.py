"""The monitor's throughput: SLO evaluations per second through the monitor actor (a run
of the whole pipeline on the virtual clock: sampling, windows, every rule's state machine,
the series, the messages it says) beside the bare rule math on the same workload in the
same process (TieredSlo objects driven in a loop: add, burns, rates, every rule's step,
the budget; what ``bench_rules.py`` times). The workload: N services, an availability
SLO under Sloth's rules on each, a day of one-minute samples, every service at 70% for 20
minutes of every 200 (the bare loop's "now and then an outage").

Target (the speed issue): through the actor >= 0.25 of the bare math.

    python benchmarks/bench_monitor.py [--services 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from actors.domain.rules import preset
from actors.pipeline import Options, build
from benchmarks.bench_rules import states as rule_states
from scenarios.loader import parse_scenario

STEP, DAY = 60.0, 86400.0


def scenario(services: int) -> dict[str, Any]:
    names = [f"s{i:04d}" for i in range(services)]
    events: list[dict[str, Any]] = []
    for start in range(0, 1440, 200):
        for name in names:
            events.append({"at": f"{start}m", "fault": {"service": name, "health": 0.7}})
            events.append({"at": f"{start + 20}m", "recover": {"service": name}})
    events.append({"at": "1439m", "note": "the end"})
    return {
        "name": "monitor-throughput",
        "until": "1d",
        "traffic": {"requests_per_minute": 1000, "outcomes": "exact"},
        "services": [{"name": n} for n in names],
        "slos": [{"name": "availability", "service": names, "objective": 0.99, "policy": "sloth"}],
        "events": events,
    }


def bare(services: int, samples: int) -> float:
    """SLO evaluations per second of the rule math alone."""
    states = rule_states(preset("sloth", 30 * DAY), services)
    for st in states:
        st.windows.prefill(1.0, 1000.0)
    start = time.perf_counter()
    for k in range(1, samples + 1):
        now = k * STEP
        good = 700.0 if k % 200 < 20 else 1000.0
        for st in states:
            st.add(now, good, 1000.0)
            burns, rates = st.burns(), st.rates()
            for rule, rs in zip(st.rules, st.states, strict=True):
                rs.step(rule, now, rule.holds(burns, rates))
            st.budget.remaining(now)
    return services * samples / (time.perf_counter() - start)


def through_the_actor(services: int, skip: bool = True) -> float:
    """SLO evaluations per second of a whole run (everything the run does counts); with
    *skip* off, every rule of every SLO is evaluated every time, as in the bare loop."""
    spec = parse_scenario(yaml.safe_dump(scenario(services)), "throughput.yaml")
    runtime = build(spec, Options(keep_reports=False, skip_quiet=skip))
    start = time.perf_counter()
    result = runtime.run()
    seconds = time.perf_counter() - start
    return len(result.trace.series) * services / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ratios, ours, floors, full, full_ratios = [], [], [], [], []
    for _ in range(args.repeat):
        b = bare(args.services, 1440)
        m = through_the_actor(args.services)
        f = through_the_actor(args.services, skip=False)
        floors.append(b)
        ours.append(m)
        ratios.append(m / b)
        full.append(f)
        full_ratios.append(f / b)
    print(f"{args.services} SLOs x a day of one-minute evaluations, median of {args.repeat} back-to-back pairs")
    print(f"  bare rule math:         {statistics.median(floors):>10,.0f} SLO evaluations/s")
    print(f"  through the monitor:    {statistics.median(ours):>10,.0f} SLO evaluations/s")
    print(
        f"  ratio: {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}; target >= 0.25; "
        "above 1: the monitor skips the rules of quiet SLOs)"
    )
    print(
        f"  every rule evaluated every time (no skipping): {statistics.median(full):,.0f} SLO evaluations/s, "
        f"ratio {statistics.median(full_ratios):.2f}"
    )


if __name__ == "__main__":
    main()
