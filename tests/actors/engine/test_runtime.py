"""Actors and the runtime: dispatch, timers, supervision, how a run ends."""

from __future__ import annotations

import gc

from actors.engine.actor import Actor, handler_name
from actors.engine.runtime import Runtime
from bus.messages import ActorCrashed, ActorRestarted, DrillNote, Unhandled
from bus.trace import Envelope


class Echo(Actor):
    """Answers each note after a delay; busy while an answer is owed."""

    subscribes = (DrillNote,)

    def setup(self) -> None:
        self.owed = 0
        self.seen: list[str] = []

    def on_drill_note(self, msg: DrillNote, env: Envelope) -> None:
        self.seen.append(msg.text)
        if msg.text == "boom":
            raise ValueError("cannot echo boom")
        if env.sender != self.name and msg.text.startswith("q"):
            self.owed += 1
            self.call_later(120, self._answer, msg.text)

    def _answer(self, text: str) -> None:
        self.owed -= 1
        self.send(DrillNote(text=f"echo {text}"), to=())

    def busy(self) -> str | None:
        return f"{self.owed} answers owed" if self.owed else None


class Script(Actor):
    """Publishes notes at given times."""

    def __init__(self, name: str, runtime: Runtime, lines: list[tuple[float, str]]) -> None:
        self.lines = lines
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.left = len(self.lines)

    def on_start(self) -> None:
        for at, text in self.lines:
            self.call_at(at, self._say, text)

    def _say(self, text: str) -> None:
        self.left -= 1
        self.send(DrillNote(text=text), incident="INC-001")

    def busy(self) -> str | None:
        return "lines left" if self.left else None


def make(lines: list[tuple[float, str]], **kw: object) -> Runtime:
    rt = Runtime(seed=3, **kw)  # type: ignore[arg-type]
    rt.add(Script("script", rt, lines))
    rt.add(Echo("echo", rt))
    return rt


def test_handler_names_follow_the_message_kind() -> None:
    assert handler_name("AlertFired") == "on_alert_fired"
    assert handler_name("IncidentOpened") == "on_incident_opened"


def test_a_run_replies_on_virtual_time_with_causal_parents_and_ends_when_settled() -> None:
    result = make([(60, "q1"), (90, "q2")]).run()
    notes = [(e.t, e.sender, e.msg.text, e.parent, e.incident) for e in result.trace.of(DrillNote)]
    assert notes == [
        (60.0, "script", "q1", None, "INC-001"),
        (90.0, "script", "q2", None, "INC-001"),
        (180.0, "echo", "echo q1", 1, "INC-001"),
        (210.0, "echo", "echo q2", 2, "INC-001"),
    ]
    assert result.ending == "done"
    assert result.ended_at == 210.0
    assert result.accounts.balanced and result.accounts.pending == 0


def test_until_cuts_the_run_and_reports_who_was_busy() -> None:
    result = make([(60, "q1"), (5000, "q2")], until=1000.0).run()
    assert result.ending == "until"
    assert result.ended_at == 1000.0
    assert result.busy == ["script: lines left"]
    assert [e.t for e in result.trace] == [60.0, 180.0]


def test_a_crash_stops_the_run_with_a_report_naming_actor_message_and_error() -> None:
    result = make([(60, "q1"), (70, "boom"), (80, "q3")]).run()
    crashed = result.trace.messages(ActorCrashed)
    assert [(c.actor, c.message_kind, c.message_seq, c.restart) for c in crashed] == [("echo", "DrillNote", 2, False)]
    assert result.trace.of(ActorCrashed)[0].t == 70.0
    assert result.ending == "crash" and result.failed
    assert result.problem == (
        "actor echo crashed while handling DrillNote #2 at T+00:01:10: ValueError: cannot echo boom"
    )
    assert result.ended_at == 70.0


def test_with_restart_the_actor_comes_back_and_the_run_goes_on() -> None:
    """Echo answers a question 120 s after it (a timer) and raises on "boom".

    t=60 q1: echo sets its answer for t=180. t=70 boom: echo crashes (ActorCrashed),
    restarts by replaying its journal (its start and q1: 2 entries), which re-arms the
    answer to q1; boom is handed over once more, crashes it again and is dropped (a
    poison message); the second restart replays the same 2 entries. t=80 q3: answered at
    200. So: q1 answered at 180 (nothing lost), q3 at 200, boom never.
    """
    result = make([(60, "q1"), (70, "boom"), (80, "q3")], restart=True).run()
    kinds = [e.kind for e in result.trace]
    assert kinds == [
        "DrillNote",
        "DrillNote",
        "ActorCrashed",
        "ActorRestarted",
        "ActorCrashed",
        "ActorRestarted",
        "DrillNote",
        "DrillNote",
        "DrillNote",
    ]
    assert [r.replayed for r in result.trace.messages(ActorRestarted)] == [2, 2]
    answers = [(e.t, e.msg.text) for e in result.trace.of(DrillNote) if e.sender == "echo"]
    assert answers == [(180.0, "echo q1"), (200.0, "echo q3")]
    assert result.ending == "done"


