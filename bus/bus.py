"""The in-process message bus: typed publish/subscribe with one mailbox per actor.

``publish`` stamps a message with its envelope (sequence number, virtual time, sender,
recipients, causal parent, incident), records it in the trace, passes each copy through
the fault layer and puts it in the recipients' mailboxes. Delivery order is publish order.

Recipients are the ``to`` names when given, otherwise every subscriber of the message's
type (optionally only for one incident) except the sender. Accounting holds at the end of every run:
every copy addressed = delivered + dropped + pending (in a mailbox or delayed in flight).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bus.clock import DEFAULT_INSTANT_LIMIT
from bus.faults import FaultLayer, FaultVerdict
from bus.messages import Message
from bus.trace import Envelope, Trace

__all__ = [
    "DEFAULT_INSTANT_LIMIT",
    "AccountingError",
    "Accounts",
    "Bus",
    "Dispatcher",
    "Livelock",
    "Mailbox",
    "UnknownRecipient",
    "describe_instant",
]

#: Messages (or timers) at one virtual instant past which a run is called a livelock: above
#: a real storm's (a sample of 10k services' SLOs is some 30k messages), far below what
#: exhausts memory (200k envelopes are some 200 MB); ``--instant-limit`` changes it.


class UnknownRecipient(LookupError):
    """A message was addressed to a name with no mailbox."""


class AccountingError(RuntimeError):
    """Copies addressed != delivered + dropped + pending: a message was lost silently."""


class Livelock(RuntimeError):
    """Virtual time stopped moving: too many messages or timers at one instant."""

    def __init__(self, now: float, limit: int, what: str) -> None:
        from bus.vtime import format_vtime

        self.now = now
        super().__init__(
            f"livelock at {format_vtime(now)}: more than {limit:,} messages or timers at one virtual "
            f"instant, and time does not move ({what}); look for a zero delay that re-triggers itself"
        )


def describe_instant(trace: Trace, now: float, top: int = 4, scan: int = 100_000) -> str:
    """The commonest ``sender -> kind`` pairs among the last messages of instant *now*."""
    counts: dict[str, int] = {}
    envelopes = trace.envelopes
    for env in reversed(envelopes[-scan:]):
        if env.t != now:
            break
        key = f"{env.sender} -> {env.kind}"
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return "no message: timers re-arming themselves"
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return "mostly " + ", ".join(f"{key} x{n:,}" for key, n in ranked)


class Mailbox:
    """An actor's inbox: a FIFO of envelopes, and the reader to wake when it fills.

    The reader (an actor's drain) runs as a plain loop callback, as the actors' timers do:
    it is woken once when the first item arrives and drains everything there is; an actor's
    task only holds its lifetime. That is how actor runtimes dispatch (an actor is scheduled
    when its mailbox becomes non-empty), and it spares every delivery a future, a task
    switch and a coroutine resumption. Items stay in the deque until taken.
    """

    __slots__ = ("_dispatcher", "_reader", "_scheduled", "delivered", "items")

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.items: deque[Envelope[Message]] = deque()
        #: Items its reader has taken (handled, or taken by a reader that crashed on them).
        self.delivered = 0
        self._reader: Callable[[], None] | None = None
        self._scheduled = False
        self._dispatcher = dispatcher

    def put(self, env: Envelope[Message]) -> None:
        self.items.append(env)
        if not self._scheduled and self._reader is not None:
            self._scheduled = True
            self._dispatcher.wake(self)

    def serve(self, reader: Callable[[], None] | None) -> None:
        """From now on, wake *reader* when an item arrives while it is idle; it calls
        :meth:`read_all` when it has drained. Items already waiting are the caller's to
        drain now. ``serve(None)`` stops it."""
        self._reader = reader
        self._scheduled = False

    def take_all(self) -> list[Envelope[Message]]:
        """Take every item out at once, counted as delivered (a reader that is not an actor)."""
        taken = list(self.items)
        self.items.clear()
        self.delivered += len(taken)
        return taken

    def read_all(self, taken: int) -> None:
        """The reader has drained the box, taking *taken* items out of it (counted as
        delivered): the next item wakes it again."""
        self.delivered += taken
        self._scheduled = False


class Dispatcher:
    """Runs the readers of mailboxes that filled, in the order they filled.

    One loop callback per turn of the event loop runs every reader woken during the turn
    before, exactly as one ``call_soon`` per reader would (readers woken meanwhile wait for
    the next turn), without a loop handle per delivery.
    """

    __slots__ = ("_pending", "_ready")

    def __init__(self) -> None:
        self._ready: deque[Mailbox] = deque()
        self._pending = False

    def wake(self, box: Mailbox) -> None:
        self._ready.append(box)
        if not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self._pending = False
        ready = self._ready
        for _ in range(len(ready)):
            reader = ready.popleft()._reader
            if reader is not None:
                reader()


@dataclass
class Accounts:
    """Copies of messages, counted: addressed = delivered + dropped + pending."""

    published: int = 0
    addressed: int = 0
    delivered: int = 0
    dropped: int = 0
    duplicated: int = 0
    pending: int = 0

    @property
    def balanced(self) -> bool:
        return self.addressed == self.delivered + self.dropped + self.pending

    def describe(self) -> str:
        return (
            f"{self.published} messages published, {self.addressed} copies addressed "
            f"({self.duplicated} duplicated) = {self.delivered} delivered + {self.dropped} dropped "
            f"+ {self.pending} pending at cut-off"
        )


# Envelope(...) goes through a Python-level __new__; building the tuple directly is the same
# object for a third of the cost, and publish is the hottest path there is.
_new_envelope = tuple.__new__


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Bus:
    """Publish/subscribe between named mailboxes on the virtual clock."""

    def __init__(self, faults: FaultLayer | None = None, trace: Trace | None = None) -> None:
        self.trace = trace if trace is not None else Trace()
        self.faults = faults if faults is not None else FaultLayer()
        self.mailboxes: dict[str, Mailbox] = {}
        self._dispatcher = Dispatcher()
        self._subs: dict[type[Message], list[tuple[str, str | None]]] = {}
        self._route_cache: dict[type[Message], list[tuple[str, str | None]]] = {}
        self._plain_cache: dict[tuple[type[Message], str], tuple[str, ...]] = {}
        #: kind -> watcher -> the topics it wants (None: all), see :meth:`watch`
        self._topics: dict[type[Message], dict[str, frozenset[str] | None]] = {}
        self._seq = 0
        self._in_flight = 0
        self.closed = False
        self.addressed = 0
        self.dropped = 0
        self.duplicated = 0
        self._now: Callable[[], float] = _loop_time
        #: The livelock guard: at most this many messages at one virtual instant; past it,
        #: ``on_livelock(error)`` is called (the runtime ends the run), or the
        #: :class:`Livelock` is raised when nothing is listening.
        self.instant_limit = DEFAULT_INSTANT_LIMIT
        self.on_livelock: Callable[[Livelock], None] | None = None
        self._instant = -1.0
        self._instant_seq = 0

    # --- wiring ------------------------------------------------------------------

    def mailbox(self, name: str) -> Mailbox:
        """The mailbox of *name*, made on first use."""
        box = self.mailboxes.get(name)
        if box is None:
            box = self.mailboxes[name] = Mailbox(self._dispatcher)
        return box

    def subscribe(self, name: str, *types: type[Message], incident: str | None = None) -> None:
        """Deliver every message of *types* (and their subclasses) to *name*'s mailbox."""
        self.mailbox(name)
        for kind in types:
            self._subs.setdefault(kind, []).append((name, incident))
        self._route_cache.clear()
        self._plain_cache.clear()

    def watch(self, name: str, kind: type[Message], on: bool, topics: Iterable[str] | None = None) -> None:
        """Subscribe *name* to *kind* (on) or stop (off); idempotent. For an actor that only
        cares about a frequent kind while it works (a responder and the SLI reports).
        *topics* (e.g. services) tell a publisher which of them the watcher wants
        (:meth:`listening`); it still gets every one published."""
        routes = self._subs.setdefault(kind, [])
        has = (name, None) in routes
        topics_of = self._topics.setdefault(kind, {})
        if on:
            topics_of[name] = None if topics is None else frozenset(topics)
        else:
            topics_of.pop(name, None)
        if on and not has:
            self.subscribe(name, kind)
        elif not on and has:
            routes.remove((name, None))
            self._route_cache.clear()
            self._plain_cache.clear()

    def listening(self, kind: type[Message]) -> frozenset[str] | None:
        """What the subscribers of *kind* want: None when one wants every message of it (a
        plain subscription, or a watch without topics), else the union of the watchers'
        topics (empty: nobody listens). A publisher of a frequent kind says only these,
        and what changed."""
        routes = self._routes(kind)
        if not routes:
            return frozenset()
        topics_of = self._topics.get(kind, {})
        wanted: set[str] = set()
        for name, _ in routes:
            if name not in topics_of:
                return None
            topics = topics_of[name]
            if topics is None:
                return None
            wanted |= topics
        return frozenset(wanted)

    def watching(self, name: str, kind: type[Message]) -> bool:
        """Whether *name* is subscribed to *kind* (for all incidents)."""
        return (name, None) in self._subs.get(kind, ())

    def _routes(self, kind: type[Message]) -> list[tuple[str, str | None]]:
        routes = self._route_cache.get(kind)
        if routes is None:
            routes = [r for base in kind.__mro__ for r in self._subs.get(base, ())]
            self._route_cache[kind] = routes
        return routes

    def _subscribers(self, kind: type[Message], sender: str) -> tuple[str, ...] | None:
        """Who gets a *kind* from *sender* unaddressed (cached), or None when a subscription
        to it is per incident (then it depends on the message's incident)."""
        key = (kind, sender)
        found = self._plain_cache.get(key)
        if found is None:
            routes = self._routes(kind)
            if any(inc is not None for _, inc in routes):
                return None
            found = self._plain_cache[key] = tuple(n for n, _ in routes if n != sender)
        return found

    # --- publishing --------------------------------------------------------------

    def publish(  # noqa: PLR0912, PLR0915 - the hottest path: inlined on purpose, measured
        self,
        sender: str,
        msg: Message,
        *,
        to: str | Iterable[str] | None = None,
        parent: int | None = None,
        incident: str | None = None,
    ) -> Envelope[Message] | None:
        """Record *msg* in the trace and deliver a copy to each recipient.

        Returns the envelope, or None once the bus is closed (teardown records nothing).
        """
        if self.closed:
            return None
        if to is None:
            # Subscribers, never the sender itself: an actor knows what it just said.
            key = (type(msg), sender)
            recipients = self._plain_cache.get(key)
            if recipients is None:
                recipients = self._subscribers(type(msg), sender)
                if recipients is None:  # some subscriptions are per incident
                    routes = self._routes(type(msg))
                    recipients = tuple(n for n, inc in routes if n != sender and (inc is None or inc == incident))
        elif type(to) is str:
            if to not in self.mailboxes:
                raise UnknownRecipient(f"{type(msg).__name__} addressed to {to!r}, which has no mailbox")
            recipients = (to,)
        else:
            recipients = tuple(to)
            for name in recipients:
                if name not in self.mailboxes:
                    raise UnknownRecipient(f"{type(msg).__name__} addressed to {name!r}, which has no mailbox")
        self._seq += 1
        now = self._now()
        if now != self._instant:
            self._instant, self._instant_seq = now, self._seq
        elif self._seq - self._instant_seq > self.instant_limit:
            self.livelock(now)
        rules = self.faults.by_type.get(type(msg))
        if rules is None:
            rules = self.faults.rules_of(msg)
        if not rules:
            env = _new_envelope(Envelope, (self._seq, now, sender, recipients, parent, incident, msg, ()))
            trace = self.trace
            trace.add(env)
            if trace.sinks:
                for sink in trace.sinks:
                    sink(env)
            self.addressed += len(recipients)
            boxes = self.mailboxes
            for name in recipients:
                boxes[name].put(env)
            return env
        faults: list[FaultVerdict] = []
        deliver: list[tuple[str, float]] = []
        judge = self.faults.judge
        extra = dropped = 0
        for name in recipients:
            verdict = judge(msg.kind, sender, name, now, rules)
            if verdict is None:
                deliver.append((name, 0.0))
                continue
            faults.append(verdict)
            if verdict.action == "drop":
                dropped += 1
            elif verdict.action == "delay":
                deliver.append((name, verdict.delay))
            else:
                deliver.append((name, 0.0))
                deliver.append((name, 0.0))
                extra += 1
        env = _new_envelope(Envelope, (self._seq, now, sender, recipients, parent, incident, msg, tuple(faults)))
        self.trace.record(env)
        self.addressed += len(recipients) + extra
        self.duplicated += extra
        self.dropped += dropped
        for name, delay in deliver:
            if delay > 0:
                self._in_flight += 1
                asyncio.get_running_loop().call_later(delay, self._land, name, env)
            else:
                self.mailboxes[name].put(env)
        return env

    def publish_many(
        self, sender: str, msgs: Iterable[Message], *, parent: int | None = None, incident: str | None = None
    ) -> list[Envelope[Message]]:
        """Publish *msgs* to their subscribers, in order, at this instant: the same envelopes,
        trace and deliveries as one :meth:`publish` each, with the recipients, their
        mailboxes and the fault rules looked up once per message class, not once per
        message. Messages of a class that fault rules or per-incident subscriptions touch
        go through :meth:`publish` one by one."""
        if self.closed:
            return []
        out: list[Envelope[Message]] = []
        now = self._now()
        if now != self._instant:
            self._instant, self._instant_seq = now, self._seq
        record, sinks = self.trace.add, self.trace.sinks
        # message class -> (recipients, their mailboxes), or None: publish it one by one
        plain: dict[type[Message], tuple[tuple[str, ...], tuple[Mailbox, ...]] | None] = {}
        for msg in msgs:
            cls = type(msg)
            if cls not in plain:
                names = None if self.faults.rules_of(msg) else self._subscribers(cls, sender)
                plain[cls] = None if names is None else (names, tuple(self.mailboxes[n] for n in names))
            route = plain[cls]
            if route is None:
                env = self.publish(sender, msg, parent=parent, incident=incident)
                assert env is not None
                out.append(env)
                continue
            recipients, boxes = route
            self._seq += 1
            env = _new_envelope(Envelope, (self._seq, now, sender, recipients, parent, incident, msg, ()))
            record(env)
            for sink in sinks:
                sink(env)
            self.addressed += len(boxes)
            for box in boxes:
                box.put(env)
            out.append(env)
        if self._seq - self._instant_seq > self.instant_limit:
            self.livelock(now)
        return out

    def livelock(self, now: float) -> None:
        """Too many messages or timers at one instant: virtual time is not moving."""
        error = Livelock(now, self.instant_limit, describe_instant(self.trace, now))
        if self.on_livelock is None:
            raise error
        self.on_livelock(error)

    def _land(self, name: str, env: Envelope[Message]) -> None:
        self._in_flight -= 1
        self.mailboxes[name].put(env)

    def bind_clock(self, now: Callable[[], float]) -> None:
        """A run starts: read virtual time from *now* (the running loop's ``time``), one
        lookup per publish, and the fault rules as they are now."""
        self._now = now
        self.faults.prepare()

    # --- accounting --------------------------------------------------------------

    @property
    def delivered(self) -> int:
        """Copies taken out of mailboxes by their readers."""
        return sum(box.delivered for box in self.mailboxes.values())

    @property
    def idle(self) -> bool:
        """No copy is waiting in a mailbox or delayed in flight."""
        return self._in_flight == 0 and not any(box.items for box in self.mailboxes.values())

    def accounts(self) -> Accounts:
        pending = self._in_flight + sum(len(box.items) for box in self.mailboxes.values())
        return Accounts(self._seq, self.addressed, self.delivered, self.dropped, self.duplicated, pending)

    def check_accounts(self) -> Accounts:
        """The accounts; raise :class:`AccountingError` if they do not add up."""
        accounts = self.accounts()
        if not accounts.balanced:
            raise AccountingError(f"message accounting does not add up: {accounts.describe()}")
        return accounts
