"""Bus and clock throughput, each beside its peer in the same run.

1. Fan-out 1 -> 8: deliveries/s through our bus (envelope, trace, fault layer, actor
   mailboxes and dispatch) and through bare anyio memory object streams. Target: >= 0.6.
2. Virtual timers: events/s through our clock (anyio.sleep tasks, and one actor's timer
   heap) beside SimPy on the same workload (10k sleepers, 20 wake-ups each).

    python benchmarks/bench_bus.py [--messages N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import anyio
import anyio.lowlevel

from actors.engine.actor import Actor
from actors.engine.runtime import Runtime
from bus.bus import Bus
from bus.clock import run_virtual
from bus.messages import DrillNote
from bus.trace import Envelope

FANOUT = 8


class Sink(Actor):
    subscribes = (DrillNote,)

    def setup(self) -> None:
        self.count = 0

    def on_drill_note(self, msg: DrillNote, env: Envelope[DrillNote]) -> None:
        self.count += 1


def bench_our_bus(n: int) -> float:
    rt = Runtime(seed=1, bus=Bus())
    sinks = [Sink(f"sink{i}", rt) for i in range(FANOUT)]
    for s in sinks:
        rt.add(s)
    note = DrillNote(text="x")

    async def main() -> float:
        async with anyio.create_task_group() as tg:
            for s in sinks:
                await tg.start(s.serve)
            t0 = time.perf_counter()
            publish = rt.bus.publish
            for _ in range(n):
                publish("src", note)
                await anyio.lowlevel.checkpoint()
            while sum(s.count for s in sinks) < n * FANOUT:
                await anyio.lowlevel.checkpoint()
            elapsed = time.perf_counter() - t0
            tg.cancel_scope.cancel()
        return elapsed

    elapsed, _ = run_virtual(main)
    assert rt.bus.check_accounts().delivered == n * FANOUT
    return n * FANOUT / elapsed


def bench_bare_streams(n: int) -> float:
    async def main() -> float:
        counts = [0] * FANOUT
        pairs = [anyio.create_memory_object_stream[object](float("inf")) for _ in range(FANOUT)]

        async def consume(i: int, rx: anyio.abc.ObjectReceiveStream[object]) -> None:
            async with rx:
                async for _ in rx:
                    counts[i] += 1

        note = DrillNote(text="x")
        async with anyio.create_task_group() as tg:
            for i, (_, rx) in enumerate(pairs):
                tg.start_soon(consume, i, rx)
            t0 = time.perf_counter()
            senders = [tx for tx, _ in pairs]
            for _ in range(n):
                for tx in senders:
                    tx.send_nowait(note)
                await anyio.lowlevel.checkpoint()
            while sum(counts) < n * FANOUT:
                await anyio.lowlevel.checkpoint()
            elapsed = time.perf_counter() - t0
            for tx in senders:
                tx.close()
        return elapsed

    elapsed, _ = run_virtual(main)
    return n * FANOUT / elapsed


def timer_workload(sleepers: int, wakeups: int, seed: int = 1) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(1, 600) for _ in range(wakeups)] for _ in range(sleepers)]


def bench_anyio_sleep(work: list[list[float]]) -> float:
    async def sleeper(delays: list[float]) -> None:
        for d in delays:
            await anyio.sleep(d)

    async def main() -> float:
        t0 = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for delays in work:
                tg.start_soon(sleeper, delays)
        return time.perf_counter() - t0

    elapsed, _ = run_virtual(main)
    return sum(map(len, work)) / elapsed


class Ticker(Actor):
    """One actor holding every sleeper's next wake-up as a timer (in the run's one heap)."""

    def __init__(self, name: str, runtime: Runtime, work: list[list[float]]) -> None:
        self.work = work
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.fired = 0
        self.total = sum(map(len, self.work))

    def on_start(self) -> None:
        for i, delays in enumerate(self.work):
            self.call_later(delays[0], self._wake, i, 1)

    def busy(self) -> str | None:
        return "wake-ups pending" if self.fired < self.total else None

    def _wake(self, i: int, step: int) -> None:
        self.fired += 1
        delays = self.work[i]
        if step < len(delays):
            self.call_later(delays[step], self._wake, i, step + 1)


def bench_actor_timers(work: list[list[float]]) -> float:
    rt = Runtime(seed=1)
    ticker = rt.add(Ticker("ticker", rt, work))
    t0 = time.perf_counter()
    rt.run()
    elapsed = time.perf_counter() - t0
    assert ticker.fired == sum(map(len, work))  # type: ignore[attr-defined]
    fired: int = ticker.fired  # type: ignore[attr-defined]
    return fired / elapsed


def bench_simpy(work: list[list[float]]) -> float | None:
    try:
        import simpy
    except ImportError:
        return None
    env = simpy.Environment()

    def sleeper(delays: list[float]):  # type: ignore[no-untyped-def]
        for d in delays:
            yield env.timeout(d)

    for delays in work:
        env.process(sleeper(delays))
    t0 = time.perf_counter()
    env.run()
    return sum(map(len, work)) / (time.perf_counter() - t0)


def median_of(repeat: int, fn, *args):  # type: ignore[no-untyped-def]
    return statistics.median(fn(*args) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("--sleepers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    # Interleave the peers so machine noise hits both alike.
    ours, bare = [], []
    for _ in range(args.repeat):
        bare.append(bench_bare_streams(args.messages))
        ours.append(bench_our_bus(args.messages))
    o, b = statistics.median(ours), statistics.median(bare)
    print(f"fan-out 1->{FANOUT}, {args.messages} messages (median of {args.repeat})")
    print(f"  our bus (trace + faults + actors): {o:>12,.0f} deliveries/s")
    print(f"  bare anyio memory streams:         {b:>12,.0f} deliveries/s")
    print(f"  ratio ours/bare: {o / b:.2f}  (target >= 0.6)")

    work = timer_workload(args.sleepers, 20)
    sleep_rate = median_of(args.repeat, bench_anyio_sleep, work)
    heap_rate = median_of(args.repeat, bench_actor_timers, work)
    simpy_rate = median_of(args.repeat, bench_simpy, work) if bench_simpy(work[:10]) else None
    print(f"virtual timers: {args.sleepers} sleepers x 20 wake-ups (median of {args.repeat})")
    print(f"  anyio.sleep tasks on our clock: {sleep_rate:>12,.0f} events/s")
    print(f"  one actor's timers:             {heap_rate:>12,.0f} events/s")
    if simpy_rate is None:
        print("  simpy: not installed (pip install '.[bench]')")
    else:
        print(f"  simpy (one process each):       {simpy_rate:>12,.0f} events/s")
        print(
            f"  ratio anyio.sleep/simpy: {sleep_rate / simpy_rate:.2f}; timer heap/simpy: {heap_rate / simpy_rate:.2f}"
        )


if __name__ == "__main__":
    main()
