"""The runtime: starts the actors, supervises them, and decides when a run is over.

A run ends at the first of:

- *done*: every task is blocked, every actor is settled (``busy()`` is None: no scenario
  event left, no incident open) and no message is waiting or in flight;
- *until*: the next thing scheduled lies past the ``until`` bound;
- *deadlock*: nothing is scheduled, yet an actor is still busy (exit code 3);
- *crash*: a handler raised and the supervision policy does not restart that actor
  (exit code 3, with a report naming the actor, the message and the error);
- *livelock*: more messages or timers at one virtual instant than the bus's
  ``instant_limit``: time has stopped moving (exit code 3, naming the senders and kinds).

Teardown records nothing: the bus closes first, then the actors are cancelled, and their
``on_stop`` hooks run in wiring order.
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio

from actors.engine.actor import Actor
from actors.engine.timers import Timers
from bus.bus import Accounts, Bus, Livelock
from bus.clock import Pacer, VirtualClockLoop, describe_blocked_tasks, run_virtual
from bus.messages import ActorCrashed, ActorRestarted
from bus.trace import Envelope, Trace
from bus.vtime import format_vtime

__all__ = ["FAILED_ENDINGS", "RunResult", "Runtime"]

Ending = Literal["done", "until", "deadlock", "crash", "livelock"]
#: The endings that are a failure of the simulation itself (exit code 3).
FAILED_ENDINGS: tuple[Ending, ...] = ("deadlock", "crash", "livelock")


@dataclass
class RunResult:
    """How a run ended, and what it left behind."""

    ending: Ending
    ended_at: float
    trace: Trace
    accounts: Accounts
    #: For a deadlock or a crash: what went wrong, in one paragraph.
    problem: str | None = None
    busy: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.ending in FAILED_ENDINGS or not self.accounts.balanced


#: The collector's count of full collections when a run last promoted its survivors (see
#: :func:`_promote_survivors`); None before the first.
_promoted_at: int | None = None


def _promote_survivors() -> None:
    """Move what the run made to the collector's oldest generation, unscanned.

    With the collector resting during the run, everything the run made waits in the young
    generation, and the first young collection after it would walk every envelope of the
    trace to find it alive (a tenth of a 100k-alert storm's time, and of a 10k-incident
    ladder's). ``freeze()`` then ``unfreeze()`` moves every tracked object to the oldest
    generation instead: two list splices.

    The collector's rule for full collections does not count objects moved this way, so
    cyclic garbage among them (a finished run's actors and tasks) waits for the next full
    collection. To keep that bounded to one run's worth, a run promotes only when a full
    collection has happened since the last promotion; otherwise its objects take the
    usual young path, which counts them and so brings a full collection in due course.
    A process that froze objects of its own keeps them frozen: nothing is promoted.
    """
    global _promoted_at
    full = gc.get_stats()[-1]["collections"]
    if _promoted_at == full or gc.get_freeze_count():
        return
    gc.freeze()
    gc.unfreeze()
    _promoted_at = full


class Runtime:
    """Owns the bus, the seed and the actors of one run."""

    def __init__(
        self, seed: int, bus: Bus | None = None, *, until: float = float("inf"), restart: bool = False
    ) -> None:
        self.seed = seed
        self.bus = bus if bus is not None else Bus()
        #: Every actor's timers, in one heap.
        self.timers = Timers(self.bus)
        self.until = until
        #: Supervision policy: restart a crashed actor (True) or stop the run (False).
        self.restart = restart
        #: Actors journal what they do, to be replayed after a restart (only when restarting).
        self.journaling = restart
        self.actors: list[Actor] = []
        self._done: anyio.Event | None = None
        self._stopped = False
        self._ending: Ending = "done"
        self._problem: str | None = None
        self._loop: VirtualClockLoop | None = None
        self.result: RunResult | None = None
        self._busy_hint: Actor | None = None

    def add(self, actor: Actor) -> Actor:
        """Add *actor*; actors start, and their ``on_stop`` hooks run, in the order added."""
        if any(a.name == actor.name for a in self.actors):
            raise ValueError(f"two actors are named {actor.name!r}")
        self.actors.append(actor)
        for kind in actor.subscribes:
            self.bus.subscribe(actor.name, kind)
        self.bus.mailbox(actor.name)
        return actor

    def actor(self, name: str) -> Actor:
        for actor in self.actors:
            if actor.name == name:
                return actor
        raise KeyError(name)

    # --- running -----------------------------------------------------------------

    def run(self, speed: float | None = None, pacer: Pacer | None = None) -> RunResult:
        """Run to the end on a fresh virtual clock (paced at *speed* by *pacer*, if given)."""
        # A run keeps every envelope alive in the trace until it ends, so the collector's
        # young-generation scans find no garbage, yet cost a quarter of a storm's time.
        # The collector rests while the simulation runs; when it ends, the run's survivors
        # go to the oldest generation at once (see _promote_survivors).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            run_virtual(self._run_quietly, speed=speed, pacer=pacer)
        finally:
            if was_enabled:
                _promote_survivors()
                gc.enable()
        assert self.result is not None
        return self.result

    async def _run_quietly(self) -> None:
        # The main task returns nothing: on Python 3.11, asyncio.Runner builds the repr of
        # the main task (its result included) when it restores the SIGINT handler, and the
        # repr of a whole trace costs seconds.
        self.result = await self.run_async()

    async def run_async(self) -> RunResult:
        loop = asyncio.get_running_loop()
        self.bus.bind_clock(loop.time)
        self._done = anyio.Event()
        self.bus.on_livelock = self._on_livelock
        if isinstance(loop, VirtualClockLoop):
            self._loop = loop
            loop.on_idle = self._on_idle
        try:
            async with anyio.create_task_group() as tg:
                for actor in self.actors:
                    await tg.start(actor.serve, name=f"actor:{actor.name}")
                await self._done.wait()
                self.bus.closed = True
                tg.cancel_scope.cancel()
        finally:
            self.timers.close()
            if self._loop is not None:
                self._loop.on_idle = None
        for actor in self.actors:
            actor.on_stop()
        return RunResult(
            ending=self._ending,
            ended_at=anyio.current_time(),
            trace=self.bus.trace,
            accounts=self.bus.accounts(),
            problem=self._problem,
            busy=self._busy(),
        )

    def stop(self, ending: Ending, problem: str | None = None) -> None:
        """End the run now (the first reason given wins)."""
        assert self._done is not None
        if not self._stopped:
            self._stopped = True
            self._ending, self._problem = ending, problem
            self.bus.closed = True
            self._done.set()

    def _on_livelock(self, error: Livelock) -> None:
        self.stop("livelock", str(error))

    def _busy(self) -> list[str]:
        return [f"{a.name}: {reason}" for a in self.actors if (reason := a.busy()) is not None]

    def _on_idle(self, next_when: float | None) -> bool:
        """Every task is blocked: end the run if it is finished, stuck, or past ``until``.

        Called at every jump of the clock, so the common case is cheap: the actor that was
        busy last time is asked first, and usually still is.
        """
        if self._stopped:
            return False
        if next_when is not None and next_when <= self.until:
            hint = self._busy_hint
            if hint is not None and not hint.settled():
                return False
            for actor in self.actors:
                if not actor.settled():
                    self._busy_hint = actor
                    return False
            if not self.bus.idle:
                return False
            self.stop("done")
            return True
        assert self._loop is not None
        busy = self._busy()
        if not busy and self.bus.idle:
            self.stop("done")
        elif next_when is None:
            self.stop("deadlock", self._describe_deadlock(busy))
        else:
            self._loop.advance_to(self.until)
            self.stop("until")
        return True

    def _describe_deadlock(self, busy: list[str]) -> str:
        assert self._loop is not None, "a deadlock is only seen on the virtual clock"
        actor_tasks = {f"actor:{a.name}" for a in self.actors}
        others = [line for line in describe_blocked_tasks(self._loop) if line.split(" ", 1)[0] not in actor_tasks]
        waits = [f"{a.name} waits on its mailbox" for a in self.actors if not a.dead]
        parts = busy + waits + [line for line in others if not line.startswith("run_async")]
        return (
            f"virtual deadlock at {format_vtime(anyio.current_time())}: nothing is scheduled and the run "
            f"is not finished ({'; '.join(parts)})"
        )

    # --- supervision -------------------------------------------------------------

    def inject_crash(self, name: str) -> None:
        """Arm a crash: the next handler or timer of the actor *name* raises."""
        self.actor(name).crash_next = True

    def actor_crashed(self, actor: Actor, env: Envelope[Any] | None, exc: Exception) -> None:
        """Publish ``ActorCrashed``, then restart *actor* (state rebuilt from the trace) or
        stop the run, as the supervision policy says."""
        restart = self.restart
        error = f"{type(exc).__name__}: {exc}"
        self.bus.publish(
            actor.name,
            ActorCrashed(
                actor=actor.name,
                message_kind=env.msg.kind if env else None,
                message_seq=env.seq if env else None,
                error=error,
                restart=restart,
            ),
            to=(),
            parent=env.seq if env else None,
            incident=env.incident if env else None,
        )
        if restart:
            replayed = actor.restart()
            self.bus.publish(actor.name, ActorRestarted(actor=actor.name, replayed=replayed), to=())
            return
        actor.kill()
        where = f" while handling {env.msg.kind} #{env.seq} at {format_vtime(env.t)}" if env else ""
        self.stop("crash", f"actor {actor.name} crashed{where}: {error}")
