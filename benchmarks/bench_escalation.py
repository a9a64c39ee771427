"""Escalation at scale: 10k concurrent incidents, random ack drops, a 3-level ladder with
2 repeats, through the pager actor (every deadline in the run's one timer heap) and the
bus, beside an equivalent SimPy model (one process per incident; each page a process whose
ack races the escalation timeout) in the same run. Prints ladder events/s for both and the
ratio. Target: ahead of SimPy (ratio >= 1.0).

Both sides are timed alike: opening the incidents is inside the timing (ours opens them
through the bus, SimPy creates its processes), garbage is collected before each timed part
(so neither pays for the other's leftovers), and a warm-up run keeps imports out.

Ladder events, counted alike on both sides: pages, acks taken, escalations, repeats,
exhaustions.

    python benchmarks/bench_escalation.py [--incidents 10000] [--drop 0.5]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from actors.domain.oncall import Layer, OnCallConfig, Policy, PolicyRule, Schedule, Service, Target
from actors.engine.actor import Actor
from actors.engine.runtime import Runtime
from actors.pager import Pager
from bus.bus import Bus
from bus.faults import FaultLayer, FaultRule
from bus.messages import (
    Escalated,
    EscalationExhausted,
    IncidentAcknowledged,
    IncidentOpened,
    LadderRepeated,
    Page,
    PageAcked,
)
from bus.trace import Envelope

MIN = 60.0
REPEAT = 2
START = datetime(2027, 3, 13, tzinfo=UTC)
#: Each rule targets a schedule: a daily rotation of two people in New York, handing over
#: at 09:00 local; the run's 3 hours (from midnight UTC) are inside one turn.
NY_0900 = datetime(2027, 3, 1, 9, tzinfo=ZoneInfo("America/New_York"))
SCHEDULES = {
    f"level{i + 1}": Schedule(
        f"level{i + 1}", "America/New_York", (Layer("daily", NY_0900, NY_0900, 86400, (f"r{i + 1}a", f"r{i + 1}b")),)
    )
    for i in range(3)
}
POLICY = Policy(
    "ladder",
    tuple(PolicyRule(f"L{i + 1}", (Target("schedule", f"level{i + 1}"),), 5 * MIN) for i in range(3)),
    REPEAT,
)
ONCALL = OnCallConfig(
    {"svc": Service("svc", "ladder", ack_timeout=86400.0)}, {"ladder": POLICY}, SCHEDULES, "svc", queue_tickets=True
)
PEOPLE = [user for schedule in SCHEDULES.values() for user in schedule.layers[0].users]
ACK_RANGE = (1 * MIN, 8 * MIN)  # some acks come after the 5m deadline


class Opener(Actor):
    def __init__(self, name: str, runtime: Runtime, count: int) -> None:
        self.count = count
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.opened = False

    def busy(self) -> str | None:
        return None if self.opened else "incidents to open"

    def on_start(self) -> None:
        self.call_at(1.0, self._open)

    def _open(self) -> None:
        self.opened = True
        for i in range(self.count):
            self.send(
                IncidentOpened(
                    incident=f"INC-{i}",
                    title="x",
                    root_service="svc",
                    symptom="error_rate",
                    severity="sev1",
                    action="page",
                ),
                to="pager",
                incident=f"INC-{i}",
            )


class AutoAck(Actor):
    """A responder reduced to its ack: answers every page after a seeded delay."""

    def on_page(self, msg: Page, env: Envelope[Page]) -> None:
        self.call_later(self.rng.uniform(*ACK_RANGE), self._ack, msg)

    def _ack(self, page: Page) -> None:
        self.send(PageAcked(incident=page.incident, responder=self.name, level=page.level), to="pager")


def ours(incidents: int, drop: float, seed: int = 1) -> tuple[float, int]:
    faults = FaultLayer(
        [FaultRule("ack-loss", "drop", kinds=("PageAcked",), probability=drop)], random.Random(f"{seed}:faults")
    )
    rt = Runtime(seed, Bus(faults), until=3 * 3600.0)
    rt.add(Opener("opener", rt, incidents))
    rt.add(Pager("pager", rt, ONCALL, start=START))
    for person in PEOPLE:
        rt.add(AutoAck(person, rt))
    gc.collect()  # the other side's leftovers are not this side's cost
    t0 = time.perf_counter()
    result = rt.run()
    elapsed = time.perf_counter() - t0
    trace = result.trace
    events = sum(len(trace.of(k)) for k in (Page, IncidentAcknowledged, Escalated, LadderRepeated, EscalationExhausted))
    return events / elapsed, events


def simpy_model(incidents: int, drop: float, seed: int = 1) -> tuple[float, int] | None:
    try:
        import simpy
    except ImportError:
        return None
    env = simpy.Environment()
    rng = random.Random(seed)
    count = [0]

    def responder(ack: simpy.Event):  # type: ignore[no-untyped-def]
        yield env.timeout(rng.uniform(*ACK_RANGE))
        if rng.random() >= drop and not ack.triggered:
            ack.succeed()

    def incident():  # type: ignore[no-untyped-def]
        # Any ack that gets through halts the incident, even a late one from a level below
        # (as the pager does); after exhaustion a late ack still acknowledges it.
        ack = env.event()
        for loop in range(REPEAT + 1):
            if loop:
                count[0] += 1  # repeated
            for i, rule in enumerate(POLICY.rules):
                count[0] += 1  # page
                env.process(responder(ack))
                yield ack | env.timeout(rule.delay)
                if ack.triggered:
                    count[0] += 1  # acknowledged
                    return
                if i + 1 < len(POLICY.rules):
                    count[0] += 1  # escalated
        count[0] += 1  # exhausted
        yield ack
        count[0] += 1  # acknowledged late

    # Opening the incidents is timed on both sides (ours opens them through the bus).
    gc.collect()  # the other side's leftovers are not this side's cost
    t0 = time.perf_counter()
    for _ in range(incidents):
        env.process(incident())  # type: ignore[no-untyped-call]
    env.run()
    elapsed = time.perf_counter() - t0
    return count[0] / elapsed, count[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--drop", type=float, default=0.5, help="chance an ack is dropped")
    parser.add_argument("--repeat", type=int, default=5, help="pairs of runs (ours, then SimPy's); medians reported")
    args = parser.parse_args()
    ours(100, args.drop)  # warm-up: imports and first-call costs stay out of the figures
    simpy_model(100, args.drop)
    mine, theirs, ratios = [], [], []
    for _ in range(args.repeat):
        # Back to back, so the machine's slow drifts hit both sides of a pair alike: the
        # figure is the median of the pairs' ratios.
        mine.append(ours(args.incidents, args.drop))
        peer = simpy_model(args.incidents, args.drop)
        if peer is not None:
            theirs.append(peer)
            ratios.append(mine[-1][0] / peer[0])
    rate, events = sorted(mine)[len(mine) // 2]
    print(
        f"{args.incidents:,} concurrent incidents, a policy of 3 rules x 5m, each on a schedule (a daily rotation "
        f"in America/New_York), num_loops {REPEAT}, ack drop {args.drop:.0%}"
    )
    print(f"  pager actor + bus: {events:>9,} ladder events, {rate:>10,.0f} events/s (median of {args.repeat})")
    if not theirs:
        print("  simpy: not installed (pip install '.[bench]')")
        return
    peer_rate, peer_events = sorted(theirs)[len(theirs) // 2]
    print(
        f"  simpy processes:   {peer_events:>9,} ladder events, {peer_rate:>10,.0f} events/s (median of {args.repeat})"
    )
    print(
        f"  ratio ours/simpy: {sorted(ratios)[len(ratios) // 2]:.2f}, median of {len(ratios)} back-to-back pairs "
        f"(range {min(ratios):.2f}-{max(ratios):.2f})  (target >= 1.0)"
    )


if __name__ == "__main__":
    main()