def test_a_message_without_a_handler_is_logged_not_swallowed() -> None:
    rt = Runtime(seed=1)
    rt.add(Script("script", rt, [(5, "hi")]))
    mute = rt.add(Actor("mute", rt))
    rt.bus.subscribe(mute.name, DrillNote)
    result = rt.run()
    unhandled = result.trace.of(Unhandled)
    assert [(e.t, e.msg.actor, e.msg.message_seq, e.parent) for e in unhandled] == [(5.0, "mute", 1, 1)]


def test_a_runtime_deadlock_names_the_busy_actor_and_what_it_waits_on() -> None:
    class Stuck(Actor):
        def busy(self) -> str | None:
            return "INC-009 open, nothing scheduled to close it"

    rt = Runtime(seed=1)
    rt.add(Script("script", rt, [(30, "hi")]))
    rt.add(Stuck("stuck", rt))
    result = rt.run()
    assert result.ending == "deadlock" and result.failed
    assert result.ended_at == 30.0
    assert result.problem is not None
    assert result.problem.startswith("virtual deadlock at T+00:00:30: nothing is scheduled")
    assert "stuck: INC-009 open, nothing scheduled to close it" in result.problem
    assert "stuck waits on its mailbox" in result.problem


def test_same_seed_same_rng_draws_per_actor() -> None:
    a, b = Runtime(seed=9), Runtime(seed=9)
    draws = [Echo("echo", rt).rng.random() for rt in (a, b)]
    other = Echo("other", a).rng.random()
    assert draws[0] == draws[1] != other


class Speaker(Actor):
    """Says each of its lines at its time."""

    def __init__(self, name: str, runtime: Runtime, plan: list[tuple[float, float, str]]) -> None:
        self.plan = plan  # (when to set the timer, when it fires, what it says)
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.left = len(self.plan) + sum(text.endswith("+now") for _, _, text in self.plan)

    def busy(self) -> str | None:
        return f"{self.left} line(s) to say" if self.left else None

    def on_start(self) -> None:
        for set_at, fire_at, text in self.plan:
            if set_at == 0:
                self.call_at(fire_at, self._say, text)
            else:
                self.call_at(set_at, self.call_at, fire_at, self._say, text)

    def _say(self, text: str) -> None:
        self.left -= 1
        self.send(DrillNote(text=text), to=())
        if text.endswith("+now"):  # a timer set for this very instant fires after those due
            self.call_later(0, self._say, text.replace("+now", " (set at the instant)"))


def test_timers_of_an_instant_fire_in_the_order_set_whichever_actor_set_them() -> None:
    rt = Runtime(seed=1)
    # b sets its 100 s timer first (at 0); a sets its own at 10 s, c at 20 s; then, at
    # 100, a's timer sets one more for that same instant.
    rt.add(Speaker("a", rt, [(10, 100, "a+now")]))
    rt.add(Speaker("b", rt, [(0, 100, "b")]))
    rt.add(Speaker("c", rt, [(20, 100, "c")]))
    result = rt.run()
    said = [(e.t, e.msg.text) for e in result.trace.of(DrillNote)]
    assert said == [(100.0, "b"), (100.0, "a+now"), (100.0, "c"), (100.0, "a (set at the instant)")]


class Relay(Actor):
    """Passes each note on to the next actor in a fixed order, once."""

    def __init__(self, name: str, runtime: Runtime, to: list[str]) -> None:
        self.to = to
        super().__init__(name, runtime)

    def on_drill_note(self, msg: DrillNote, env: Envelope) -> None:
        for name in self.to:
            self.send(DrillNote(text=f"{msg.text}>{name}"), to=name)


def test_actors_woken_together_handle_their_mail_in_the_order_it_arrived() -> None:
    rt = Runtime(seed=1)
    rt.add(Script("script", rt, [(5, "x")]))
    rt.bus.subscribe("hub", DrillNote)
    rt.add(Relay("hub", rt, ["z", "y"]))  # z's mailbox fills first, then y's
    rt.add(Relay("y", rt, ["end"]))
    rt.add(Relay("z", rt, ["end"]))
    rt.add(Actor("end", rt))
    result = rt.run()
    order = [(e.t, e.sender, e.msg.text) for e in result.trace.of(DrillNote)]
    assert order == [
        (5.0, "script", "x"),
        (5.0, "hub", "x>z"),
        (5.0, "hub", "x>y"),
        (5.0, "z", "x>z>end"),
        (5.0, "y", "x>y>end"),
    ]


class Chain(Actor):
    """Timers at 10 and 20; the one at 10 sets another at 50."""

    def setup(self) -> None:
        self.left = 3

    def busy(self) -> str | None:
        return "timers pending" if self.left else None

    def on_start(self) -> None:
        self.call_at(10, self._fire, "first")
        self.call_at(20, self._fire, "second")

    def _fire(self, what: str) -> None:
        self.left -= 1
        self.send(DrillNote(text=what), to=())
        if what == "first":
            self.call_later(40, self._fire, "third")


