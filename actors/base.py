"""The actor base class: a mailbox loop, timers, dispatch by message type, supervision.

An actor is one anyio task. It reads its mailbox in order and, for each message, calls the
handler named after the message kind (``AlertFired`` -> ``on_alert_fired(msg, env)``).
Handlers are plain methods: they read state, call pure logic, and ``send``. Anything that
must happen later is a timer (``call_later`` / ``call_at``): every actor keeps its timers in
one heap with a single loop timer armed for the earliest, so ten thousand pending deadlines
cost one loop timer, not ten thousand tasks. Timers fire between messages, never inside a
handler.

Hooks, and when they run:

- ``setup()``: builds the actor's state; at construction and again after a restart.
- ``on_start()``: once, when the run starts, before any message is handled.
- ``recover(trace)``: after a restart, to rebuild state from the trace; returns how many
  messages it replayed.
- ``on_stop()``: once, after every actor has stopped (in wiring order).
- ``busy()``: a reason the run is not finished yet (open incidents, pending events), or None.

An exception in a handler or a timer becomes an ``ActorCrashed`` message; the runtime then
restarts the actor or stops the run (exit code 3).
"""

from __future__ import annotations

import asyncio
import heapq
import random
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import anyio

from bus.messages import MESSAGE_TYPES, Message, Unhandled
from bus.trace import Envelope, Trace

if TYPE_CHECKING:
    from actors.runtime import Runtime

__all__ = ["Actor", "InjectedCrash", "Timer", "handler_name"]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def handler_name(kind: str) -> str:
    """``AlertFired`` -> ``on_alert_fired``."""
    return "on_" + _CAMEL.sub("_", kind).lower()


class InjectedCrash(RuntimeError):
    """The failure a scenario's ``crash:`` event injects."""


class Timer:
    """A pending call on an actor's timer heap; ``cancel()`` it to forget it."""

    __slots__ = ("when", "fn", "args", "cause", "cancelled")

    def __init__(self, when: float, fn: Callable[..., Any], args: tuple[Any, ...], cause: Envelope | None) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.cause = cause
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Actor:
    """Base of every actor. Subclasses set ``family`` and ``subscribes`` and add handlers."""

    #: The actor family (monitor, correlator, pager, responder, ...); the console colours by it.
    family: ClassVar[str] = "actor"
    #: Message types delivered to this actor without being addressed to it.
    subscribes: ClassVar[tuple[type[Message], ...]] = ()

    def __init__(self, name: str, runtime: Runtime) -> None:
        self.name = name
        self.runtime = runtime
        self.bus = runtime.bus
        self.rng = random.Random(f"{runtime.seed}:{name}")
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = 0
        self._alarm: asyncio.TimerHandle | None = None
        self._clock: Callable[[], float] | None = None
        self._current: Envelope | None = None
        self._dead = False
        #: Armed by a scenario ``crash:`` event: the next handler or timer raises.
        self.crash_next = False
        self._handlers: dict[str, Callable[[Any, Envelope], Any]] = {}
        for kind in MESSAGE_TYPES:
            method = getattr(self, handler_name(kind), None)
            if method is not None:
                self._handlers[kind] = method
        self.setup()

    # --- hooks -------------------------------------------------------------------

    def setup(self) -> None:
        """Build the actor's state (at construction, and again after a restart)."""

    def on_start(self) -> None:
        """Run once when the run starts, before the first message."""

    def on_stop(self) -> None:
        """Run once after every actor has stopped."""

    def recover(self, trace: Trace) -> int:
        """Rebuild state from the trace after a restart; return the messages replayed."""
        return 0

    def busy(self) -> str | None:
        """Why the run is not finished yet, from this actor's point of view (None: settled)."""
        return None

    # --- services for subclasses -------------------------------------------------

    @property
    def now(self) -> float:
        """Virtual time now (the clock is looked up once per run, then called)."""
        clock = self._clock
        if clock is None:
            clock = self._clock = asyncio.get_running_loop().time
        return clock()

    @property
    def seed(self) -> int:
        return self.runtime.seed

    def send(
        self,
        msg: Message,
        *,
        to: str | Iterable[str] | None = None,
        incident: str | None = None,
        parent: int | None = None,
    ) -> Envelope | None:
        """Publish *msg*. Its causal parent (and, unless given, its incident) default to the
        message being handled, or the one that set the timer now firing."""
        current = self._current
        if current is not None:
            if parent is None:
                parent = current.seq
            if incident is None:
                incident = current.incident
        return self.bus.publish(self.name, msg, to=to, parent=parent, incident=incident)

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` at virtual time *when* (timers due together fire in the order set)."""
        timer = Timer(when, fn, args, self._current)
        self._timer_seq += 1
        heapq.heappush(self._timers, (when, self._timer_seq, timer))
        alarm = self._alarm
        if alarm is None or when < alarm.when():
            if alarm is not None:
                alarm.cancel()
            self._alarm = asyncio.get_running_loop().call_at(when, self._ring)
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now + delay, fn, *args)

    # --- the loop ----------------------------------------------------------------

    def _ring(self) -> None:
        """The one loop timer of this actor: fire every timer now due, then re-arm."""
        self._alarm = None
        timers = self._timers
        now = asyncio.get_running_loop().time()
        while timers and timers[0][0] <= now and not self._dead:
            timer = heapq.heappop(timers)[2]
            if timer.cancelled:
                continue
            self._current = timer.cause
            try:
                if self.crash_next:
                    self.crash_next = False
                    raise InjectedCrash("crash injected by the scenario in a timer")
                timer.fn(*timer.args)
            except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
                self.runtime.actor_crashed(self, None, exc)
            finally:
                self._current = None
        if timers and not self._dead and self._alarm is None:
            self._alarm = asyncio.get_running_loop().call_at(timers[0][0], self._ring)

    async def _main(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        self._clock = asyncio.get_running_loop().time
        box = self.bus.mailbox(self.name)
        items = box.items
        bus = self.bus
        self._guard(None, self.on_start)
        task_status.started()
        try:
            while not self._dead:
                if items:
                    # Drain the mailbox in one go (dispatch inlined: this is the hot loop);
                    # delivered copies are counted per drain.
                    drained = 0
                    handlers = self._handlers
                    while items and not self._dead:
                        env = items.popleft()
                        drained += 1
                        msg = env.msg
                        handler = handlers.get(msg.kind)
                        self._current = env
                        try:
                            if handler is None or self.crash_next:
                                self._unusual(env, handler)
                            else:
                                handler(msg, env)
                        except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
                            self.runtime.actor_crashed(self, env, exc)
                        self._current = None
                    bus.delivered += drained
                    continue
                await box.wait()
        finally:
            if self._alarm is not None:
                self._alarm.cancel()
                self._alarm = None

    def _unusual(self, env: Envelope, handler: Callable[[Any, Envelope], Any] | None) -> None:
        """A message with no handler (logged), or the one an injected crash hits."""
        msg = env.msg
        if self.crash_next:
            self.crash_next = False
            raise InjectedCrash(f"crash injected by the scenario while handling {msg.kind}")
        if handler is None:
            self.send(Unhandled(actor=self.name, message_kind=msg.kind, message_seq=env.seq), to=())
        else:
            handler(msg, env)

    def _guard(self, env: Envelope | None, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
            self.runtime.actor_crashed(self, env, exc)

    def _restart(self) -> int:
        """Forget timers and state, then rebuild it from the trace (the supervisor calls this)."""
        self._timers.clear()
        if self._alarm is not None:
            self._alarm.cancel()
            self._alarm = None
        self.setup()
        return self.recover(self.bus.trace)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
