"""The run's timers: every actor's pending calls in one heap, with one alarm.

An actor asks for a call later (``Actor.call_at`` / ``call_later``); the call waits here as
a :class:`Timer` until its instant. Rule: timers due at the same instant fire in the order
they were set, whichever actor set them (SimPy's rule: time, then insertion order), and all
of them before any message of that instant is handled. A timer fires between messages,
never inside a handler, with its owner's ``current`` envelope set to the one whose handler
set it, so what it sends keeps its causal parent and incident.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable
from typing import Any, Protocol

from bus.bus import Bus
from bus.clock import VirtualClockLoop
from bus.trace import Envelope

__all__ = ["InjectedCrash", "Timer", "TimerOwner", "Timers"]

_NEVER = float("inf")


class InjectedCrash(RuntimeError):
    """The failure a scenario's ``crash:`` event injects."""


class TimerOwner(Protocol):
    """What the heap needs of the actor that set a timer (:class:`actors.engine.actor.Actor`)."""

    #: The supervisor stopped this actor: its timers no longer fire.
    dead: bool
    #: The envelope being handled (or whose handler set the timer now firing); None between.
    current: Envelope[Any] | None
    #: Armed by a scenario ``crash:`` event: the next handler or timer raises.
    crash_next: bool
    #: What the actor did, to replay after a restart (None: nothing is journaled).
    journal: list[Any] | None

    def timer_fired(self, timer: Timer) -> None:
        """*timer* fired and returned (the actor journals it)."""

    def timer_crashed(self, timer: Timer, exc: Exception) -> None:
        """*timer* raised: report the crash to the supervisor."""


class Timer:
    """A pending call on the run's timer heap; ``cancel()`` it to forget it."""

    __slots__ = ("actor", "args", "cancelled", "cause", "first", "fn", "serial", "when")

    def __init__(
        self,
        when: float,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        cause: Envelope[Any] | None,
        actor: TimerOwner,
        serial: int = 0,
    ) -> None:
        self.when = when
        #: Its place among the timers its actor set (what a replay knows it by).
        self.serial = serial
        self.fn = fn
        self.args = args
        self.cause = cause
        self.actor = actor
        self.cancelled = False
        #: fires before the timers of its instant not marked so (a person's action)
        self.first = False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """Every actor's timers, in one heap, with one alarm armed for the earliest.

    The heap holds the distinct instants (plain floats, the cheapest thing to compare); each
    instant keeps its timers in a list, in the order they were set. The alarm is the virtual
    clock's own slot (a plain loop timer on any other loop): ten thousand pending deadlines
    cost one alarm in all, not a task or a loop timer each.
    """

    __slots__ = ("_alarm_at", "_batch", "_bus", "_due", "_fired", "_handle", "_instant", "_loop", "_ring_now", "_times")

    def __init__(self, bus: Bus) -> None:
        self._times: list[float] = []
        self._due: dict[float, list[Timer]] = {}
        #: the timers of the instant firing now (taken off _due while they fire)
        self._batch: list[Timer] = []
        self._alarm_at = _NEVER
        self._bus = bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._ring_now = self._ring  # one bound method, so the loop's alarm keeps its handle
        # the livelock guard: timers fired at the current instant (the bus's limit applies)
        self._instant = -1.0
        self._fired = 0

    def add(self, timer: Timer, first: bool = False) -> None:
        """Set *timer*; with *first*, ahead of the timers of its instant not set first (in
        the order those were set): a person's action goes first at its instant whether it
        was typed during the run or read from a recorded session before it."""
        when = timer.when
        timer.first = first
        due = self._due.get(when)
        if due is not None:
            if first:
                at = next((i for i, t in enumerate(due) if not t.first), len(due))
                due.insert(at, timer)
            else:
                due.append(timer)
            return
        self._due[when] = [timer]
        heapq.heappush(self._times, when)
        if when < self._alarm_at:
            self._alarm_at = when
            self._arm(when)

    def _arm(self, when: float) -> None:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        if isinstance(loop, VirtualClockLoop):
            loop.set_alarm(when, self._ring_now)
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = loop.call_at(when, self._ring_now)

    def forget(self, actor: TimerOwner) -> None:
        """Cancel every pending timer of *actor* (a restart), those of the batch firing now
        included (a crash in one timer of an instant must not leave the actor's others of
        that instant to fire beside the ones its replay re-arms)."""
        for due in (*self._due.values(), self._batch):
            for timer in due:
                if timer.actor is actor:
                    timer.cancelled = True

    def close(self) -> None:
        """The run is over: nothing more fires."""
        self._alarm_at = _NEVER
        if isinstance(self._loop, VirtualClockLoop):
            self._loop.clear_alarm()
        elif self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _skip_forgotten(self) -> None:
        """Drop instants whose timers are all cancelled: no jump of the clock for them."""
        times, due = self._times, self._due
        while times:
            for timer in due[times[0]]:
                if not timer.cancelled:
                    return
            del due[heapq.heappop(times)]

    def _ring(self) -> None:
        """The alarm: fire every timer now due, in order, then re-arm for the next."""
        self._handle = None
        self._alarm_at = -_NEVER  # timers set while these fire are looked at below, not armed
        times, due = self._times, self._due
        bus = self._bus
        now = asyncio.get_running_loop().time()
        pop = heapq.heappop
        if now != self._instant:
            self._instant, self._fired = now, 0
        while times and times[0] <= now and not bus.closed:
            batch = self._batch = due.pop(pop(times))
            self._fired += len(batch)
            if self._fired > bus.instant_limit:
                bus.livelock(now)
                break
            for timer in batch:
                actor = timer.actor
                if timer.cancelled or actor.dead or bus.closed:
                    continue
                actor.current = timer.cause
                try:
                    if actor.crash_next:
                        actor.crash_next = False
                        raise InjectedCrash("crash injected by the scenario in a timer")
                    timer.fn(*timer.args)
                except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
                    actor.timer_crashed(timer, exc)
                else:
                    if actor.journal is not None:  # only when restarts are on
                        actor.timer_fired(timer)
                finally:
                    actor.current = None
        self._batch = []
        self._skip_forgotten()
        if times and not bus.closed:
            self._alarm_at = times[0]
            self._arm(self._alarm_at)
        else:
            self._alarm_at = _NEVER
