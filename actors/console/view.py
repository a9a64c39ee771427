"""The console: a trace worth watching, a live status panel, and the run report.

The console layer (with the command line, which makes the ``Console``) is the only place
rich is imported, and a test holds it there; it reads envelopes and never touches the
simulation. One line per message: virtual time (and the drill's wall time), sender ->
recipients, the kind coloured by actor family, a short summary, the incident as a tag.
Dropped, delayed and duplicated copies show the rule that hit them; escalations stand out.
On a terminal a live panel (SLOs, open incidents with their countdown to the next
escalation, the live release) refreshes as virtual time moves; in a pipe the output is
plain lines with no control codes. ``NO_COLOR`` is honoured (rich reads it).

Every string that came from a scenario passes through :func:`bus.text.printable` on its
way to the console, and reaches rich as a ``Text`` (never as markup), so a name, a note or
a ticket cannot move the cursor, retitle the window, write the clipboard or forge a line
of the report. A console whose output is gone (a closed pipe) goes quiet instead of
failing the run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from actors.report.digest import Digest, pages_per_responder
from actors.report.gate import Verdict
from bus.messages import (
    EscalationExhausted,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    IncidentTriggered,
    Message,
    Page,
    ReleaseLive,
    SliReported,
)
from bus.text import printable
from bus.trace import Envelope
from bus.vtime import format_duration, format_vtime

__all__ = ["FAMILY_STYLES", "PipeSafeConsole", "TraceView"]

FAMILY_STYLES = {
    "scenario": "bright_white",
    "monitor": "cyan",
    "alertmanager": "bright_cyan",
    "correlator": "magenta",
    "pager": "yellow",
    "responder": "green",
    "release": "blue",
    "postmortem": "bright_black",
    "runtime": "bold red",
}
LOUD = {
    "Escalated": "bold yellow",
    "EscalationExhausted": "bold red",
    "AckTimedOut": "bold yellow",
    "ActorCrashed": "bold red",
}


#: Lines of a run (one kind, sender and instant) printed before the rest fold into one.
FOLD_HEAD = 2


@dataclass
class OpenIncident:
    """One open incident as the live panel shows it."""

    severity: str
    root: str
    state: str = "open"
    level: str = "-"
    holder: str = "-"
    #: Virtual time of its next escalation, if one is pending.
    deadline: float | None = None


@dataclass
class Status:
    """What the live panel shows, kept up to date from the envelopes."""

    slos: dict[str, SliReported] = field(default_factory=dict)
    incidents: dict[str, OpenIncident] = field(default_factory=dict)
    releases: dict[str, ReleaseLive] = field(default_factory=dict)
    now: float = 0.0

    def update(self, env: Envelope[Message], escalate_after: dict[str, float]) -> None:
        self.now = env.t
        m = env.msg
        if isinstance(m, SliReported):
            self.slos[m.slo] = m
        elif isinstance(m, ReleaseLive):
            self.releases[m.service] = m
        elif isinstance(m, IncidentOpened):
            self.incidents[m.incident] = OpenIncident(m.severity, m.root_service)
        elif isinstance(m, IncidentTriggered) and m.incident in self.incidents:
            i = self.incidents[m.incident]
            i.state, i.level = "triggered", m.level
        elif isinstance(m, Page) and m.incident in self.incidents:
            after = escalate_after.get(m.level)
            i = self.incidents[m.incident]
            i.level, i.holder, i.state = m.level, m.responder, "triggered"
            i.deadline = env.t + after if after else None
        elif isinstance(m, IncidentAcknowledged) and m.incident in self.incidents:
            i = self.incidents[m.incident]
            i.state, i.holder, i.deadline = "acked", m.by, None
        elif isinstance(m, EscalationExhausted) and m.incident in self.incidents:
            i = self.incidents[m.incident]
            i.state, i.deadline = "EXHAUSTED", None
        elif isinstance(m, IncidentResolved):
            self.incidents.pop(m.incident, None)

    def render(self) -> Panel:
        slos = Table(title="SLOs", expand=True, box=None)
        for col in ("slo", "SLI", "budget", "burn"):
            slos.add_column(col)
        # the eight burning fastest first (the root of a storm burns hardest), then by name
        worst = sorted(self.slos.items(), key=lambda kv: (-max(kv[1].burns.values(), default=0.0), kv[0]))[:8]
        for name, r in worst:
            style = "red" if r.action == "page" else "yellow" if r.action == "ticket" else ""
            burns = " ".join(f"{k} {v:.1f}x" for k, v in r.burns.items())
            slos.add_row(_cell(name), f"{r.sli:.1%}", f"{r.budget_remaining:.0%}", _cell(burns), style=style)
        incidents = Table(title="open incidents", expand=True, box=None)
        for col in ("incident", "sev", "root", "state", "level", "holder", "escalates in"):
            incidents.add_column(col)
        for iid, i in self.incidents.items():
            countdown = format_duration(max(0.0, i.deadline - self.now)) if i.deadline is not None else "-"
            incidents.add_row(*map(_cell, (iid, i.severity, i.root, i.state, i.level, i.holder, countdown)))
        live = " · ".join(
            f"{s}: {r.release}" + (f" + {r.candidate} {r.weight:.0%}" if r.candidate else "")
            for s, r in self.releases.items()
        )
        return Panel(
            Group(slos, incidents, Text(printable(f"live: {live or '-'}"))), title=f"shift at {format_vtime(self.now)}"
        )


class PipeSafeConsole(Console):
    """A rich console whose closed pipe does not end the process.

    rich answers a broken pipe by exiting with status 1 (``Console.on_broken_pipe``), which
    would replace a run's verdict; this one points stdout at the null device (so nothing
    fails again when the interpreter flushes it at exit) and raises ``BrokenPipeError``,
    which the view takes as "the output is gone" and the run goes on to its own verdict.
    """

    def on_broken_pipe(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a real file: nothing to point
            pass
        finally:
            os.close(devnull)
        raise BrokenPipeError


def _cell(value: str) -> Text:
    """A table cell from a string that may have come from a scenario: escaped, no markup."""
    return Text(printable(value))


class TraceView:
    """Prints the trace as it is recorded, and the report at the end."""

    def __init__(
        self,
        console: Console,
        *,
        start: datetime | None = None,
        verbose: bool = False,
        only: Sequence[str] = (),
        incident: str | None = None,
        tree: bool = False,
        quiet: bool = False,
        live_panel: bool = False,
        escalate_after: dict[str, float] | None = None,
    ) -> None:
        self.console = console
        self.start = start
        self.verbose = verbose
        self.only = [o.lower() for o in only]
        self.incident = incident
        self.tree = tree
        self.quiet = quiet
        self.status = Status()
        self.escalate_after = escalate_after or {}
        self._depth: dict[int, int] = {}
        #: The output went away (a closed pipe): nothing more is printed.
        self.closed = False
        #: Why the view stopped printing, if it failed (the run went on without it).
        self.failure: str | None = None
        self._live: Live | None = None
        #: How many lines the filters let through (none, with a filter: the run says so).
        self.shown = 0
        #: The run of lines of one kind, sender and instant being folded: its first line's
        #: envelope and the envelopes held back after the first FOLD_HEAD.
        self._run: tuple[str, str, float] | None = None
        self._held: list[Envelope[Message]] = []
        self._run_count = 0
        if live_panel and console.is_terminal and not quiet:
            self._live = Live(self.status.render(), console=console, auto_refresh=False, transient=False)

    # --- the trace -----------------------------------------------------------------------

    def __enter__(self) -> TraceView:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.quiet:
            try:
                self._fold()
            except OSError:
                self.gone()
        if self._live is not None:
            self._live.update(self.status.render(), refresh=True)
            self._live.stop()

    def wants(self, env: Envelope[Message]) -> bool:
        if self.incident is not None and env.incident != self.incident:
            return False
        if self.only:
            return any(o in env.kind.lower() for o in self.only)
        return self.verbose or (not isinstance(env.msg, SliReported) and env.kind != "ReleaseLive")

    def __call__(self, env: Envelope[Message]) -> None:
        if self.tree:
            self._depth[env.seq] = self._depth.get(env.parent, -1) + 1 if env.parent is not None else 0
        moved = env.t != self.status.now
        self.status.update(env, self.escalate_after)
        if self.quiet:
            return
        try:
            if self.wants(env):
                self.shown += 1
                self._print(env)
            if self._live is not None and moved:
                self._live.update(self.status.render(), refresh=True)
        except OSError:  # the terminal or the pipe is gone: the run goes on, unseen
            self.gone()
        except Exception as exc:  # noqa: BLE001 - a view must never change the simulation
            self.failure = f"{type(exc).__name__}: {exc}"
            self.gone()

    def _print(self, env: Envelope[Message]) -> None:
        """Print a line; without --verbose, a run of more than FOLD_HEAD + 1 lines of one
        kind from one sender at one instant (an alert storm) folds into its first lines
        and one line saying how many more, and from which services."""
        key = (env.kind, env.sender, env.t)
        if key != self._run:
            self._fold()
            self._run, self._run_count = key, 0
        self._run_count += 1
        if self.verbose or self._run_count <= FOLD_HEAD:
            self.console.print(self.line(env), soft_wrap=True, highlight=False)
        else:
            self._held.append(env)

    def _fold(self) -> None:
        """End the current run: print what was held back, folded when there is more than one."""
        held, self._held = self._held, []
        if len(held) == 1:
            self.console.print(self.line(held[0]), soft_wrap=True, highlight=False)
        elif held:
            services = list(
                dict.fromkeys(str(getattr(e.msg, "service", "")) for e in held if getattr(e.msg, "service", ""))
            )
            where = ""
            if services:
                shown = ", ".join(services[:4]) + (f" +{len(services) - 4}" if len(services) > 4 else "")
                where = f" from {len(services)} service(s): {shown}"
            text = Text(f"{'':>13}  ", style="dim")
            text.append(
                printable(f"... and {len(held)} more {held[0].kind}{where} (--verbose shows each)"), style="dim"
            )
            self.console.print(text, soft_wrap=True, highlight=False)

    def gone(self) -> None:
        """The output is closed: print nothing more (the exit code still tells)."""
        self.quiet = True
        self.closed = True
        if self._live is not None:
            self._live.transient = True
            self._live = None

    def line(self, env: Envelope[Message]) -> Text:
        when = format_vtime(env.t)
        if self.start is not None:
            when += " " + (self.start + timedelta(seconds=env.t)).strftime("%H:%M:%S")
        text = Text(f"{when:>13}  ", style="dim")
        if self.tree:
            depth = min(self._depth.get(env.seq, 0), 6)
            text.append("  " * depth + ("└ " if depth else ""), style="dim")
        family = type(env.msg).family
        style = FAMILY_STYLES.get(family, "")
        to = ",".join(env.to) if env.to else "*"
        text.append(printable(f"{env.sender} → {to}  "), style="dim")
        text.append(env.kind + "  ", style=LOUD.get(env.kind, f"bold {style}"))
        summary = env.msg.summary()
        if summary:
            text.append(printable(f"{summary}  "), style=LOUD.get(env.kind, style))
        if env.incident:
            text.append(printable(f"[{env.incident}]"), style="bold")
        text.rstrip()
        for fault in env.faults:
            who, rule = printable(fault.recipient), printable(fault.rule)
            if fault.action == "drop":
                text.append(f"\n{'':>15}✗ dropped for {who} by rule {rule}", style="bold red")
            elif fault.action == "delay":
                text.append(f"\n{'':>15}⧗ delayed {fault.delay:g}s for {who} by rule {rule}", style="red")
            else:
                text.append(f"\n{'':>15}⧉ duplicated for {who} by rule {rule}", style="red")
        return text

    # --- the report ----------------------------------------------------------------------

    def incidents_table(self, d: Digest) -> Table | None:
        metrics = d.incidents
        if not metrics:
            return None
        table = Table(title="incidents", title_justify="left")
        for col in ("incident", "root cause", "sev", "alerts", "ack", "resolve", "level", "pages", "notes"):
            table.add_column(
                col, justify="right" if col in ("alerts", "ack", "resolve", "pages") else "left", no_wrap=col != "notes"
            )
        for m in metrics.values():
            notes = []
            if m.exhausted:
                notes.append("LADDER EXHAUSTED" + (" (handed off, nobody left)" if m.exhausted_why else ""))
            if m.dropped_acks:
                notes.append(f"{m.dropped_acks} ack(s) dropped")
            if m.source == "ticket":
                notes.append("from a ticket")
            if m.resolved_at is None:
                notes.append("open")
            table.add_row(
                *map(
                    _cell,
                    (
                        m.incident,
                        m.root,
                        m.severity,
                        str(m.alerts),
                        format_duration(m.time_to_ack) if m.time_to_ack is not None else "-",
                        format_duration(m.time_to_resolve) if m.time_to_resolve is not None else "-",
                        m.level or "-",
                        str(m.pages),
                    ),
                ),
                Text(", ".join(notes), style="bold red" if m.exhausted else ""),
            )
        return table

    def report(self, d: Digest, header: str, lines: Sequence[str], verdicts: Sequence[Verdict]) -> None:
        """Print the end-of-run report (nothing if the output is gone)."""
        try:
            self._report(d, header, lines, verdicts)
        except BrokenPipeError:
            self.gone()

    def say(self, lines: Sequence[str], style: str = "") -> None:
        """Print plain lines (in *style*, e.g. a page for the person at the keyboard),
        escaped (nothing if the output is gone)."""
        try:
            for line in lines:
                self.console.print(Text(printable(line), style=style), soft_wrap=True, highlight=False)
        except BrokenPipeError:
            self.gone()

    def _report(self, d: Digest, header: str, lines: Sequence[str], verdicts: Sequence[Verdict]) -> None:
        if self.closed:
            return
        c = self.console
        c.print()
        c.print(Text(printable(header), style="bold"), soft_wrap=True)
        table = self.incidents_table(d)
        if table is not None:
            c.print(table)
            pages = pages_per_responder(d)
            if pages:
                said = "pages per responder: " + ", ".join(f"{who} {n}" for who, n in pages.items())
                c.print(Text(printable(said)), soft_wrap=True)
        for line in lines:
            c.print(Text(printable(line)), soft_wrap=True, highlight=False)
        if verdicts:
            c.print()
            for v in verdicts:
                mark = Text("[PASS] ", style="bold green") if v.passed else Text("[FAIL] ", style="bold red")
                row = Text("  ").append(mark).append(printable(f"{v.name}: {v.figure}"))
                c.print(row, soft_wrap=True, highlight=False)
            passed = sum(v.passed for v in verdicts)
            c.print(f"{passed}/{len(verdicts)} checks passed", highlight=False)
            ok = passed == len(verdicts)
            c.print(
                Text(
                    "EVAL GATE: PASS (exit 0)" if ok else "EVAL GATE: FAIL (exit 1)",
                    style="bold green" if ok else "bold red",
                )
            )
