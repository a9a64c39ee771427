"""The virtual clock: an asyncio event loop whose time is virtual.

``VirtualClockLoop`` is handed to anyio as its ``loop_factory``. Its ``time()`` returns
virtual seconds from 0. When every task is blocked and a timer is pending, the loop jumps
virtual time to the earliest timer instead of sleeping, so a 24-hour shift replays in a
fraction of a second. Actors keep using ``anyio.sleep``, ``move_on_after``, ``fail_after``,
events and memory object streams unchanged.

When every task is blocked and no timer is pending, nothing can ever happen again: the
loop first asks its ``on_idle`` hook (the runtime uses it to end a finished run) and, if
the hook does not make progress, raises :class:`VirtualDeadlock` naming each blocked task
and what it waits on. A run never hangs.

Pacing (``speed``: virtual seconds per wall second) is the loop's business alone: it waits
in real time before each jump so a person can watch a drill unfold. The wall clock it
paces by is handed in (``pacer``) by the command line; nothing here reads one.

Actors do not sleep: they set timers on the run's heap (``actors/engine/timers.py``), which
arms this loop's one alarm slot. anyio's own timers (``anyio.sleep``, ``move_on_after``,
``fail_after``) work on this loop too, and tests use them.

This is the one module that uses asyncio's private loop API (``_run_once`` and the
attributes it reads). Every private name it relies on is listed in
:data:`ASYNCIO_INTERNALS`, checked when a loop is made (:func:`check_asyncio_internals`),
and a test fails loudly on a Python that changed them; :data:`TESTED_PYTHONS` are the
versions it was checked on.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import selectors
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

__all__ = [
    "ASYNCIO_INTERNALS",
    "DEFAULT_INSTANT_LIMIT",
    "TESTED_PYTHONS",
    "Pacer",
    "VirtualClockLoop",
    "VirtualDeadlock",
    "check_asyncio_internals",
    "describe_blocked_tasks",
    "run_virtual",
]

#: The livelock guard's default: messages or timers at one virtual instant that end a run
#: as a livelock (``--instant-limit``; the bus holds the count).
DEFAULT_INSTANT_LIMIT = 200_000

T = TypeVar("T")
#: (read the wall clock, sleep in real time): what --speed paces by, handed in by the CLI.
Pacer = tuple[Callable[[], float], Callable[[float], None]]

# Timers due within this of now fire now; fixed so every machine behaves the same. Due
# times are compared with <=, so a timer due exactly now fires even where float spacing
# is coarser than this (virtual time is bounded: bus/vtime.py MAX_SECONDS).
_RESOLUTION = 1e-9
_NEVER = float("inf")


#: Python versions whose asyncio internals this loop was checked against.
TESTED_PYTHONS = ((3, 11), (3, 12), (3, 13))

#: The private names of asyncio this loop relies on: (class, attribute). A loop's own turn
#: replaces ``BaseEventLoop._run_once`` and reads its queues; handles are run directly.
ASYNCIO_INTERNALS: tuple[tuple[type, str], ...] = (
    (asyncio.BaseEventLoop, "_run_once"),
    (asyncio.BaseEventLoop, "_ready"),
    (asyncio.BaseEventLoop, "_scheduled"),
    (asyncio.BaseEventLoop, "_stopping"),
    (asyncio.BaseEventLoop, "_timer_cancelled_count"),
    (asyncio.BaseEventLoop, "_clock_resolution"),
    (asyncio.SelectorEventLoop, "_selector"),
    (asyncio.SelectorEventLoop, "_process_events"),
    (asyncio.TimerHandle, "_when"),
    (asyncio.TimerHandle, "_scheduled"),
    (asyncio.Handle, "_cancelled"),
    (asyncio.Handle, "_run"),
)


def check_asyncio_internals() -> None:
    """Raise RuntimeError, naming what changed, if this Python's asyncio lacks a private
    name the virtual loop relies on."""
    loop = asyncio.SelectorEventLoop()
    try:
        handle = loop.call_at(0.0, print)
        handle.cancel()
        samples: dict[type, object] = {
            asyncio.BaseEventLoop: loop,
            asyncio.SelectorEventLoop: loop,
            asyncio.TimerHandle: handle,
            asyncio.Handle: handle,
        }
        missing = [f"{cls.__name__}.{name}" for cls, name in ASYNCIO_INTERNALS if not hasattr(samples[cls], name)]
    finally:
        loop.close()
    if missing:
        version = ".".join(map(str, sys.version_info[:3]))
        raise RuntimeError(
            f"the virtual clock relies on asyncio internals that Python {version} no longer has: "
            f"{', '.join(missing)} (checked on Python {', '.join(f'{a}.{b}' for a, b in TESTED_PYTHONS)}; "
            "bus/clock.py needs updating)"
        )


_internals_checked = False


def _nothing() -> None:
    """The alarm's callback before one is set."""


