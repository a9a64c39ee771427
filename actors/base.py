"""The actor base class: a mailbox, timers, dispatch by message type, supervision.

An actor is one anyio task, which holds its lifetime. It reads its mailbox in order and, for
each message, calls the handler named after the message kind (``AlertFired`` ->
``on_alert_fired(msg, env)``); the mailbox schedules that reading as a loop callback when
its first message arrives, as a dispatcher schedules an actor in actor runtimes.
Handlers are plain methods: they read state, call pure logic, and ``send``. Anything that
must happen later is a timer (``call_later`` / ``call_at``): every actor keeps its timers in
the run's one heap (:class:`Timers`) with a single loop timer armed for the earliest, so
ten thousand pending deadlines cost one loop timer, not ten thousand tasks. Timers fire
between messages, never inside a handler; those due together fire in the order set.

Hooks, and when they run:

- ``setup()``: builds the actor's state; at construction and again after a restart.
- ``on_start()``: once, when the run starts, before any message is handled.
- ``recover(trace)``: after a restart, to rebuild state from the trace; returns how many
  messages it replayed.
- ``on_stop()``: once, after every actor has stopped (in wiring order).
- ``busy()``: a reason the run is not finished yet (open incidents, pending events), or None;
  ``settled()`` is the same question answered yes or no, asked at every jump of the clock.

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

from bus.bus import Bus, Mailbox
from bus.clock import VirtualClockLoop
from bus.messages import MESSAGE_TYPES, Message, Unhandled
from bus.trace import Envelope, Trace

if TYPE_CHECKING:
    from actors.runtime import Runtime

__all__ = ["Actor", "InjectedCrash", "Timer", "Timers", "handler_name"]

_NEVER = float("inf")

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def handler_name(kind: str) -> str:
    """``AlertFired`` -> ``on_alert_fired``."""
    return "on_" + _CAMEL.sub("_", kind).lower()


class InjectedCrash(RuntimeError):
    """The failure a scenario's ``crash:`` event injects."""


