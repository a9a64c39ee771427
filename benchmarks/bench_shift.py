"""Whole processes against the floor: the realistic day (``scenarios/follow_the_sun.yaml``,
24 virtual hours) and the start-up (``--help``, a trivial scenario), each as a fresh
``python`` process, beside the bare import of the libraries we use (pydantic, anyio,
yaml, rich.console, networkx) timed the same way, back to back. Prints medians and the
ratios.

Targets (the speed issue): the day <= 2.0x the floor; the start-up <= 1.25x.

    python benchmarks/bench_shift.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOOR = [sys.executable, "-c", "import pydantic, anyio, yaml, rich.console, networkx"]
TRIVIAL = "name: trivial\nservices: [{name: api}]\nslos: [{name: avail, service: api, objective: 0.99}]\nuntil: 1m\n"


def timed(cmd: list[str]) -> float:
    """Wall-clock seconds of one fresh process (its exit code ignored: the day's gate
    verdict is not this benchmark's business)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trivial = os.path.join(folder, "trivial.yaml")
        with open(trivial, "w", encoding="utf-8") as f:
            f.write(TRIVIAL)
        runs = {
            "the day (follow_the_sun, 24h)": [
                sys.executable,
                "-m",
                "actors.run",
                "scenarios/follow_the_sun.yaml",
                "--quiet",
            ],
            "start-up: --help": [sys.executable, "-m", "actors.run", "--help"],
            "start-up: a trivial scenario": [sys.executable, "-m", "actors.run", trivial, "--quiet"],
        }
        timed(FLOOR)  # warm the file cache
        floors: list[float] = []
        ours: dict[str, list[float]] = {k: [] for k in runs}
        ratios: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeat):
            for name, cmd in runs.items():
                floor = timed(FLOOR)
                mine = timed(cmd)
                floors.append(floor)
                ours[name].append(mine)
                ratios[name].append(mine / floor)
    print(f"bare import of the dependencies: {statistics.median(floors):.3f} s (median of {len(floors)})")
    for name in runs:
        print(
            f"  {name}: {statistics.median(ours[name]):.3f} s, {statistics.median(ratios[name]):.2f}x the floor "
            f"(median of {args.repeat} back-to-back pairs, range {min(ratios[name]):.2f}-{max(ratios[name]):.2f}x)"
        )
    print("  targets: the day <= 2.0x, start-up <= 1.25x")


if __name__ == "__main__":
    main()
