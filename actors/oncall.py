"""``python -m actors.oncall``: who gets paged, when: dry runs of a scenario's on-call config.

    python -m actors.oncall who SCENARIO [--at TIME]
    python -m actors.oncall timeline SCENARIO --service S [--at TIME] [--urgency high|low]
                                      [--severity sev1] [--drop-ack L1,ann]

``who`` prints, for each schedule, who is on call at TIME and until when (in the
schedule's zone), then for each service each rule of its policy and whom it would page.
``timeline`` triggers one incident on service S at TIME and prints every page,
notification, escalation, loop, ack and hand-off until it is acknowledged or the policy
is exhausted, by running the pager and the scenario's people on the virtual clock.
TIME is an ISO 8601 instant with an offset, or a virtual offset from the scenario's start
(``6h``; default 0). SCENARIO may import its configs (``imports: {pagerduty: [...]}``).
Bad input: one line naming the file, the field and the fix; exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal, NoReturn

from rich.console import Console
from rich.table import Table

from actors.domain.oncall import OnCallConfig, UrgencyRule
from actors.engine.actor import Actor
from actors.engine.runtime import Runtime
from actors.pager import Pager
from actors.pipeline import _instant, ack_drop_rules
from actors.responder import Responder
from bus.bus import Bus
from bus.faults import FaultLayer
from bus.messages import (
    AckTimedOut,
    Escalated,
    EscalationExhausted,
    HandedOff,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentTriggered,
    LadderRepeated,
    Page,
    ResponderNotified,
)
from bus.text import printable
from bus.vtime import MAX_SECONDS, format_duration, parse_duration
from scenarios.files import ScenarioError
from scenarios.loader import load_scenario
from scenarios.oncall import oncall_config
from scenarios.schema import Scenario

__all__ = ["main"]

#: How long a dry run may look ahead for an ack or the end of the policy.
HORIZON = 30 * 86400.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, printable(f"{self.prog}: error: {message} (see --help)") + "\n")


def _when(text: str, start: datetime) -> float:
    """TIME as virtual seconds from *start*: an instant with an offset, or a duration."""
    try:
        return parse_duration(text)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ScenarioError(f"--at {text!r}: an ISO 8601 instant with an offset, or an offset such as 6h") from None
    if at.tzinfo is None:
        raise ScenarioError(f"--at {text!r}: give the offset (e.g. -05:00 or Z): an instant, not a local time")
    offset = (at - start).total_seconds()
    if offset < 0:
        raise ScenarioError(f"--at {text!r}: before the scenario's start ({start.isoformat()}); pick a later instant")
    return offset


def _within(offset: float, text: str) -> float:
    """*offset* if a dry run from it stays within virtual time's bound."""
    if offset + HORIZON > MAX_SECONDS:
        raise ScenarioError(
            f"--at {text!r}: more than {format_duration(MAX_SECONDS - HORIZON)} after the scenario's start "
            "(virtual time ends at 3650d; move start: closer)"
        )
    return offset


def _load(path: str) -> tuple[Scenario, OnCallConfig]:
    scenario = load_scenario(path)
    config = oncall_config(scenario, path)
    if config is None:
        raise ScenarioError(f"{path}: pagerduty: nobody is paged in this scenario (add pagerduty: or escalation:)")
    return scenario, config