class _Handle(Protocol):
    """The private side of an ``asyncio.Handle`` that the loop's turn reads."""

    _cancelled: bool

    def _run(self) -> None: ...


class _Timer(_Handle, Protocol):
    """The private side of an ``asyncio.TimerHandle`` that the loop's turn reads."""

    _when: float
    _scheduled: bool

    def __lt__(self, other: _Timer) -> bool: ...


class VirtualDeadlock(RuntimeError):
    """Every task is blocked, no timer is pending, and the run is not finished."""

    def __init__(self, now: float, blocked: list[str]) -> None:
        from bus.vtime import format_vtime

        self.now = now
        self.blocked = blocked
        lines = "; ".join(blocked) if blocked else "no task is left"
        super().__init__(
            f"virtual deadlock at {format_vtime(now)}: every task is blocked and no timer is pending ({lines})"
        )


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time. Pass the class itself as anyio's ``loop_factory``.

    Its turn is asyncio's own (``_run_once``), trimmed for virtual time: run what is ready;
    when nothing is, ask ``on_idle``, then jump the clock to the earliest of the timers and
    the alarm instead of blocking in the selector. The real selector is only polled now and
    then, for a wake-up written by a signal handler or a thread (Ctrl-C).

    The alarm is one extra timer slot without a handle per arming (:meth:`set_alarm`): the
    simulation keeps its timers in a heap of its own and arms the alarm for the earliest,
    which at an instant fires before the loop's own timers of that instant.
    """

    if TYPE_CHECKING:
        # asyncio's private loop state, as this loop's turn uses it (see ASYNCIO_INTERNALS)
        _ready: deque[_Handle]
        _scheduled: list[_Timer]
        _stopping: bool
        _timer_cancelled_count: int
        _selector: selectors.BaseSelector

        def _process_events(self, event_list: list[tuple[selectors.SelectorKey, int]]) -> None: ...

    def __init__(self, speed: float | None = None, pacer: Pacer | None = None) -> None:
        global _internals_checked
        if not _internals_checked:
            check_asyncio_internals()
            _internals_checked = True
        super().__init__()
        self._now = 0.0
        # time() is read several times per event (by asyncio itself, the bus, the actors):
        # an attribute getter bound to the loop answers it without a Python frame.
        self.time = partial(attrgetter("_now"), self)  # type: ignore[method-assign]  # a faster time()
        self._clock_resolution = _RESOLUTION
        self.speed = speed if pacer is not None else None
        self._pacer = pacer
        #: Called when every task is blocked, with the time of the next timer (None: none);
        #: returns True if it made progress possible (then time does not jump).
        self.on_idle: Callable[[float | None], bool] | None = None
        #: Times virtual time jumped forward; real seconds spent waiting for ``speed``.
        self.jumps = 0
        self.polls = 0
        self.real_wait_seconds = 0.0
        self._wall_origin: float | None = None
        self._alarm_at = _NEVER
        self._alarm_callback: Callable[[], object] = _nothing
        self._alarm = asyncio.Handle(_nothing, (), self)

    def set_alarm(self, when: float, callback: Callable[[], object]) -> None:
        """Call *callback* at virtual time *when*, replacing the alarm set before."""
        if self._alarm_callback is not callback:
            self._alarm = asyncio.Handle(callback, (), self)
            self._alarm_callback = callback
        self._alarm_at = when

    def clear_alarm(self) -> None:
        self._alarm_at = _NEVER

    def _run_once(self) -> None:
        scheduled = self._scheduled
        if len(scheduled) > 100 and self._timer_cancelled_count > len(scheduled) // 2:
            # asyncio's housekeeping: drop cancelled timers once they are most of the heap
            live = [timer for timer in scheduled if not timer._cancelled]
            for timer in scheduled:
                if timer._cancelled:
                    timer._scheduled = False
            heapq.heapify(live)
            self._scheduled = scheduled = live
            self._timer_cancelled_count = 0
        else:
            while scheduled and scheduled[0]._cancelled:
                self._timer_cancelled_count -= 1
                heapq.heappop(scheduled)._scheduled = False
        ready = self._ready
        if ready or self._stopping:
            # Work is ready: nothing blocks. The real selector can only hold a wake-up byte
            # whose callback is already queued; read it now and then, not with a system
            # call every turn.
            self.polls += 1
            if not self.polls & 63:
                self._process_events(self._selector.select(0))
        else:
            self._idle(scheduled)
        end = self._now + self._clock_resolution
        if self._alarm_at <= end:
            self._alarm_at = _NEVER
            ready.append(self._alarm)
        while scheduled and scheduled[0]._when <= end:
            timer = heapq.heappop(scheduled)
            timer._scheduled = False
            ready.append(timer)
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _idle(self, scheduled: list[_Timer]) -> None:
        """Every task is blocked: let the owner end the run, or jump to the next timer."""
        next_when: float | None = min(self._alarm_at, scheduled[0]._when if scheduled else _NEVER)
        if next_when == _NEVER:
            next_when = None
        if self.on_idle is not None and self.on_idle(next_when):
            self._process_events(self._selector.select(0))
            return
        # Now and then, look for anything written by a thread, such as Ctrl-C's wake-up;
        # every time would cost a system call per jump.
        self.jumps += 1
        if self.jumps % 64 == 0 or next_when is None:
            events = self._selector.select(0)
            if events:
                self._process_events(events)
                return
        if next_when is None:
            raise VirtualDeadlock(self._now, describe_blocked_tasks(self))
        if self.speed is not None:
            self._pace(next_when)
        self._now = max(self._now, next_when)

    def advance_to(self, when: float) -> None:
        """Move virtual time forward to *when* (never backwards)."""
        self._now = max(self._now, when)

    def _pace(self, target: float) -> None:
        """Wait in real time until *target* is due at ``speed`` virtual seconds per second."""
        assert self.speed is not None and self._pacer is not None
        wall_now, wall_sleep = self._pacer
        if self._wall_origin is None:
            self._wall_origin = wall_now() - self._now / self.speed
        delay = self._wall_origin + target / self.speed - wall_now()
        if delay > 0:
            wall_sleep(delay)
            self.real_wait_seconds += delay


def describe_blocked_tasks(loop: asyncio.AbstractEventLoop) -> list[str]:
    """One line per pending task: its name and the innermost await of project code."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    lines = []
    for task in sorted(asyncio.all_tasks(loop), key=lambda t: t.get_name()):
        coro: Any = task.get_coro()
        where, awaiting = "", "something"
        while coro is not None:
            code = getattr(coro, "cr_code", None) or getattr(coro, "ag_code", None)
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if code is not None:
                awaiting = code.co_qualname
                if frame is not None and _is_project_file(code.co_filename, here):
                    where = f"{os.path.relpath(code.co_filename, here)}:{frame.f_lineno}"
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        what = f"awaits {awaiting}" + (f" at {where}" if where else "")
        lines.append(f"{task.get_name()} {what}")
    return lines


def run_virtual(
    fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, speed: float | None = None, pacer: Pacer | None = None
) -> tuple[T, VirtualClockLoop]:
    """Run ``fn(*args)`` under anyio on a fresh virtual clock; return its result and the loop.

    With *speed* and a *pacer*, virtual time advances at *speed* virtual seconds per wall second.
    """
    import anyio

    loops: list[VirtualClockLoop] = []

    def factory() -> VirtualClockLoop:
        loop = VirtualClockLoop(speed=speed, pacer=pacer)
        loops.append(loop)
        return loop

    result = anyio.run(fn, *args, backend="asyncio", backend_options={"loop_factory": factory})
    return result, loops[0]


def _is_project_file(filename: str, here: str) -> bool:
    return filename.startswith(here) and "site-packages" not in filename
