"""Budgets and time, held: scenarios with random zero and huge durations either are refused
at load (one clear line) or run to an end (done, until, or a livelock stopped by the
guard) under a cap of events, without exceeding twice the memory the budget estimated.

And the clock past 2**24 virtual seconds (194 days), where float steps outgrow a
nanosecond: a note due there is still played on time.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.engine.actor import Actor
from actors.engine.runtime import Runtime
from actors.pipeline import Options, build
from bus.messages import DrillNote
from bus.trace import Envelope
from scenarios.budget import BYTES_PER_BUCKET, check_budget, estimate, parse_bytes
from scenarios.loader import ScenarioError, parse_scenario

#: Durations from zero to the ceiling: what breaks clocks and budgets.
DURATIONS = st.sampled_from(["0s", "0.001s", "1s", "30s", "5m", "1h", "1d", "30d", "400d", "3650d"])
#: The cap on events a generated run may be estimated to take (the test's own --max-work).
MAX_WORK = 200_000


@st.composite
def hostile(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    names = [f"s{i}" for i in range(n)]
    return {
        "name": "budget",
        "seed": draw(st.integers(0, 1000)),
        "until": draw(DURATIONS),
        "traffic": {
            "requests_per_minute": draw(st.sampled_from([1, 100, 1_000_000])),
            "outcomes": draw(st.sampled_from(["exact", "random"])),
        },
        "monitor": {"sample_every": draw(DURATIONS)},
        "correlator": {"group_wait": draw(DURATIONS)},
        "services": [{"name": s, "depends_on": names[:i]} for i, s in enumerate(names)],
        "slos": [
            {
                "name": "e",
                "service": names,
                "objective": 0.99,
                "policy": draw(st.sampled_from(["two-window", "sre-workbook"])),
                "windows": {
                    "fast": draw(st.sampled_from(["0s", "1s", "5m", "1h", 10])),
                    "slow": draw(st.sampled_from(["5m", "1h", "1d", "3650d", 1000])),
                },
                "period": draw(st.sampled_from(["0s", "30d", "30d", "3650d"])),
            }
        ],
        "responders": [{"name": "r", "level": "L1", "ack_after": draw(DURATIONS), "step_time": draw(DURATIONS)}],
        "escalation": {
            "levels": [{"name": "L1", "targets": ["r"], "escalate_after": draw(DURATIONS)}],
            "repeat": draw(st.integers(0, 9)),
            "ack_timeout": draw(DURATIONS),
        },
        "runbooks": {"boom": [{"name": "fix", "action": "fix", "signature": "boom", "takes": draw(DURATIONS)}]},
        "events": [
            {"at": draw(DURATIONS), "fault": {"service": names[-1], "health": 0.0, "signature": "boom"}},
            {"at": draw(DURATIONS), "recover": {"service": names[-1]}},
        ],
    }


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=120)
@given(hostile())
def test_zero_and_huge_durations_never_hang_and_stay_within_twice_the_estimate(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data)
    try:
        scenario = parse_scenario(text, "budget.yaml")
        est = check_budget(scenario, "budget.yaml", max_memory=parse_bytes("256M"), max_work=MAX_WORK)
        runtime = build(scenario, Options(instant_limit=20_000), path="budget.yaml")
    except ScenarioError as exc:
        refused = str(exc)
        assert refused.startswith("budget.yaml")
        assert "\n" not in refused  # one line
        return
    tracemalloc.start()
    try:
        result = runtime.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ending in ("done", "until", "livelock"), result.problem
    assert result.ended_at <= scenario.until
    # every message is an event; the run stayed under the work it was allowed
    assert len(result.trace) <= est.messages
    assert peak <= 2 * est.memory, (peak, est)


def test_the_estimate_counts_buckets_and_messages_by_hand() -> None:
    """One SLO on two services, sre-workbook windows (5m, 30m, 1h, 6h, 3d) sampled every
    minute: one ring of running totals as long as the longest window and one more (4321
    buckets), but a day fills only 1440 + 1 of them: 1441 a service, 2882 in all. A day of
    samples: 1440 a service, 2880 in all; over 3 days the ring is full: 4321 a service. The ladder: 2 incidents (one per SLO instance),
    each able to re-trigger every 30 min (the shortest of ack_timeout 30m and
    escalate_after 5m is 5m: 288 a day) plus its 1 rung: 2 x 289 = 578 cycles."""
    scenario = parse_scenario(
        "name: x\nuntil: 1d\nservices: [{name: a}, {name: b}]\n"
        "slos: [{name: e, service: [a, b], objective: 0.999, policy: sre-workbook}]\n"
        "responders: [{name: r, level: L1}]\n"
        "escalation: {levels: [{name: L1, targets: [r], escalate_after: 5m}], ack_timeout: 30m}\n",
        "x.yaml",
    )
    est = estimate(scenario)
    assert est.buckets == 2882
    assert estimate(scenario, until=5 * 86400.0).buckets == 2 * 4321
    assert est.samples == 2880
    assert est.pager_cycles == 578
    assert est.memory > est.buckets * BYTES_PER_BUCKET


class Far(Actor):
    """Says a note at each given time."""

    def __init__(self, name: str, runtime: Runtime, times: list[float]) -> None:
        self.times = times
        super().__init__(name, runtime)

    def on_start(self) -> None:
        for t in self.times:
            self.call_at(t, self.say, t)

    def say(self, t: float) -> None:
        self.times = self.times[1:]
        self.send(DrillNote(text=f"at {t}"), to=())

    def busy(self) -> str | None:
        return f"{len(self.times)} notes to come" if self.times else None


def test_the_clock_moves_past_two_to_the_24_seconds() -> None:
    """Past 2**24 s a float cannot hold now + 1e-9: a clock that looked for timers due
    before that sum froze. Notes at 195 days and one millisecond later, and at 3650 days
    (the ceiling), all play at their own instants."""
    day = 86400.0
    times = [195 * day, 195 * day + 0.001, 3650 * day]
    rt = Runtime(seed=1, until=3650 * day)
    rt.add(Far("far", rt, times))
    result = rt.run()
    assert [e.t for e in result.trace.of(DrillNote)] == times
    assert result.ending == "done"


class Ping(Actor):
    """Answers every note with a note to itself, at once: time never moves."""

    def busy(self) -> str | None:
        return "pinging"

    def on_start(self) -> None:
        self.call_at(5.0, self.on_drill_note, None, None)

    def on_drill_note(self, msg: DrillNote | None, env: Envelope[DrillNote] | None) -> None:
        self.send(DrillNote(text="ping"), to="ping")


class Tick(Actor):
    """A timer that re-arms itself for now: time never moves, and no message is sent."""

    def busy(self) -> str | None:
        return "ticking"

    def on_start(self) -> None:
        self.call_at(7.0, self.tick)

    def tick(self) -> None:
        self.call_later(0.0, self.tick)


def test_a_message_livelock_ends_the_run_naming_who_and_what() -> None:
    """Ping sends itself a note per note from t=5 s: at 1000 messages at one instant the
    guard ends the run at T+00:00:05 as a livelock (exit 3 in the CLI)."""
    rt = Runtime(seed=1)
    rt.bus.instant_limit = 1000
    rt.add(Ping("ping", rt))
    result = rt.run()
    assert result.ending == "livelock" and result.failed
    assert result.ended_at == 5.0
    assert "livelock at T+00:00:05" in (result.problem or "")
    assert "ping -> DrillNote" in (result.problem or "")
    assert len(result.trace) <= 1002


def test_a_timer_livelock_ends_the_run_too() -> None:
    rt = Runtime(seed=1)
    rt.bus.instant_limit = 1000
    rt.add(Tick("tick", rt))
    result = rt.run()
    assert result.ending == "livelock" and result.ended_at == 7.0
    assert "timers re-arming themselves" in (result.problem or "")
