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
"""

from __future__ import annotations

import asyncio
import os
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["Pacer", "VirtualClockLoop", "VirtualDeadlock", "describe_blocked_tasks", "run_virtual"]

T = TypeVar("T")
#: (read the wall clock, sleep in real time): what --speed paces by, handed in by the CLI.
Pacer = tuple[Callable[[], float], Callable[[float], None]]

# Two timers closer than this fire together; fixed so every machine behaves the same.
_RESOLUTION = 1e-9


class VirtualDeadlock(RuntimeError):
    """Every task is blocked, no timer is pending, and the run is not finished."""

    def __init__(self, now: float, blocked: list[str]) -> None:
        from bus.vtime import format_vtime

        self.now = now
        self.blocked = blocked
        lines = "; ".join(blocked) if blocked else "no task is left"
        super().__init__(
            f"virtual deadlock at {format_vtime(now)}: every task is blocked and no timer is pending "
            f"({lines})"
        )


class _VirtualSelector:
    """Wraps the real selector; ``select`` jumps virtual time instead of blocking."""

    def __init__(self, loop: VirtualClockLoop, real: selectors.BaseSelector) -> None:
        self._loop = loop
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        loop = self._loop
        if timeout == 0:
            # Work is ready: nothing blocks. The only thing the real selector can hold is a
            # wake-up byte written by a thread or a signal (Ctrl-C), whose callback is already
            # queued; look for it now and then rather than with a system call every turn.
            loop.polls += 1
            if loop.polls & 63:
                return []
            return self._real.select(0)
        # Every task is blocked: give the owner a chance to end the run or wake someone.
        scheduled = loop._scheduled  # the head is live: _run_once just popped cancelled heads
        next_when = scheduled[0]._when if scheduled else None
        if loop.on_idle is not None and loop.on_idle(next_when):
            return self._real.select(0)
        # Now and then, look for anything written by a thread, such as Ctrl-C's wake-up;
        # every time would cost a system call per jump.
        loop.jumps += 1
        if loop.jumps % 64 == 0 or timeout is None:
            events = self._real.select(0)
            if events:
                return events
        if timeout is None:
            raise VirtualDeadlock(loop.time(), describe_blocked_tasks(loop))
        target = next_when if next_when is not None else loop._now + timeout
        if loop.speed is not None:
            loop._pace(target)
        loop._now = max(loop._now, target)
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time. Pass the class itself as anyio's ``loop_factory``."""

    def __init__(self, speed: float | None = None, pacer: Pacer | None = None) -> None:
        super().__init__()
        self._now = 0.0
        self._clock_resolution = _RESOLUTION
        self._selector = _VirtualSelector(self, self._selector)  # type: ignore[assignment]
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

    def time(self) -> float:
        return self._now

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
        label = getattr(task, "actor_waits_on", None)
        what = label or f"awaits {awaiting}" + (f" at {where}" if where else "")
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