def _local(at: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def who(scenario: Scenario, config: OnCallConfig, offset: float, console: Console) -> None:
    start = _instant(scenario.start)
    at = start + timedelta(seconds=offset)
    table = Table(title=printable(f"on call at {at.isoformat()}"))
    for column in ("schedule or service", "level", "person", "until"):
        table.add_column(column)
    answers = {}
    for name, schedule in config.schedules.items():
        answer = schedule.on_call(at)
        answers[name] = answer
        ends = _local(answer.until, schedule.time_zone) if answer.until is not None else "for good"
        if not answer.changes:
            ends = f"at least {ends}"
        layer = f" ({answer.layer})" if answer.layer else ""
        table.add_row(printable(name), "-", printable((answer.user or "nobody") + layer), printable(ends))
    for name, service in config.services.items():
        policy = config.policies[service.policy]
        for rule in policy.rules:
            people: list[str] = []
            until: tuple[datetime, str] | None = None
            for target in rule.targets:
                if target.kind == "user":
                    people.append(target.name)
                    continue
                answer = answers[target.name]
                if answer.user is not None:
                    people.append(answer.user)
                if answer.until is not None and (until is None or answer.until < until[0]):
                    until = (answer.until, config.schedules[target.name].time_zone)
            when = _local(*until) if until else "-"
            table.add_row(printable(name), rule.name, printable(", ".join(dict.fromkeys(people)) or "nobody"), when)
    console.print(table)


class _Trigger(Actor):
    """Opens the one incident of a dry run, at its time."""

    def __init__(self, name: str, runtime: Runtime, at: float, incident: IncidentOpened) -> None:
        self.at, self.incident = at, incident
        super().__init__(name, runtime)

    def setup(self) -> None:
        self.done = False

    def busy(self) -> str | None:
        return None if self.done else "an incident to open"

    def on_start(self) -> None:
        self.call_at(self.at, self._open)

    def _open(self) -> None:
        self.done = True
        self.send(self.incident, to="pager", incident=self.incident.incident)


def timeline(
    scenario: Scenario,
    config: OnCallConfig,
    path: str,
    service: str,
    offset: float,
    urgency: Literal["high", "low"] | None,
    severity: str,
    drop: list[str],
    console: Console,
) -> None:
    if service not in config.services:
        raise ScenarioError(f"--service {service}: no such service in {path} (one of: {', '.join(config.services)})")
    if urgency is not None:  # the urgency asked for, whatever the service's rule says
        fixed = replace(config.services[service], urgency=UrgencyRule("constant", urgency=urgency))
        config = replace(config, services={**config.services, service: fixed})
    faults = FaultLayer(ack_drop_rules(scenario, drop, 0.0, path))
    start = _instant(scenario.start)
    rt = Runtime(scenario.seed, Bus(faults=faults), until=offset + HORIZON)
    incident = IncidentOpened(
        incident="DRY-RUN", title="dry run", root_service=service, symptom="dry_run",
        severity=severity, action="page", paging_service=service,
    )  # fmt: skip
    rt.add(_Trigger("correlator", rt, offset, incident))
    rt.add(Pager("pager", rt, config, start=start))
    for person in scenario.responders:
        rt.add(Responder(person.name, rt, person, config.levels, {}, start=start, capacity=1))
    result = rt.run()
    table = Table(title=printable(f"{service}: one incident at {(start + timedelta(seconds=offset)).isoformat()}"))
    for column in ("time", "after", "what", "who", "detail"):
        table.add_column(column)
    kinds = (IncidentTriggered, Page, ResponderNotified, IncidentAcknowledged, Escalated, LadderRepeated,
             AckTimedOut, HandedOff, EscalationExhausted)  # fmt: skip
    for env in result.trace:
        m = env.msg
        if not isinstance(m, kinds):
            continue
        if isinstance(m, ResponderNotified):
            who_, detail = m.responder, f"{m.method}: {'noticed' if m.noticed else 'slept through it'}"
        elif isinstance(m, Page):
            who_, detail = m.responder, f"{m.level} ({m.urgency} urgency)" + (f", loop {m.loop}" if m.loop else "")
        elif isinstance(m, IncidentAcknowledged):
            who_, detail = m.by, f"at {m.level}"
        elif isinstance(m, HandedOff):
            who_, detail = m.responder, m.reason
        else:
            who_, detail = "", m.summary()
        at = start + timedelta(seconds=env.t)
        table.add_row(at.isoformat(), format_duration(env.t - offset), m.kind, printable(who_), printable(detail))
        if isinstance(m, IncidentAcknowledged | EscalationExhausted):
            break
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m actors.oncall", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("who", help="who is on call at a time")
    w.add_argument("scenario")
    w.add_argument("--at", default="0s", help="an ISO 8601 instant with an offset, or an offset such as 6h")
    t = sub.add_parser("timeline", help="every page of one incident, until ack or exhaustion")
    t.add_argument("scenario")
    t.add_argument("--service", required=True)
    t.add_argument("--at", default="0s")
    t.add_argument("--urgency", choices=("high", "low"))
    t.add_argument("--severity", choices=("sev1", "sev2", "sev3", "sev4"), default="sev1")
    t.add_argument("--drop-ack", action="append", default=[], metavar="LEVEL_OR_NAME")
    args = parser.parse_args(argv)
    console = Console(highlight=False, soft_wrap=False, width=200 if not sys.stdout.isatty() else None)
    try:
        scenario, config = _load(args.scenario)
        offset = _when(args.at, _instant(scenario.start))
        if args.command == "who":
            who(scenario, config, offset, console)
        else:
            _within(offset, args.at)
            drop = [x.strip() for arg in args.drop_ack for x in arg.split(",") if x.strip()]
            timeline(scenario, config, args.scenario, args.service, offset, args.urgency, args.severity, drop, console)
    except ScenarioError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 141
    return 0


if __name__ == "__main__":
    sys.exit(main())