def test_a_timer_set_while_timers_fire_does_not_hold_back_those_due_earlier() -> None:
    rt = Runtime(seed=1)
    rt.add(Chain("chain", rt))
    result = rt.run()
    assert [(e.t, e.msg.text) for e in result.trace.of(DrillNote)] == [
        (10.0, "first"),
        (20.0, "second"),
        (50.0, "third"),
    ]


def _young(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects(generation=0))


def test_a_run_moves_its_survivors_to_the_oldest_generation_once_per_full_collection() -> None:
    # After a full collection, a run's objects (here: its trace's envelopes) go straight to
    # the oldest generation, so no young collection walks them.
    gc.collect()
    first = make([(60, "q1")]).run()
    assert not _young(first.trace.envelopes[0])
    assert any(o is first.trace.envelopes[0] for o in gc.get_objects(generation=2))
    # Without a full collection since, the next run's objects take the young path, which
    # the collector counts: garbage among promoted objects stays bounded to one run's worth.
    second = make([(60, "q1")]).run()
    assert _young(second.trace.envelopes[0])
    gc.collect()
    third = make([(60, "q1")]).run()
    assert not _young(third.trace.envelopes[0])


def test_a_process_that_froze_objects_keeps_them_frozen() -> None:
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        result = make([(60, "q1")]).run()
        assert gc.get_freeze_count() == frozen
        assert _young(result.trace.envelopes[0])
    finally:
        gc.unfreeze()


class Chorus(Actor):
    """Answers a note with three at once."""

    subscribes = (DrillNote,)

    def on_drill_note(self, msg: DrillNote, env: Envelope) -> None:
        if msg.text == "sing":
            self.send_many([DrillNote(text=f"la {i}") for i in range(3)])


def test_send_many_says_each_message_as_send_would() -> None:
    rt = Runtime(seed=3)
    rt.add(Script("script", rt, [(60, "sing")]))
    rt.add(Chorus("chorus", rt))
    result = rt.run()
    notes = [(e.seq, e.t, e.sender, e.msg.text, e.parent, e.incident) for e in result.trace.of(DrillNote)]
    assert notes == [
        (1, 60.0, "script", "sing", None, "INC-001"),
        (2, 60.0, "chorus", "la 0", 1, "INC-001"),
        (3, 60.0, "chorus", "la 1", 1, "INC-001"),
        (4, 60.0, "chorus", "la 2", 1, "INC-001"),
    ]


class Fragile(Actor):
    """A timer at t=10 that always raises, and one at t=20 that counts and says so."""

    def setup(self) -> None:
        self.ticks = 0

    def on_start(self) -> None:
        self.call_at(10, self._bad)
        self.call_at(20, self._count)

    def _bad(self) -> None:
        raise ValueError("always")

    def _count(self) -> None:
        self.ticks += 1
        self.send(DrillNote(text=f"tick {self.ticks}"), to=())

    def busy(self) -> str | None:
        return None if self.ticks else "waiting for its tick"


def test_a_timer_that_always_crashes_is_retried_once_then_dropped_as_poison() -> None:
    """t=10: _bad raises; the restart replays the journal (its start: 1 entry), which
    re-arms _bad (at 10, now) and _count (at 20). _bad raises again: it is journaled as
    dropped, and the second restart (start + the drop: 2 entries) re-arms _count only.
    t=20: one tick, said once."""
    rt = Runtime(seed=1, restart=True)
    fragile = rt.add(Fragile("fragile", rt))
    result = rt.run()
    assert [(e.t, e.kind) for e in result.trace] == [
        (10.0, "ActorCrashed"),
        (10.0, "ActorRestarted"),
        (10.0, "ActorCrashed"),
        (10.0, "ActorRestarted"),
        (20.0, "DrillNote"),
    ]
    assert [m.replayed for m in result.trace.messages(ActorRestarted)] == [1, 2]
    assert fragile.ticks == 1  # type: ignore[attr-defined]
    assert result.ending == "done"


def test_a_duplicated_copy_is_handled_once() -> None:
    """A duplicate rule on every DrillNote: echo gets each question twice (2 copies
    duplicated: the answers go to nobody) but answers each once, 120 s after it."""
    from bus.faults import FaultRule

    rt = make([(60, "q1"), (90, "q2")])
    rt.bus.faults.rules.append(FaultRule(name="dup", action="duplicate", kinds=("DrillNote",)))
    result = rt.run()
    answers = [(e.t, e.msg.text) for e in result.trace.of(DrillNote) if e.sender == "echo"]
    assert answers == [(180.0, "echo q1"), (210.0, "echo q2")]
    assert result.accounts.duplicated == 2 and result.accounts.balanced
