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

- ``setup()``: builds the actor's state from its configuration alone; at construction and
  again after a restart.
- ``on_start()``: once, when the run starts, before any message is handled.
- ``on_stop()``: once, after every actor has stopped (in wiring order).
- ``busy()``: a reason the run is not finished yet (open incidents, pending events), or None;
  ``settled()`` is the same question answered yes or no, asked at every jump of the clock.

The lifecycle the runtime drives (its whole contract with an actor): ``serve()`` is the
actor's task; ``restart()`` forgets its timers and state and rebuilds them; ``kill()``
stops it for good. The actor reaches its runtime only through :class:`Host`.

An exception in a handler or a timer becomes an ``ActorCrashed`` message; the runtime then
restarts the actor or stops the run (exit code 3).

Two rules make every actor safe under faults, with no code of its own:

- **Idempotent consumer.** An actor handles an envelope at most once, by sequence number:
  a copy the fault layer duplicated (or delivered again) changes nothing the second time.
- **Recovery by replay** (when the host journals: ``supervision: {restart: true}``). The
  actor's journal is what it did, in order: its start, each envelope it handled, each of
  its timers that fired (by the order it was set). A restart runs ``setup()``, re-seeds
  the actor's random source, and replays the journal through the same handlers on the
  journal's own virtual times, with what they send muted (it is in the trace already) and
  the timers they set collected; the timers that had not fired are then armed again. A
  handler with an effect beyond its state and its messages skips it while ``replaying``.
  Handlers are deterministic, so the state rebuilt is the state lost, draws of the random
  source included. The message (or timer) a crash interrupted is handed over once more
  after the restart; if it crashes the actor again it is dropped as a poison message.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol, cast

import anyio
from anyio.abc import TaskStatus

from actors.engine.timers import InjectedCrash, Timer, Timers
from bus.bus import Bus, Mailbox
from bus.messages import MESSAGE_TYPES, Message, Unhandled
from bus.trace import Envelope

__all__ = ["Actor", "Host", "InjectedCrash", "handler_name"]

