"""The console's cost: bad_deploy with the trace rendered (colour, as on a terminal, into
/dev/null) against --quiet, in the same run. Prints both and the ratio. Target: at most 2x.

    python benchmarks/bench_console.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rich.console import Console

from actors.console.view import TraceView
from actors.pipeline import build
from actors.report.digest import digest
from scenarios.loader import load_scenario

DRILL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios", "bad_deploy.yaml")


def once(quiet: bool, sink: object) -> float:
    scenario = load_scenario(DRILL)
    runtime = build(scenario)
    console = Console(file=sink, force_terminal=True, color_system="truecolor", width=140)  # type: ignore[arg-type]
    view = TraceView(console, start=scenario.start, quiet=quiet)
    runtime.bus.trace.sinks.append(view)
    t0 = time.perf_counter()
    with view:
        result = runtime.run()
    view.report(digest(result.trace), "== report ==", [], [])
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shown, quiet = [], []
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        for _ in range(args.repeat):  # interleaved: noise hits both alike
            shown.append(once(False, devnull))
            quiet.append(once(True, devnull))
    s, q = statistics.median(shown), statistics.median(quiet)
    print(f"bad_deploy, median of {args.repeat}")
    print(f"  console on (colour, every line): {s * 1000:8.1f} ms")
    print(f"  --quiet (report only):           {q * 1000:8.1f} ms")
    print(f"  ratio on/quiet: {s / q:.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
