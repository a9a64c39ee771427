"""Shifts at real scale, whole processes: the realistic day (``scenarios/follow_the_sun.yaml``,
24 virtual hours) beside the bare import of the libraries we use (pydantic, anyio, yaml,
rich.console, networkx), back to back; a generated week (``benchmarks/generate.py``: 50
services, 100 SLOs, 7 days, a fault a day) with its peak memory; and the realistic day
repeated for 10 and 30 days (its faults every day) to show memory flat with length.
Prints medians and ratios.

Targets (the speed issue): the day <= 2.0x the floor; the week <= 10 s and <= 300 MB
peak; 30 days within 20% of 10 days' peak.

    python benchmarks/bench_shift.py [--repeat 5] [--days 10,30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from typing import Any

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.generate import week
from benchmarks.process import FLOOR, ROOT, drill, run
from bus.vtime import format_duration, parse_duration

MB = 1 << 20


def repeated_day(days: int) -> dict[str, Any]:
    """follow_the_sun for *days* days: its faults and recoveries every day (its canary on
    the first), no expectations (they are about one day)."""
    with open(os.path.join(ROOT, "scenarios", "follow_the_sun.yaml"), encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    events = []
    for day in range(days):
        for event in data["events"]:
            if day and ("deploy" in event or "note" in event):
                continue
            events.append({**event, "at": format_duration(day * 86400 + parse_duration(str(event["at"])))})
    events.append({"at": format_duration(days * 86400 - 60), "note": "the last day ends"})
    data.update(events=events, until=f"{days}d")
    data.pop("expect", None)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--days", default="10,30", help="lengths of the repeated day to compare (memory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        week_path = os.path.join(folder, "week.yaml")
        with open(week_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(week(), f, sort_keys=False)
        day = drill("scenarios/follow_the_sun.yaml")
        run(FLOOR)  # warm the file cache
        floors, days, ratios = [], [], []
        for _ in range(args.repeat):
            floor, _ = run(FLOOR)
            mine, _ = run(day)
            floors.append(floor)
            days.append(mine)
            ratios.append(mine / floor)
        print(f"bare import of the dependencies: {statistics.median(floors):.3f} s (median of {len(floors)})")
        print(
            f"  the day (follow_the_sun, 24h): {statistics.median(days):.3f} s, {statistics.median(ratios):.2f}x "
            f"the floor (median of {args.repeat} back-to-back pairs, range {min(ratios):.2f}-{max(ratios):.2f}x; "
            "target <= 2.0x)"
        )
        weeks = [run(drill(week_path)) for _ in range(args.repeat)]
        print(
            f"  a generated week (50 services, 100 SLOs, 7 days): {statistics.median(w[0] for w in weeks):.2f} s, "
            f"peak {statistics.median(w[1] for w in weeks) / MB:.0f} MB "
            f"(median of {len(weeks)}; targets <= 10 s, <= 300 MB)"
        )
        peaks = {}
        for n in (int(x) for x in args.days.split(",")):
            path = os.path.join(folder, f"day_x{n}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump(repeated_day(n), f, sort_keys=False)
            seconds, peak = run(drill(path))
            peaks[n] = peak
            print(f"  follow_the_sun repeated for {n} days: {seconds:.2f} s, peak {peak / MB:.0f} MB")
        if len(peaks) == 2:
            (a, pa), (b, pb) = sorted(peaks.items())
            print(f"  peak at {b} days / at {a} days: {pb / pa:.2f}x (target within 1.20x)")


if __name__ == "__main__":
    main()
