"""The monitor's per-sample rule work: windows, burns, and every rule's Prometheus state
machine, for SLOs x tiers. Prints SLO-samples/s for the kube-prometheus table (windows up
to 3 days) beside the same four tiers with windows 72 times shorter (up to 1 hour), and
beside eight tiers: the cost follows tiers x SLOs, not window length. Medians of runs.

    python benchmarks/bench_rules.py [--slos 200] [--hours 24] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from actors.domain.rules import BudgetWindow, TierSpec, preset, rules_of
from actors.domain.slo import SLO, WindowSet
from actors.monitor import TieredSlo

STEP = 60.0


def states(specs: list[TierSpec], slos: int) -> list[TieredSlo]:
    rules = rules_of(specs)
    lengths = sorted({w for r in rules for w in r.windows})
    return [
        TieredSlo(
            name=f"s{i}",
            service=f"s{i}",
            symptom="error_rate",
            slo=SLO(f"s{i}", 0.99),
            rules=rules,
            severities=[("sev1", "page")] * len(rules),
            windows=WindowSet(lengths, STEP),
            budget=BudgetWindow(30 * 86400.0, STEP, 0.99, 1000 / 60, 1.0, 86400.0),
            labels={},
        )
        for i in range(slos)
    ]


def run(specs: list[TierSpec], slos: int, samples: int) -> float:
    """SLO-samples per second through add, burns, rates and every rule's step."""
    all_states = states(specs, slos)
    start = time.perf_counter()
    for k in range(1, samples + 1):
        now = k * STEP
        bad = 300.0 if k % 200 < 20 else 1.0  # now and then, an outage
        for st in all_states:
            st.add(now, 1000.0 - bad, 1000.0)
            burns, rates = st.burns(), st.rates()
            for rule, rs in zip(st.rules, st.states, strict=True):
                rs.step(rule, now, rule.holds(burns, rates))
            st.budget.remaining(now)
    return slos * samples / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slos", type=int, default=200)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    samples = int(args.hours * 60)
    kube = preset("kube-prometheus", 30 * 86400.0)
    short = [replace(t, long=t.long / 72, short=(t.short or 0) / 72 or None) for t in kube]
    eight = kube + [replace(t, name=t.name + "-b", factor=t.factor * 2) for t in kube]
    results = {}
    for label, specs in (
        ("4 tiers, windows to 3d", kube),
        ("4 tiers, windows to 1h", short),
        ("8 tiers, windows to 3d", eight),
    ):
        results[label] = statistics.median(run(specs, args.slos, samples) for _ in range(args.repeat))
    print(f"{args.slos} SLOs x {samples} one-minute samples, median of {args.repeat}")
    base = results["4 tiers, windows to 3d"]
    for label, rate in results.items():
        print(f"  {label:26} {rate:>10,.0f} SLO-samples/s   ({base / rate:.2f}x the cost of 4 tiers to 3d)")


if __name__ == "__main__":
    main()
