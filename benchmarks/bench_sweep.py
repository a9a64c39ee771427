"""Seed sweeps in parallel: runs/s of escalation_drill.yaml with --ack-loss 0.3 on 2 worker
processes against 1, and on a Dask LocalCluster of 2 worker processes against the
process pool of 2, in the same run, medians of several rounds.

Targets (the sweep issue): the pool's 2 workers / 1 >= 1.7 on 2 cores; Dask's 2 workers
>= 0.9 of the pool's throughput on 600 seeds, the cluster's start-up reported apart (it
is started once, before the timing; the pool's start-up is inside its timing, as it is for
anyone sweeping).

    python benchmarks/bench_sweep.py [--seeds 600] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from actors.sweep import Variant, sweep

DRILL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios", "escalation_drill.yaml")
VARIANT = [Variant("escalation_drill.yaml", DRILL)]


def rate(seeds: list[int], workers: int = 1, scheduler: str | None = None) -> float:
    t0 = time.perf_counter()
    results = sweep(VARIANT, seeds, workers, 0.3, (), scheduler=scheduler)
    assert [r.seed for r in results] == seeds
    return len(seeds) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    rate(seeds[:10])  # warm the imports and caches of this process
    ones, twos = [], []
    for _ in range(args.repeat):
        ones.append(rate(seeds))
        twos.append(rate(seeds, 2))
    one, two = statistics.median(ones), statistics.median(twos)
    print(
        f"escalation_drill.yaml, {args.seeds} seeds, --ack-loss 0.3 ({os.cpu_count()} cores), median of {args.repeat}"
    )
    print(f"  1 worker:  {one:8.1f} runs/s")
    print(f"  2 workers: {two:8.1f} runs/s")
    print(f"  ratio 2/1: {two / one:.2f}  (target >= 1.7)")
    try:
        distributed: Any = importlib.import_module("distributed")  # an optional extra, untyped
    except ImportError:
        print("  Dask: not installed (pip install -e '.[cluster]')")
        return
    logging.getLogger("distributed").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        startup = time.perf_counter() - t0
        rate(seeds[:20], scheduler=cluster.scheduler_address)  # the workers import the project once
        pools, dasks = [], []
        for _ in range(args.repeat):
            pools.append(rate(seeds, 2))
            dasks.append(rate(seeds, scheduler=cluster.scheduler_address))
    pool, dask = statistics.median(pools), statistics.median(dasks)
    print(f"  Dask LocalCluster, 2 worker processes: {dask:8.1f} runs/s (cluster start-up {startup:.1f} s, apart)")
    print(f"  process pool of 2, same rounds:        {pool:8.1f} runs/s")
    print(f"  ratio Dask/pool: {dask / pool:.2f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
