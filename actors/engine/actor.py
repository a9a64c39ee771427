"""The actor base class: a mailbox, timers, dispatch by message type, supervision.

An actor is one anyio task, which holds its lifetime. It reads its mailbox in order and, for
each message, calls the handler named after the message kind (``AlertFired`` ->
``on_alert_fired(msg, env)``); the mailbox schedules that reading as a loop callback when
its first message arrives, as a dispatcher schedules an actor in actor runtimes.
Handlers are plain methods: they read state, call pure logic, and ``send``. Anything that
must happen later is a timer (``call_later`` / ``call_at``), kept in the run's one heap
(:class:`actors.engine.timers.Timers`). Timers fire between messages, never inside a
handler; those due together fire in the order set.

Hooks for subclasses, and when they run:

- ``setup()``: builds the actor's state; at construction and again after a restart.
- ``on_start()``: once, when the run starts, before any message is handled.
- ``recover(trace)``: after a restart, to rebuild state from the trace; returns how many
  messages it replayed.
- ``on_stop()``: once, after every actor has stopped (in wiring order).
- ``busy()``: a reason the run is not finished yet (open incidents, pending events), or None;
  ``settled()`` is the same question answered yes or no, asked at every jump of the clock.

The lifecycle the runtime drives (its whole contract with an actor): ``serve()`` is the
actor's task; ``restart()`` forgets its timers and state and rebuilds them from the trace;
``kill()`` stops it for good. The actor reaches its runtime only through :class:`Host`.

An exception in a handler or a timer becomes an ``ActorCrashed`` message; the runtime then
restarts the actor or stops the run (exit code 3).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol

import anyio
from anyio.abc import TaskStatus

from actors.engine.timers import InjectedCrash, Timer, Timers
from bus.bus import Bus, Mailbox
from bus.messages import MESSAGE_TYPES, Message, Unhandled
from bus.trace import Envelope, Trace

__all__ = ["Actor", "Host", "InjectedCrash", "handler_name"]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def handler_name(kind: str) -> str:
    """``AlertFired`` -> ``on_alert_fired``."""
    return "on_" + _CAMEL.sub("_", kind).lower()


class Host(Protocol):
    """What an actor needs of the runtime that hosts it (:class:`actors.engine.runtime.Runtime`)."""

    @property
    def seed(self) -> int:
        """The run's seed: each actor's random source derives from it."""

    @property
    def bus(self) -> Bus:
        """The bus the actor's mailbox is on."""

    @property
    def timers(self) -> Timers:
        """The run's one timer heap."""

    def actor_crashed(self, actor: Actor, env: Envelope[Any] | None, exc: Exception) -> None:
        """Supervision: *actor* raised *exc* while handling *env* (None: a timer or a hook)."""

    def inject_crash(self, name: str) -> None:
        """Arm a crash: the next handler or timer of the actor *name* raises."""


#: A handler as the drain calls it: ``on_x(msg, env)``.
Handler = Callable[[Any, Envelope[Any]], object]