class Timer:
    """A pending call on the run's timer heap; ``cancel()`` it to forget it."""

    __slots__ = ("when", "fn", "args", "cause", "actor", "cancelled")

    def __init__(
        self, when: float, fn: Callable[..., Any], args: tuple[Any, ...], cause: Envelope | None, actor: Actor
    ) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.cause = cause
        self.actor = actor
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """Every actor's timers, in one heap, with one alarm armed for the earliest.

    The heap holds the distinct instants (plain floats, the cheapest thing to compare); each
    instant keeps its timers in a list, in the order they were set. So timers due at the same
    instant fire in the order they were set, whichever actor set them (SimPy's rule: time,
    then insertion order), and all of them before any message of that instant is handled.
    The alarm is the virtual clock's own slot (a plain loop timer on any other loop): ten
    thousand pending deadlines cost one alarm in all, not a task or a loop timer each.
    """

    __slots__ = ("_times", "_due", "_alarm_at", "_bus", "_loop", "_handle", "_ring_now")

    def __init__(self, bus: Bus) -> None:
        self._times: list[float] = []
        self._due: dict[float, list[Timer]] = {}
        self._alarm_at = _NEVER
        self._bus = bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._ring_now = self._ring  # one bound method, so the loop's alarm keeps its handle

    def add(self, timer: Timer) -> None:
        when = timer.when
        due = self._due.get(when)
        if due is not None:
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

    def forget(self, actor: Actor) -> None:
        """Cancel every pending timer of *actor* (a restart)."""
        for due in self._due.values():
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

    def _ring(self) -> None:
        """The alarm: fire every timer now due, in order, then re-arm for the next."""
        self._handle = None
        self._alarm_at = -_NEVER  # timers set while these fire are looked at below, not armed
        times, due = self._times, self._due
        bus = self._bus
        now = asyncio.get_running_loop().time()
        pop = heapq.heappop
        while times and times[0] <= now and not bus.closed:
            for timer in due.pop(pop(times)):
                actor = timer.actor
                if timer.cancelled or actor._dead or bus.closed:
                    continue
                actor._current = timer.cause
                try:
                    if actor.crash_next:
                        actor.crash_next = False
                        raise InjectedCrash("crash injected by the scenario in a timer")
                    timer.fn(*timer.args)
                except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
                    actor.runtime.actor_crashed(actor, None, exc)
                finally:
                    actor._current = None
        while times:  # no jump of the clock for forgotten deadlines
            for timer in due[times[0]]:
                if not timer.cancelled:
                    break
            else:
                del due[pop(times)]
                continue
            break
        if times and not bus.closed:
            self._alarm_at = times[0]
            self._arm(self._alarm_at)
        else:
            self._alarm_at = _NEVER


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
        self._timers: Timers = runtime.timers
        self._clock: Callable[[], float] | None = None
        self._current: Envelope | None = None
        self._box: Mailbox = self.bus.mailbox(name)
        self._dead = False
        #: Armed by a scenario ``crash:`` event: the next handler or timer raises.
        self.crash_next = False
        #: handler by message class: the drain looks up ``type(msg)``, which reads no field
        #: of the message (a pydantic field read costs several times a plain attribute's,
        #: and touches the message's memory)
        self._handlers: dict[type[Message], Callable[[Any, Envelope], Any]] = {}
        for kind, cls in MESSAGE_TYPES.items():
            method = getattr(self, handler_name(kind), None)
            if method is not None:
                self._handlers[cls] = method
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

    def settled(self) -> bool:
        """``busy() is None``, asked at every jump of the clock: an actor whose reason takes
        work to word overrides this with the cheap test."""
        return self.busy() is None

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

    def send_many(self, msgs: Iterable[Message]) -> list[Envelope]:
        """Publish *msgs* to their subscribers, in order, as one ``send`` each would (same
        envelopes, same causal parent and incident), with routing looked up once per
        message class: for an actor that says many things at one instant."""
        current = self._current
        if current is None:
            return self.bus.publish_many(self.name, msgs)
        return self.bus.publish_many(self.name, msgs, parent=current.seq, incident=current.incident)

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` at virtual time *when* (timers due together fire in the order set)."""
        timer = Timer(when, fn, args, self._current, self)
        self._timers.add(timer)
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` *delay* virtual seconds from now."""
        clock = self._clock
        if clock is None:
            clock = self._clock = asyncio.get_running_loop().time
        return self.call_at(clock() + delay, fn, *args)

    # --- the loop ----------------------------------------------------------------

    async def _main(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        loop = asyncio.get_running_loop()
        self._clock = loop.time
        self._guard(None, self.on_start)
        box = self._box
        box.serve(self._drain)
        if box.items:  # sent to it before it started
            self._drain()
        task_status.started()
        try:
            # The task holds the actor's lifetime; its mailbox and its timers call it back.
            # (Not anyio.sleep_forever(): that is a timer at infinity, and a virtual clock
            # with a timer pending never sees a deadlock.)
            await anyio.Event().wait()
        finally:
            box.serve(None)

    def _drain(self) -> None:
        """Handle every message in the mailbox, in order (a loop callback, woken when the
        first one arrived: this is the hot loop, with dispatch inlined). Once the run is
        over, or the actor is dead, nothing more is handled; what is left counts as pending.
        Only a crash (the supervisor) can end the run or kill the actor mid-drain."""
        box = self._box
        items = box.items
        bus = self.bus
        if not (self._dead or bus.closed):
            handlers = self._handlers
            drained = 0
            while items:
                env = items.popleft()
                drained += 1
                msg = env.msg
                handler = handlers.get(type(msg))
                self._current = env
                try:
                    if handler is None or self.crash_next:
                        self._unusual(env, handler)
                    else:
                        handler(msg, env)
                except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
                    self.runtime.actor_crashed(self, env, exc)
                    if self._dead or bus.closed:
                        self._current = None
                        break
                self._current = None
            bus.delivered += drained
        box.read_all()

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
        self._timers.forget(self)
        self.setup()
        return self.recover(self.bus.trace)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