# journal entry kinds: (virtual time, kind, what)
_START, _MESSAGE, _TIMER, _POISON = 0, 1, 2, 3
Entry = tuple[float, int, Any]

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

    @property
    def journaling(self) -> bool:
        """Whether actors keep a journal to be replayed after a restart."""

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
        self._timers: Timers | _Collector = host.timers
        #: What this actor did, to replay after a restart (None: the host does not journal).
        self.journal: list[Entry] | None = [] if host.journaling else None
        #: Sequence numbers handled, when copies may come twice (None: they cannot).
        self._seen: set[int] | None = None
        self._serial = 0  # timers set so far: a timer's serial is its place in that order
        self._failed: set[int] = set()  # serials of timers that crashed once
        self._started = self._start_done = False
        #: True while a restart replays the journal: a handler's effects beyond its own
        #: state and what it sends (which is muted) must not happen again.
        self.replaying = False
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

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any, first: bool = False) -> Timer:
        """Call ``fn(*args)`` at virtual time *when* (timers due together fire in the order
        set; *first*: ahead of those not set first, see :meth:`Timers.add`)."""
        timer = Timer(when, fn, args, self.current, self, self._serial)
        self._serial += 1
        self._timers.add(timer, first)
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
        if self.bus.faults.may_repeat():
            self._seen = set()
        self._started = True
        self._guard(self._start)
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

    def _start(self) -> None:
        self.on_start()
        self._start_done = True
        if self.journal is not None:
            self.journal.append((self.now, _START, None))

    def restart(self) -> int:
        """Forget timers and state, then rebuild them by replaying the journal (see the
        module's docstring); return the number of entries replayed."""
        self.host.timers.forget(self)
        self.setup()
        self.rng.seed(f"{self.host.seed}:{self.name}")
        replayed = self._replay()
        if self._started and not self._start_done:  # the start itself crashed: once more
            self._start_done = True
            self._guard(self._start)
        return replayed

    def _replay(self) -> int:
        journal = self.journal or []
        collector = _Collector()
        real_bus, real_timers, real_clock = self.bus, self._timers, self._clock
        replay_now = [0.0]

        def replay_clock() -> float:
            return replay_now[0]

        self.bus, self._timers, self._clock = cast("Bus", _MutedBus(real_bus)), collector, replay_clock
        self._serial = 0
        self.replaying = True
        try:
            for t, kind, what in journal:
                replay_now[0] = t
                if kind == _MESSAGE:
                    handler = self._handlers.get(type(what.msg))
                    if handler is not None:
                        self.current = what
                        handler(what.msg, what)
                elif kind == _TIMER:
                    timer = collector.pending.pop(what, None)
                    if timer is not None and not timer.cancelled:
                        self.current = timer.cause
                        timer.fn(*timer.args)
                elif kind == _POISON:
                    collector.pending.pop(what, None)
                else:
                    self.on_start()
        finally:
            self.bus, self._timers, self._clock = real_bus, real_timers, real_clock
            self.current = None
            self.replaying = False
        now = self.now
        for serial in sorted(collector.pending):
            timer = collector.pending[serial]
            if not timer.cancelled:
                timer.when = max(timer.when, now)
                self.host.timers.add(timer, timer.first)
        return len(journal)

    def kill(self) -> None:
        """Stop for good: nothing more is handled, no timer fires; what is left is pending."""
        self.dead = True

    def crashed(self, env: Envelope[Any] | None, exc: Exception) -> None:
        """Report a crash (in a handler for *env*, or in a timer or hook) to the supervisor."""
        self.host.actor_crashed(self, env, exc)

    def timer_fired(self, timer: Timer) -> None:
        """The heap fired *timer* and it returned: journal it."""
        if self.journal is not None:
            self.journal.append((timer.when, _TIMER, timer.serial))

    def timer_crashed(self, timer: Timer, exc: Exception) -> None:
        """*timer* raised: report the crash. After a restart the timer fires again; if it
        crashed before, it is journaled as dropped instead (a poison timer)."""
        if self.journal is not None:
            if timer.serial in self._failed:
                self.journal.append((timer.when, _POISON, timer.serial))
            else:
                self._failed.add(timer.serial)
        self.crashed(None, exc)

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
            seen, journal = self._seen, self.journal
            while items:
                env = items.popleft()
                drained += 1
                if seen is not None:
                    if env.seq in seen:
                        continue  # a copy handled already: an idempotent consumer ignores it
                    seen.add(env.seq)
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
                    self._retry(env, handler)
                    if self.dead or bus.closed:
                        self.current = None
                        break
                else:
                    if journal is not None:
                        journal.append((self.now, _MESSAGE, env))
                self.current = None
        box.read_all(drained)

    def _retry(self, env: Envelope[Any], handler: Handler | None) -> None:
        """After a restart, hand over once more the message that crashed the actor; a
        second crash drops it (a poison message)."""
        self.current = env
        try:
            if handler is not None:
                handler(env.msg, env)
        except Exception as exc:  # noqa: BLE001 - supervision: every crash is reported
            self.crashed(env, exc)
        else:
            if self.journal is not None:
                self.journal.append((self.now, _MESSAGE, env))

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


class _Collector:
    """Where a replay's timers go: kept by serial, armed on the real heap afterwards."""

    def __init__(self) -> None:
        self.pending: dict[int, Timer] = {}

    def add(self, timer: Timer, first: bool = False) -> None:
        timer.first = first
        self.pending[timer.serial] = timer


class _MutedBus:
    """The bus as a replay sees it: what a handler sends is already in the trace, so
    publishing does nothing; everything else (the trace, the clock) is the real bus's."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    def publish(self, *args: Any, **kwargs: Any) -> None:
        return None

    def publish_many(self, *args: Any, **kwargs: Any) -> list[Envelope[Message]]:
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)
