"""Seed sweeps in parallel: runs/s of escalation_drill.yaml with --ack-loss 0.3 on 2 worker
processes against 1, in the same run. Target: a ratio of at least 1.7 on 2 cores.

The pool's start-up (two processes importing the project) is inside the timing, as it is
for anyone sweeping; 600 seeds keep it a small share now that a run takes ~15 ms.

    python benchmarks/bench_sweep.py [--seeds 600]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from actors.sweep import sweep

DRILL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios", "escalation_drill.yaml")


def rate(workers: int, seeds: list[int]) -> float:
    t0 = time.perf_counter()
    results = sweep(DRILL, seeds, workers, 0.3, ())
    assert [r.seed for r in results] == seeds
    return len(seeds) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=600)
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    rate(1, seeds[:10])  # warm the imports and caches of this process
    one = rate(1, seeds)
    two = rate(2, seeds)
    print(f"escalation_drill.yaml, {args.seeds} seeds, --ack-loss 0.3 ({os.cpu_count()} cores)")
    print(f"  1 worker:  {one:8.1f} runs/s")
    print(f"  2 workers: {two:8.1f} runs/s")
    print(f"  ratio 2/1: {two / one:.2f}  (target >= 1.7)")


if __name__ == "__main__":
    main()
