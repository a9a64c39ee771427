"""Start-up, whole processes against the floor: ``python -m actors.run --help`` and a
trivial scenario (one service, one SLO, a minute), each a fresh ``python`` process, beside
the bare import of the libraries we use (pydantic, anyio, yaml, rich.console, networkx),
back to back. Prints medians and the ratios.

Target (the speed issue): <= 1.25x the floor.

    python benchmarks/bench_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.process import FLOOR, FLOOR_IN_USE, drill, run

TRIVIAL = "name: trivial\nservices: [{name: api}]\nslos: [{name: avail, service: api, objective: 0.99}]\nuntil: 1m\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trivial = os.path.join(folder, "trivial.yaml")
        with open(trivial, "w", encoding="utf-8") as f:
            f.write(TRIVIAL)
        runs = {"--help": [sys.executable, "-m", "actors.run", "--help"], "a trivial scenario": drill(trivial)}
        run(FLOOR)  # warm the file cache
        floors: list[float] = []
        in_use: list[float] = [run(FLOOR_IN_USE)[0] for _ in range(args.repeat)]
        ratios: dict[str, list[float]] = {k: [] for k in runs}
        ours: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeat):
            for name, cmd in runs.items():
                floor, _ = run(FLOOR)
                mine, _ = run(cmd)
                floors.append(floor)
                ours[name].append(mine)
                ratios[name].append(mine / floor)
    print(f"bare import of the dependencies: {statistics.median(floors):.3f} s (median of {len(floors)})")
    print(
        f"  (the same with pydantic's BaseModel and rich's tables loaded, as a program meets them: "
        f"{statistics.median(in_use):.3f} s)"
    )
    for name in runs:
        r = ratios[name]
        print(
            f"  {name}: {statistics.median(ours[name]):.3f} s, {statistics.median(r):.2f}x the floor "
            f"(median of {args.repeat} back-to-back pairs, range {min(r):.2f}-{max(r):.2f}x; target <= 1.25x)"
        )


if __name__ == "__main__":
    main()
