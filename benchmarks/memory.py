"""Measured peak memory of each drill beside the estimate the budget check makes.

    python benchmarks/memory.py [SCENARIO ...]

For each scenario (default: every one in scenarios/), runs it once under tracemalloc and
prints the peak of what the build and the run allocated, the estimate of
``scenarios/budget.py``, and their ratio (the estimate must stay above, and the property
test in tests/test_budget.py holds the measured peak under twice the estimate).
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actors.pipeline import build  # noqa: E402
from scenarios.budget import estimate, format_bytes  # noqa: E402
from scenarios.loader import load_scenario  # noqa: E402


def measure(path: str) -> tuple[int, int]:
    """(measured peak bytes, estimated bytes) of one run of *path*."""
    scenario = load_scenario(path)
    tracemalloc.start()
    try:
        build(scenario, path=path).run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, estimate(scenario).memory


def main(argv: list[str]) -> int:
    paths = argv or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml"))
    print(f"{'scenario':45} {'peak':>10} {'estimate':>10}  peak/estimate")
    for path in paths:
        peak, est = measure(path)
        print(f"{path:45} {format_bytes(peak):>10} {format_bytes(est):>10}  {peak / est:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
