"""An alert storm at real scale, whole processes: a generated 200-service graph with 400
SLOs (``benchmarks/generate.py storm``: two deep services fail for 40 minutes each over 6
virtual hours; every SLO above them burns), and the same with 2,000 services and 4,000
SLOs, each a fresh ``python -m actors.run --quiet`` process, beside the bare import of the
libraries we use. Prints medians of wall time and peak memory, and the ratio to the floor.

Targets (the speed issue): 200 services <= 2 s and <= 200 MB peak.

    python benchmarks/bench_storm.py [--repeat 5] [--big 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.generate import storm
from benchmarks.process import FLOOR, drill, run

MB = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big", type=int, default=2000, help="services of the large storm (0: skip it)")
    args = parser.parse_args()
    sizes = [200] + ([args.big] if args.big else [])
    with tempfile.TemporaryDirectory() as folder:
        run(FLOOR)
        for services in sizes:
            path = os.path.join(folder, f"storm_{services}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump(storm(services), f, sort_keys=False)
            # The cost estimate assumes every incident cycles its ladder all day: a bound
            # far above a storm's real need, so the large one is allowed more.
            cmd = drill(path, "--max-memory", "16G")
            repeat = args.repeat
            floors, times, peaks = [], [], []
            for _ in range(repeat):
                floors.append(run(FLOOR)[0])
                seconds, peak = run(cmd)
                times.append(seconds)
                peaks.append(peak)
            floor = statistics.median(floors)
            print(
                f"storm on {services} services, {2 * services} SLOs, 6 virtual hours: "
                f"{statistics.median(times):.2f} s ({statistics.median(times) / floor:.1f}x the floor of "
                f"{floor:.2f} s), peak {statistics.median(peaks) / MB:.0f} MB (median of {repeat})"
                + ("; targets <= 2 s, <= 200 MB" if services == 200 else "")
            )


if __name__ == "__main__":
    main()