class Actor:
    """Base of every actor. Subclasses set ``family`` and ``subscribes`` and add handlers."""

    #: The actor family (monitor, correlator, pager, responder, ...); the console colours by it.
    family: ClassVar[str] = "actor"
    #: Message types delivered to this actor without being addressed to it.
    subscribes: ClassVar[tuple[type[Message], ...]] = ()

    def __init__(self, name: str, host: Host) -> None:
        self.name = name
        self.host = host
        self.bus = host.bus
        self.rng = random.Random(f"{host.seed}:{name}")
        self._timers: Timers = host.timers
        self._clock: Callable[[], float] | None = None
        #: The envelope being handled, or the one whose handler set the timer now firing
        #: (None between): the default causal parent and incident of what is sent.
        self.current: Envelope[Any] | None = None
        self._box: Mailbox = self.bus.mailbox(name)
        #: Set by :meth:`kill`: nothing more is handled and no timer of it fires.
        self.dead = False
        #: Armed by a scenario ``crash:`` event: the next handler or timer raises.
        self.crash_next = False
        #: handler by message class: the drain looks up ``type(msg)``, which reads no field
        #: of the message (a pydantic field read costs several times a plain attribute's,
        #: and touches the message's memory)
        self._handlers: dict[type[Message], Handler] = {}
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
        return self.host.seed

    def send(
        self,
        msg: Message,
        *,
        to: str | Iterable[str] | None = None,
        incident: str | None = None,
        parent: int | None = None,
    ) -> Envelope[Message] | None:
        """Publish *msg*. Its causal parent (and, unless given, its incident) default to the
        message being handled, or the one that set the timer now firing."""
        current = self.current
        if current is not None:
            if parent is None:
                parent = current.seq
            if incident is None:
                incident = current.incident
        return self.bus.publish(self.name, msg, to=to, parent=parent, incident=incident)

    def send_many(self, msgs: Iterable[Message]) -> list[Envelope[Message]]:
        """Publish *msgs* to their subscribers, in order, as one ``send`` each would (same
        envelopes, same causal parent and incident), with routing looked up once per
        message class: for an actor that says many things at one instant."""
        current = self.current
        if current is None:
            return self.bus.publish_many(self.name, msgs)
        return self.bus.publish_many(self.name, msgs, parent=current.seq, incident=current.incident)

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` at virtual time *when* (timers due together fire in the order set)."""
        timer = Timer(when, fn, args, self.current, self)
        self._timers.add(timer)
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` *delay* virtual seconds from now."""
        clock = self._clock
        if clock is None:
            clock = self._clock = asyncio.get_running_loop().time
        return self.call_at(clock() + delay, fn, *args)

    # --- the lifecycle the runtime drives ------------------------------------------

    async def serve(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """The actor's task: start, then hand the mailbox its reader until cancelled."""
        loop = asyncio.get_running_loop()
        self._clock = loop.time
        self._guard(self.on_start)
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

    def restart(self) -> int:
        """Forget timers and state, then rebuild it from the trace; return the messages replayed."""
        self._timers.forget(self)
        self.setup()
        return self.recover(self.bus.trace)

    def kill(self) -> None:
        """Stop for good: nothing more is handled, no timer fires; what is left is pending."""
        self.dead = True

    def crashed(self, env: Envelope[Any] | None, exc: Exception) -> None:
        """Report a crash (in a handler for *env*, or in a timer or hook) to the supervisor."""
        self.host.actor_crashed(self, env, exc)

    # --- the hot loop ------------------------------------------------------------

    def _drain(self) -> None:
        """Handle every message in the mailbox, in order (a loop callback, woken when the
        first one arrived: this is the hot loop, with dispatch inlined). Once the run is
        over, or the actor is dead, nothing more is handled; what is left counts as pending.
        Only a crash (the supervisor) can end the run or kill the actor mid-drain."""
        box = self._box
        items = box.items
        bus = self.bus
        drained = 0
        if not (self.dead or bus.closed):
            handlers = self._handlers
            while items:
                env = items.popleft()
                drained += 1
                msg = env.msg
                handler = handlers.get(type(msg))
                self.current = env
                try:
                    if handler is None or self.crash_next:
                        self._unusual(env, handler)
                    else:
                        handler(msg, env)
                except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
                    self.crashed(env, exc)
                    if self.dead or bus.closed:
                        self.current = None
                        break
                self.current = None
        box.read_all(drained)

    def _unusual(self, env: Envelope[Any], handler: Handler | None) -> None:
        """A message with no handler (logged), or the one an injected crash hits."""
        msg = env.msg
        if self.crash_next:
            self.crash_next = False
            raise InjectedCrash(f"crash injected by the scenario while handling {msg.kind}")
        if handler is None:
            self.send(Unhandled(actor=self.name, message_kind=msg.kind, message_seq=env.seq), to=())
        else:
            handler(msg, env)

    def _guard(self, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
            self.crashed(None, exc)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
