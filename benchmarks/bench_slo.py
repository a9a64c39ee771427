"""SLO windows under the SRE Workbook policy: 30 simulated days of 1-minute samples on 100
services, five time windows each (5m, 30m, 1h, 6h, 3d). Prints window updates/s (target
>= 200k) beside the naive peer, which keeps each window as a list of samples and sums it
again at every decision, run on a slice and extrapolated.

    python benchmarks/bench_slo.py [--days 30] [--services 100]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from actors.domain.slo import SLO, TimeWindow, WorkbookPolicy, burn_rate

MINUTE = 60.0


def error_rates(services: int, samples: int, seed: int = 1) -> list[list[float]]:
    """Per service, a mostly healthy minute-by-minute error rate with a few incidents."""
    rng = random.Random(seed)
    out = []
    for _ in range(services):
        rates = [0.0005] * samples
        for _ in range(max(1, samples // 10_000)):
            start = rng.randrange(samples)
            for m in range(start, min(samples, start + rng.randrange(5, 400))):
                rates[m] = rng.choice([0.002, 0.01, 0.05, 0.5])
        out.append(rates)
    return out


def ours(rates: list[list[float]], rpm: float = 1000.0) -> tuple[float, int, int]:
    policy = WorkbookPolicy()
    slo = SLO("x", 0.999)
    pages = 0
    t0 = time.perf_counter()
    for series in rates:
        windows = [TimeWindow(length, MINUTE) for length in policy.windows]
        lengths = [w.length for w in windows]
        for w in windows:
            w.prefill(1.0, rpm)
        t = 0.0
        for rate in series:
            t += MINUTE
            good = rpm * (1.0 - rate)
            for w in windows:
                w.add(t, good, rpm)
            action, _, _ = policy.decide({n: w.burn(slo) for n, w in zip(lengths, windows, strict=True)})
            pages += action == "page"
    elapsed = time.perf_counter() - t0
    updates = sum(map(len, rates)) * len(policy.windows)
    return updates / elapsed, updates, pages


def naive(rates: list[list[float]], rpm: float = 1000.0) -> tuple[float, int, int]:
    policy = WorkbookPolicy()
    slo = SLO("x", 0.999)
    slots = [int(length // MINUTE) for length in policy.windows]
    pages = 0
    t0 = time.perf_counter()
    for series in rates:
        history: deque[tuple[float, float]] = deque([(rpm, rpm)] * max(slots), maxlen=max(slots))
        for rate in series:
            history.append((rpm * (1.0 - rate), rpm))
            burns = {}
            for length, n in zip(policy.windows, slots, strict=True):
                recent = list(history)[-n:]
                burns[length] = burn_rate(slo, (sum(g for g, _ in recent), sum(t for _, t in recent)))
            pages += policy.decide(burns)[0] == "page"
    elapsed = time.perf_counter() - t0
    updates = sum(map(len, rates)) * len(policy.windows)
    return updates / elapsed, updates, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--naive-services", type=int, default=2, help="services the naive peer runs (extrapolated)")
    args = parser.parse_args()
    samples = int(args.days * 1440)
    rates = error_rates(args.services, samples)
    rate, updates, pages = ours(rates)
    slice_ = rates[: args.naive_services]
    naive_rate, _, _ = naive([s[: min(len(s), 2 * 1440)] for s in slice_])
    # Same decisions on a slice: the two implementations must agree before we compare speed.
    check = [s[:1440] for s in slice_]
    assert ours(check)[2] == naive(check)[2], "bucketed and naive windows disagree"
    print(f"SRE Workbook policy, {args.services} services x {args.days:g} days of 1-minute samples, 5 windows each")
    print(f"  bucketed windows: {updates:,} window updates, {rate:>12,.0f} updates/s  (target >= 200,000)")
    print(f"  naive lists:      (2 days on {len(slice_)} services) {naive_rate:>12,.0f} updates/s")
    print(f"  ratio bucketed/naive: {rate / naive_rate:.1f}x   minutes paging: {pages}")


if __name__ == "__main__":
    main()
