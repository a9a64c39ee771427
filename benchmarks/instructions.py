"""Instructions per event, counted by valgrind's callgrind: a figure that does not move with
the machine's load (wall-clock ratios on a shared machine swing by a third), for telling
whether a change to a hot path helps before timing it.

Only the timed part of each benchmark is counted (a small C shim turns callgrind's
instrumentation on and off where the benchmark reads its clock). Needs valgrind, its
headers and a C compiler; about half a minute per side.

    python benchmarks/instructions.py escalation [--incidents 2000]   # ours and SimPy, per ladder event
    python benchmarks/instructions.py correlate [--alerts 20000]      # ours, per alert

Instructions are not time: pydantic's compiled validators retire more instructions per
cycle than the interpreter, so a ratio of instructions understates a ratio of speeds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = r"""
#include <valgrind/callgrind.h>
void cg_start(void){ CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void){ CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT("region"); }
"""

# Run inside valgrind: the benchmark's first perf_counter() read starts counting, the
# second stops it.
CHILD = r"""
import ctypes, sys, time
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
cg = ctypes.CDLL({shim!r})
which, n = sys.argv[1], int(sys.argv[2])
real, on = time.perf_counter, [False]
def counted():
    (cg.cg_stop if on[0] else cg.cg_start)(); on[0] = not on[0]
    return real()
if which in ("ours", "simpy"):
    import bench_escalation as b
    b.ours(50, 0.5); b.simpy_model(50, 0.5)
    b.time.perf_counter = counted
    print((b.ours if which == "ours" else b.simpy_model)(n, 0.5)[1])
else:
    import bench_correlate as b
    t = b.random_dag(10000, 30000).warm(); alerts = b.make_alerts(t, n)
    b.ours(t, alerts[:1000])
    b.time.perf_counter = counted
    b.ours(t, alerts)
    print(n)
"""


def count(tmp: str, shim: str, which: str, n: int) -> tuple[int, int]:
    """(instructions in the timed part, events it handled)."""
    child = os.path.join(tmp, "child.py")
    with open(child, "w", encoding="utf-8") as fh:
        fh.write(CHILD.format(here=HERE, root=os.path.dirname(HERE), shim=shim))
    out = os.path.join(tmp, f"cg.{which}")
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            child,
            which,
            str(n),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    events = int(done.stdout.split()[-1])
    with open(f"{out}.1", encoding="utf-8") as fh:
        total = next(int(line.split()[1]) for line in fh if line.startswith("totals:"))
    return total, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", choices=["escalation", "correlate"])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=20000)
    args = parser.parse_args()
    for tool in ("valgrind", "cc"):
        if shutil.which(tool) is None:
            sys.exit(f"instructions.py: {tool} is not installed (it needs valgrind, its headers and a C compiler)")
    with tempfile.TemporaryDirectory() as tmp:
        shim = os.path.join(tmp, "libcg.so")
        src = os.path.join(tmp, "cg.c")
        with open(src, "w", encoding="utf-8") as fh:
            fh.write(SHIM)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", shim, src], check=True)
        if args.bench == "escalation":
            ours, events = count(tmp, shim, "ours", args.incidents)
            peer, peer_events = count(tmp, shim, "simpy", args.incidents)
            print(f"{args.incidents:,} concurrent incidents (instructions of the timed part, callgrind)")
            print(f"  pager actor + bus: {ours / events:>10,.0f} per ladder event")
            print(f"  simpy processes:   {peer / peer_events:>10,.0f} per ladder event")
            print(f"  ratio simpy/ours:  {peer / peer_events / (ours / events):.2f}")
        else:
            ours, alerts = count(tmp, shim, "correlate", args.alerts)
            print(f"{alerts:,} alerts through the bus and the correlator: {ours / alerts:,.0f} instructions per alert")


if __name__ == "__main__":
    main()
