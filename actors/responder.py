"""A responder: one person on call, at one level of the ladder.

On a page: acknowledge after their ack delay (fixed, or drawn from their seeded RNG), unless
off shift or with the phone off. Once the pager confirms *their* ack, triage (the fault
signature the alerts carry, else the alert's symptom, names the runbook), then run its
steps in order, each taking its time; after each step read the service's next SLI report
and stop as soon as it is within its SLO (the lab's ``run_runbook``), then resolve.

A step they may not run (below its ``min_level``), or a runbook run out while the service
is still unhealthy, hands the incident off: the pager pages the next level, with what was
tried, and the next responder carries on from the first step not yet tried.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from actors.engine.actor import Actor, Host
from bus.messages import (
    FixApplied,
    HandedOff,
    IncidentAcknowledged,
    IncidentResolved,
    MitigationApplied,
    Page,
    PageAcked,
    RequestRollback,
    ResponderNotified,
    SliReported,
    StepTaken,
)
from bus.trace import Envelope
from scenarios.schema import ResponderDef, Spread, StepDef
from scenarios.session import ACTION_VERBS

__all__ = ["COMMANDS", "Responder", "Seat", "Work"]

#: What a person at the keyboard may type (``--play``): the actions, which enter the trace
#: as their messages, and the questions, which only answer.
COMMANDS = {
    "ack INC": "acknowledge a page",
    "step INC NAME|N": "run a step of the incident's runbook (by name or number)",
    "rollback SERVICE": "roll back the service's last release (the runbook's rollback step, if it has one)",
    "handoff INC [note]": "hand the incident to the next level of the ladder",
    "resolve INC [note]": "resolve the incident",
    "status": "your pages and incidents",
    "look SERVICE": "the service's SLIs, budget, recent alerts and deploys",
    "runbook INC": "the incident's runbook: its steps and who may run them",
    "help": "this list",
}
ACTIONS = ACTION_VERBS


@dataclass
class Seat:
    """A person at the keyboard in a responder's place (``--play``): what they are told
    goes to *say*; *script* holds actions to replay at their virtual times (a recorded
    session); *record* collects every action taken, at its virtual time."""

    say: Callable[[str], None]
    script: list[tuple[float, str]] = field(default_factory=list)
    record: list[tuple[float, str]] = field(default_factory=list)
    #: the run's event loop, once the responder starts (a typed line is handed to it)
    loop: Any = None
    #: called when a page comes for the person (e.g. to pause the clock for their answer)
    on_page: Callable[[], None] | None = None


@dataclass
class Work:
    """An incident a responder is working on."""

    page: Page
    steps: list[StepDef]
    runbook: str | None
    tried: list[str] = field(default_factory=list)
    #: Virtual time the last step took effect; the SLI reports after it decide.
    awaiting: float | None = None
    last_sli: float | None = None
    #: Reports in a row since then in which no paging rule burned.
    calm: int = 0


class Responder(Actor):
    """One person: acks pages, runs runbooks, resolves or hands off."""

    family = "responder"
    #: SliReported too, but only while a step's effect is awaited (see :meth:`_watch`)
    subscribes = (IncidentAcknowledged, IncidentResolved)

    def __init__(
        self,
        name: str,
        host: Host,
        profile: ResponderDef,
        levels: list[str],
        runbooks: dict[str, list[StepDef]],
        pager: str = "pager",
        start: datetime | None = None,
        capacity: int | None = None,
        seat: Seat | None = None,
    ) -> None:
        #: a person at the keyboard decides instead (None: simulated)
        self.seat = seat
        self.profile = profile
        self.levels = levels
        self.runbooks = runbooks
        self.pager = pager
        self.start = start or datetime(2026, 1, 1, tzinfo=UTC)
        #: incidents worked at once (None: any number); the profile's own figure wins
        self.capacity = profile.capacity if profile.capacity is not None else capacity
        self.zone = ZoneInfo(profile.time_zone)
        super().__init__(name, host)

    def setup(self) -> None:
        self.pages: dict[str, Page] = {}
        self.work: dict[str, Work] = {}
        self.resolved: set[str] = set()
        #: incidents they will ack (noticed, or on the way), not yet confirmed
        self.acking: set[str] = set()
        #: pages that came while they were at capacity, oldest first (when_busy: wait)
        self.waiting: list[str] = []
        #: incidents someone else acknowledged
        self.taken: set[str] = set()

    def busy(self) -> str | None:
        return f"working on {', '.join(self.work)}" if self.work else None

    def on_shift(self, now: float) -> bool:
        shifts = self.profile.shifts
        return not shifts or any(s.start <= now < s.end for s in shifts)

    def rank(self, level: str | None) -> int:
        return self.levels.index(level) if level in self.levels else -1

    def asleep(self, now: float) -> bool:
        """Whether virtual time *now* falls in their night, in their time zone."""
        night = self.profile.night
        if night is None:
            return False
        local = (self.start + timedelta(seconds=now)).astimezone(self.zone).strftime("%H:%M:%S")
        start, end = (t if t.count(":") == 2 else t + ":00" for t in (night.start, night.end))
        return start <= local < end if start <= end else (local >= start or local < end)

    # --- pages ---------------------------------------------------------------------------

    def on_page(self, msg: Page, env: Envelope[Page]) -> None:
        if self.seat is not None:
            self.pages[msg.incident] = msg
            self.taken.discard(msg.incident)
            self.seat.say(
                f"PAGE for you: {msg.incident} {msg.severity} at {msg.level} ({msg.service} {msg.symptom}): "
                f"{msg.reason}. Type: ack {msg.incident}"
            )
            if self.seat.on_page is not None:
                self.seat.on_page()
            return
        if msg.incident in self.resolved or self.profile.phone == "off" or not self.on_shift(self.now):
            return  # the page rings out unanswered
        self.pages[msg.incident] = msg
        self.taken.discard(msg.incident)  # paged again: nobody holds it now
        mine = msg.incident in self.work or msg.incident in self.acking
        if self.capacity is not None and not mine and len(self.work) + len(self.acking) >= self.capacity:
            if self.profile.when_busy == "hand_off":
                busy_with = ", ".join([*self.work, *self.acking])
                self.send(
                    HandedOff(
                        incident=msg.incident,
                        responder=self.name,
                        level=msg.level,
                        tried=list(msg.tried),
                        reason=f"busy with {busy_with}",
                        cause="busy",
                    ),
                    to=self.pager,
                    incident=msg.incident,
                )
            elif msg.incident not in self.waiting:
                self.waiting.append(msg.incident)
            return
        self._answer(msg)

    def _answer(self, msg: Page) -> None:
        """Notice the page (by their notification rules) and ack after their delay."""
        rules = sorted(
            (r for r in self.profile.notification_rules if r.urgency == msg.urgency),
            key=lambda r: r.start_delay_in_minutes,
        )
        notice = 0.0
        if rules:
            night = self.profile.night
            noticed = None
            for rule in rules:
                after = rule.start_delay_in_minutes * 60
                woke = not self.asleep(self.now + after) or (night is not None and rule.type in night.wakes_on)
                self.call_later(after, self._notified, msg, rule.type, after, woke)
                if woke:
                    noticed = after
                    break
            if noticed is None:
                return  # asleep through every notification: the rule escalates
            notice = noticed
        self.acking.add(msg.incident)
        delay = self.profile.ack_after
        if (
            self.profile.night is not None
            and self.profile.night.ack_after is not None
            and self.asleep(self.now + notice)
        ):
            delay = self.profile.night.ack_after
        if isinstance(delay, Spread):
            delay = round(self.rng.uniform(delay.min, delay.max), 3)  # whole ms, as every duration
        self.call_later(notice + delay, self._ack, msg)

    def _notified(self, page: Page, method: str, after: float, noticed: bool) -> None:
        self.send(
            ResponderNotified(incident=page.incident, responder=self.name, method=method, after=after, noticed=noticed),
            to=(),
            incident=page.incident,
        )

    def _free(self) -> None:
        """Work ended: take the oldest waiting page nobody else took."""
        while self.waiting and (self.capacity is None or len(self.work) + len(self.acking) < self.capacity):
            incident = self.waiting.pop(0)
            page = self.pages.get(incident)
            if page is None or incident in self.resolved or incident in self.taken:
                continue
            self._answer(page)

    def _ack(self, page: Page) -> None:
        if page.incident in self.resolved:
            self.acking.discard(page.incident)
            return
        self.send(
            PageAcked(incident=page.incident, responder=self.name, level=page.level),
            to=self.pager,
            incident=page.incident,
        )

    def on_incident_acknowledged(self, msg: IncidentAcknowledged, env: Envelope[IncidentAcknowledged]) -> None:
        if msg.by != self.name:
            self.taken.add(msg.incident)
            if msg.incident in self.acking:  # someone was faster: their ack will be ignored
                self.acking.discard(msg.incident)
                self._free()
            return
        self.acking.discard(msg.incident)
        page = self.pages.get(msg.incident)
        if page is None or msg.incident in self.work:
            return
        work = self._work_for(page)
        self.work[msg.incident] = work
        if self.seat is not None:
            self.seat.say(f"you hold {msg.incident}; " + self._runbook_text(work))
            return
        self._next_step(work)

    def _work_for(self, page: Page) -> Work:
        """The work a page makes: the runbook its fault signature names, else its symptom's."""
        runbook = next((k for k in (page.signature, page.symptom) if k and k in self.runbooks), None)
        return Work(page, list(self.runbooks.get(runbook, [])) if runbook else [], runbook, list(page.tried))

    def on_incident_resolved(self, msg: IncidentResolved, env: Envelope[IncidentResolved]) -> None:
        self.resolved.add(msg.incident)
        self.work.pop(msg.incident, None)
        self.pages.pop(msg.incident, None)
        self.acking.discard(msg.incident)
        self._free()
        self._watch()

    # --- the runbook ---------------------------------------------------------------------

    def _next_step(self, work: Work) -> None:
        page = work.page
        remaining = [s for s in work.steps if s.name not in work.tried]
        if not remaining:
            sli = f"SLI still {work.last_sli:.0%}" if work.last_sli is not None else "no runbook step left"
            reason = (
                f"no runbook for {page.signature or page.symptom}"
                if work.runbook is None
                else f"runbook {work.runbook} exhausted, {sli}"
            )
            self._hand_off(work, reason)
            return
        step = remaining[0]
        if step.min_level is not None and self.rank(self.profile.level or page.level) < self.rank(step.min_level):
            self._hand_off(work, f"{step.name!r} needs {step.min_level} or above", "min_level")
            return
        takes = step.takes if step.takes is not None else self.profile.step_time
        self.call_later(takes, self._apply, work, step)

    def _apply(self, work: Work, step: StepDef) -> None:
        if work.page.incident not in self.work:
            return  # resolved meanwhile
        service = step.service or work.page.service
        work.tried.append(step.name)
        incident = work.page.incident
        self.send(
            StepTaken(
                incident=work.page.incident,
                responder=self.name,
                step=step.name,
                action=step.action,
                service=service,
                number=len(work.tried),
            ),
            incident=incident,
        )
        if step.action == "mitigate":
            assert step.sli is not None
            self.send(MitigationApplied(service=service, step=step.name, sli=step.sli), incident=incident)
        elif step.action == "fix":
            assert step.signature is not None
            self.send(FixApplied(service=service, step=step.name, signature=step.signature), incident=incident)
        else:
            self.send(RequestRollback(service=service, reason=f"{incident}: {step.name}"), incident=incident)
        work.awaiting = self.now
        self._watch()

    def on_sli_reported(self, msg: SliReported, env: Envelope[SliReported]) -> None:
        """After a step took effect, each report of the incident's SLO decides (README,
        "Recovery"): recovered once no paging rule has burned for ``recovery_hold``
        reports in a row (ticket tiers do not gate it, and one lucky sample cannot pass for
        a recovery); else a sample below the objective with a step left: the next step; no
        step left and a sample burning at a paging rate while a paging rule burns: hand
        off; otherwise wait for the windows to clear."""
        for work in list(self.work.values()):
            page = work.page
            if work.awaiting is None or env.t <= work.awaiting:
                continue
            if msg.service != page.service or msg.symptom != page.symptom:
                continue
            work.last_sli = msg.sli
            work.calm = 0 if msg.paging else work.calm + 1
            if work.calm >= self.profile.recovery_hold:
                self._recovered(work, msg)
                continue
            left = any(s.name not in work.tried for s in work.steps)
            burn = (1.0 - msg.sli) / (1.0 - msg.objective) if msg.objective < 1 else 0.0
            hopeless = msg.paging and msg.page_at is not None and burn > msg.page_at
            if (left and msg.sli < msg.objective) or (not left and hopeless):
                work.awaiting, work.calm = None, 0
                self._next_step(work)
        self._watch()

    def _watch(self) -> None:
        """Take the SLI reports only while a step's effect is awaited: most of a day's
        messages are reports, and a responder off work has nothing to read in them. A
        person at the keyboard reads the SLIs with ``look`` instead."""
        if self.seat is not None:
            return
        services = {w.page.service for w in self.work.values() if w.awaiting is not None}
        self.bus.watch(self.name, SliReported, bool(services), services)

    def _recovered(self, work: Work, msg: SliReported) -> None:
        page = work.page
        work.awaiting = None
        self.work.pop(page.incident, None)
        self.send(
            IncidentResolved(
                incident=page.incident,
                by=self.name,
                reason=(
                    f"recovered: no paging rule burned for {work.calm} report(s) after {len(work.tried)} step(s) "
                    f"(SLI {msg.sli:.1%}, objective {msg.objective:.1%})"
                ),
            ),
            incident=page.incident,
        )
        self._free()

    def _hand_off(self, work: Work, reason: str, cause: Literal["min_level", "runbook", "person"] = "runbook") -> None:
        page = work.page
        self.work.pop(page.incident, None)
        self.taken.add(page.incident)  # theirs no more: a later page of it is a new one
        self.send(
            HandedOff(
                incident=page.incident,
                responder=self.name,
                level=page.level,
                tried=list(work.tried),
                reason=reason,
                cause=cause,
            ),
            to=self.pager,
            incident=page.incident,
        )
        self._free()
        self._watch()

    # --- a person at the keyboard ----------------------------------------------------------

    def on_start(self) -> None:
        seat = self.seat
        if seat is None:
            return
        seat.loop = asyncio.get_running_loop()
        for at, text in seat.script:  # a recorded session: each action at its own time
            self.call_at(at, self._act, text, first=True)

    def enter(self, text: str) -> None:
        """A line the person typed, handed in on the run's loop: a question is answered at
        once; an action is taken a millisecond of virtual time later, ahead of anything
        else at that instant (as a recorded one is on replay)."""
        words = text.split()
        if not words:
            return
        if words[0].lower() in ACTIONS:
            self.call_at(round(self.now + 0.001, 6), self._act, text.strip(), first=True)
        else:
            self._ask(words)

    def _act(self, text: str) -> None:
        """Take one action (a recorded one, or one just typed)."""
        assert self.seat is not None
        self.seat.record.append((self.now, text))
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        verb, args = words[0].lower(), words[1:]
        problem = getattr(self, f"_do_{verb}")(args)
        if problem:
            self.seat.say(f"{verb}: {problem}")

    def _do_ack(self, args: list[str]) -> str | None:
        if not args:
            return "which incident? (ack INC-001)"
        page = self.pages.get(args[0])
        if page is None or args[0] in self.resolved:
            return f"no page of yours for {args[0]} (status lists them)"
        self.send(PageAcked(incident=page.incident, responder=self.name, level=page.level), to=self.pager,
                  incident=page.incident)  # fmt: skip
        return None

    def _held(self, incident: str) -> Work | str:
        work = self.work.get(incident)
        if work is None:
            return f"you do not hold {incident} (ack it first; status lists yours)"
        return work

    def _do_step(self, args: list[str]) -> str | None:
        if len(args) < 2:
            return "give the incident and the step (step INC-001 1, or its name)"
        work = self._held(args[0])
        if isinstance(work, str):
            return work
        wanted = " ".join(args[1:])
        steps = work.steps
        step = steps[int(wanted) - 1] if wanted.isdigit() and 0 < int(wanted) <= len(steps) else None
        step = step or next((s for s in steps if s.name.lower() == wanted.lower()), None)
        if step is None:
            return f"no step {wanted!r} in {work.runbook or 'its runbook (none)'} (runbook {args[0]} lists them)"
        return self._run(work, step)

    def _run(self, work: Work, step: StepDef) -> str | None:
        if step.min_level is not None and self.rank(self.profile.level or work.page.level) < self.rank(step.min_level):
            return f"{step.name!r} needs {step.min_level} or above: hand it off (handoff {work.page.incident})"
        takes = step.takes if step.takes is not None else self.profile.step_time
        self.call_later(takes, self._apply, work, step)
        return None

    def _do_rollback(self, args: list[str]) -> str | None:
        if not args:
            return "which service? (rollback support-agent)"
        service = args[0]
        for work in self.work.values():
            for step in work.steps:
                if step.action == "rollback" and (step.service or work.page.service) == service:
                    return self._run(work, step)
        held = next((w for w in self.work.values() if w.page.service == service), None)
        if held is None:
            return f"you hold no incident on {service}"
        return self._run(held, StepDef(name=f"roll back {service}", action="rollback", service=service))

    def _do_handoff(self, args: list[str]) -> str | None:
        if not args:
            return "which incident? (handoff INC-001 [note])"
        work = self._held(args[0])
        if isinstance(work, str):
            return work
        self._hand_off(work, " ".join(args[1:]) or "handed off", "person")
        return None

    def _do_resolve(self, args: list[str]) -> str | None:
        if not args:
            return "which incident? (resolve INC-001 [note])"
        work = self._held(args[0])
        if isinstance(work, str):
            return work
        note = " ".join(args[1:]) or f"resolved by {self.name}"
        self.work.pop(work.page.incident, None)
        self.send(IncidentResolved(incident=work.page.incident, by=self.name, reason=note), incident=work.page.incident)
        return None

    def _runbook_text(self, work: Work) -> str:
        if not work.steps:
            return f"no runbook for {work.page.signature or work.page.symptom}"
        steps = "; ".join(
            f"{i}. {s.name} ({s.action}"
            + (f", needs {s.min_level}" if s.min_level else "")
            + ")"
            + (" [done]" if s.name in work.tried else "")
            for i, s in enumerate(work.steps, 1)
        )
        return f"runbook {work.runbook}: {steps}"

    def _ask(self, words: list[str]) -> None:
        """The questions: answered from what the person could see (the run's trace)."""
        assert self.seat is not None
        verb, args = words[0].lower(), words[1:]
        say = self.seat.say
        if verb == "status":
            pages = [i for i in self.pages if i not in self.resolved and i not in self.work]
            say(
                f"T+{self.now:.0f}s; paged for: {', '.join(pages) or 'nothing'}; holding: {', '.join(self.work) or 'nothing'}"
            )
        elif verb == "runbook" and args:
            work = self.work.get(args[0])
            page = self.pages.get(args[0])
            if work is None and page is not None:
                work = self._work_for(page)
            say(self._runbook_text(work) if work else f"nothing known of {args[0]}")
        elif verb == "look" and args:
            say(self._look(args[0]))
        else:
            say("commands: " + "; ".join(f"{k}: {v}" for k, v in COMMANDS.items()))

    def _look(self, service: str) -> str:
        from bus.messages import AlertFired, Deployed, RolledBack

        samples = self.bus.trace.series.samples(service, since=self.now - 300)
        latest = {s.slo: s for s in samples}
        slis = ", ".join(f"{s.slo} SLI {s.sli:.2%}, budget {s.budget_remaining:.0%}" for s in latest.values())
        recent = [e for e in self.bus.trace.envelopes[-2000:] if e.t >= self.now - 3600]
        alerts = [e.msg.summary() for e in recent if isinstance(e.msg, AlertFired) and e.msg.service == service][-3:]
        changes = [
            e.msg.summary() for e in recent if isinstance(e.msg, Deployed | RolledBack) and e.msg.service == service
        ][-2:]
        return f"{service}: {slis or 'no SLO'}; alerts: {' | '.join(alerts) or 'none in the last hour'}; changes: {' | '.join(changes) or 'none'}"
