"""Run a drill: ``python -m actors.run SCENARIO.yaml [options]``.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input or an output
that cannot be written (checked before anything runs; nothing written), 3 a crash inside
the simulation (an actor crashed, a virtual deadlock or livelock, or a broken invariant
such as message accounting), even if printing the report fails afterwards; 130, 143, 129
interrupted by Ctrl-C, SIGTERM, SIGHUP (nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

from bus.clock import DEFAULT_INSTANT_LIMIT
from bus.text import printable
from bus.vtime import DurationError, format_duration, format_vtime, parse_duration
from scenarios.limits import DEFAULT_MAX_MEMORY, DEFAULT_MAX_WORK, MAX_SEED, format_bytes, parse_bytes

if TYPE_CHECKING:  # the run's modules are imported when a run starts: --help stays quick
    from rich.console import Console

    from actors.console.view import TraceView
    from actors.engine.runtime import RunResult, Runtime
    from actors.outputs import Outputs
    from actors.responder import Seat
    from bus.clock import Pacer
    from bus.messages import Message
    from bus.trace import Envelope
    from scenarios.schema import Scenario

__all__ = ["main"]

EXIT_OK, EXIT_EXPECTATION, EXIT_INPUT, EXIT_CRASH = 0, 1, 2, 3
#: --speed bounds: a thousandth of real time to a billion times faster.
MIN_SPEED, MAX_SPEED = 0.001, 1e9

EPILOG = """\
examples:
  python -m actors.run scenarios/bad_deploy.yaml
  python -m actors.run scenarios/bad_deploy.yaml --seed 7 --trace-out trace.jsonl
  python -m actors.run scenarios/bad_deploy.yaml --speed 600     # 10 virtual minutes a second
  python -m actors.run scenarios/bad_deploy.yaml --until 2h --quiet
  python -m actors.run scenarios/bad_deploy.yaml --drop-ack L1           # L1 never acks
  python -m actors.run scenarios/escalation_drill.yaml --ack-loss 0.3 --seed 7
  python -m actors.run scenarios/bad_deploy.yaml --html report.html --perfetto trace.json
  python -m actors.run scenarios/bad_deploy.yaml --play alice --record shift.yaml   # you are alice
  python -m actors.run scenarios/bad_deploy.yaml --replay shift.yaml
  python -m actors.run --schema > scenario.schema.json

exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input,
            3 a crash inside the simulation
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with bad input as one line (exit 2), escaped, pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, printable(f"{self.prog}: error: {message} (see --help)") + "\n")


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{_arg(text)} is not a number (virtual seconds per wall second, e.g. 600)"
        ) from None
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"{_arg(text)} must lie between {MIN_SPEED:g} and {MAX_SPEED:g} (e.g. 600)")
    return value


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{_arg(text)} is not a seed (a whole number from 0 to 2**63 - 1)")
    return int(text)


def _size(text: str) -> int:
    try:
        return parse_bytes(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_arg(text)} is not a size (e.g. 512M, 4G)") from None


def _arg(text: str) -> str:
    """An argument quoted for an error line: escaped, and short."""
    shown = repr(text[:40] + ("..." if len(text) > 40 else ""))
    return printable(shown)


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{_arg(text)} is not a probability (a number from 0 to 1, e.g. 0.3)"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{_arg(text)} is not a probability (a number from 0 to 1, e.g. 0.3)")
    return value


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 13:
        raise argparse.ArgumentTypeError(f"{_arg(text)} is not a whole number (e.g. 200000)")
    value = int(text)
    if not 1 <= value <= 10**12:
        raise argparse.ArgumentTypeError(f"{_arg(text)} must lie between 1 and 10**12")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m actors.run",
        description="Run an on-call drill on the virtual clock and print its message trace.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", nargs="?", help="the scenario file (YAML)")
    parser.add_argument("--seed", type=_seed, help="the run's seed (default: the scenario's seed:)")
    parser.add_argument("--until", type=_duration, metavar="DURATION", help="stop at this virtual time (e.g. 6h)")
    parser.add_argument(
        "--speed", type=_speed, metavar="X", help="X virtual seconds per wall second (default: as fast as possible)"
    )
    parser.add_argument(
        "--drop-ack",
        action="append",
        default=[],
        metavar="LEVEL",
        help="drop every ack from this level's responders, or from one responder by name (repeatable, or L1,L2)",
    )
    parser.add_argument(
        "--ack-loss", type=_probability, default=0.0, metavar="P", help="drop any ack with probability P"
    )
    parser.add_argument(
        "--instant-limit",
        type=_count,
        default=DEFAULT_INSTANT_LIMIT,
        metavar="N",
        help=f"messages or timers at one virtual instant that end the run as a livelock (default {DEFAULT_INSTANT_LIMIT:,})",
    )
    parser.add_argument(
        "--max-memory",
        type=_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help=f"refuse a run estimated to need more memory than this (default {format_bytes(DEFAULT_MAX_MEMORY)})",
    )
    parser.add_argument(
        "--max-work",
        type=_count,
        default=DEFAULT_MAX_WORK,
        metavar="N",
        help=f"refuse a run estimated to take more steps than this (default {DEFAULT_MAX_WORK:,})",
    )
    parser.add_argument("--trace-out", metavar="FILE", help="write the trace as JSON lines to FILE")
    parser.add_argument(
        "--out", metavar="DIR", help="write postmortems (DIR/postmortems/INC-001.md) and regression cases here"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace files that --trace-out, --svg and --out would write"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the report, not the trace")
    parser.add_argument("--verbose", action="store_true", help="also print SLI reports and release weights")
    parser.add_argument("--only", metavar="KINDS", help="print only these message kinds (e.g. Page,Ack)")
    parser.add_argument("--incident", metavar="ID", help="print only the messages of one incident (e.g. INC-001)")
    parser.add_argument("--tree", action="store_true", help="indent each message under its causal parent")
    parser.add_argument("--svg", metavar="FILE", help="also save the console output as an SVG picture")
    parser.add_argument(
        "--html", metavar="FILE", help="write the run's report as one self-contained HTML file (charts, timelines)"
    )
    parser.add_argument(
        "--perfetto", metavar="FILE", help="write the trace as Chrome trace-event JSON (Perfetto, chrome://tracing)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change one field of the scenario by its path (e.g. escalation.levels[0].escalate_after=3m; repeatable): "
        "how a sweep's variant replays",
    )
    parser.add_argument(
        "--play",
        metavar="NAME",
        help="take this responder's place at the keyboard (Wheel of Misfortune): type ack, step, handoff, ... "
        "(help lists them); the clock runs at --speed (default 30 virtual seconds a second)",
    )
    parser.add_argument("--record", metavar="FILE", help="with --play: write the session's actions to FILE (YAML)")
    parser.add_argument(
        "--replay", metavar="FILE", help="replay a recorded session (its actions at their virtual times), no person"
    )
    parser.add_argument(
        "--pause-on-input",
        action="store_true",
        help="with --play: the clock stops at each page of yours until you type a line",
    )
    parser.add_argument("--schema", action="store_true", help="print the scenario JSON Schema and exit")
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: stop as Ctrl-C does. A KeyboardInterrupt, so neither an
    actor's handler nor the event loop can swallow it: asyncio re-raises only
    KeyboardInterrupt and SystemExit from a callback and logs any other BaseException (a
    signal landing inside a handler then looked like a virtual deadlock, exit 3)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _stoppable() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl-C while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _terminate) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    with _startup():
        return _main(args, argv)


@contextlib.contextmanager
def _startup() -> Iterator[None]:
    """The cyclic garbage collector paused while the modules load and the scenario is
    built (hundreds of classes and schemas, no garbage worth a pass: start-up is about a
    tenth quicker); :func:`_ready` resumes it before the run (which rests it in its own
    way: ``actors/engine/runtime.py``)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:  # as it was (main() may be called again in one process: tests)
        if was:
            gc.enable()


def _ready() -> None:
    """Called once the run is built: collection resumed."""
    gc.enable()


def _main(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    from actors.outputs import OutputError
    from scenarios.files import ScenarioError
    from scenarios.schema import Scenario

    if args.schema:
        print(json.dumps(Scenario.model_json_schema(), indent=2))
        return EXIT_OK
    if not args.scenario:
        print("python -m actors.run: error: name a scenario file, e.g. scenarios/bad_deploy.yaml", file=sys.stderr)
        return EXIT_INPUT
    try:
        scenario, runtime, outputs = prepare(args)
        _ready()
        stream = outputs.stream("--trace-out") if args.trace_out else None
    except (ScenarioError, OutputError) as exc:
        _error(str(exc))
        return EXIT_INPUT
    except OSError as exc:
        _error(f"--trace-out {printable(args.trace_out)}: cannot be written ({exc.strerror})")
        return EXIT_INPUT
    views: list[TraceView] = []
    try:
        with _stoppable():
            return _run(args, argv, scenario, runtime, outputs, stream, views)
    except (KeyboardInterrupt, Terminated) as exc:
        outputs.discard()
        signum = exc.signum if isinstance(exc, Terminated) else signal.SIGINT
        when = f" at {format_vtime(views[0].status.now)}" if views else ""
        with contextlib.suppress(OSError):
            print(f"interrupted{when} ({signal.Signals(signum).name}): nothing written", file=sys.stderr)
        return 128 + signum
    except BaseException:
        outputs.discard()
        raise


def prepare(args: argparse.Namespace) -> tuple[Scenario, Runtime, Outputs]:
    """Everything checked before anything runs: the scenario, its budget, the outputs."""
    from actors.outputs import OutputError, Outputs
    from actors.pipeline import Options, build
    from scenarios.budget import check_budget
    from scenarios.checks import routing_config, unreachable_routes
    from scenarios.files import ScenarioError
    from scenarios.loader import load_scenario

    sources: list[str] = []
    warnings: list[str] = []
    from scenarios.vary import parse_assignment

    assignments = []
    for text in args.set:
        try:
            name, steps, values = parse_assignment(text, many=False)
        except ValueError as exc:
            raise ScenarioError(f"--set {printable(text[:60])}: {exc}") from None
        assignments.append((name, steps, values[0]))
    scenario = load_scenario(args.scenario, sources=sources, warnings=warnings, assignments=assignments)
    routing = routing_config(scenario, args.scenario)
    if routing is not None:
        warnings += unreachable_routes(scenario, routing)
    for line in warnings:  # what the scenario's imports: could not map, skipped; routes nothing reaches
        with contextlib.suppress(OSError):
            print(f"warning: {printable(line)}", file=sys.stderr)
    seat = _seat(args, scenario)  # before the options: a recorded session brings its seed
    drop = [level.strip() for arg in args.drop_ack for level in arg.split(",") if level.strip()]
    options = Options(
        seed=args.seed,
        until=args.until,
        drop_ack=drop,
        ack_loss=args.ack_loss,
        instant_limit=args.instant_limit,
        keep_reports=False,  # they stream to the console and --trace-out; memory stays bounded
    )
    if seat is not None:
        options.seat = (args.play, seat)
    check_budget(scenario, args.scenario, args.until, max_memory=args.max_memory, max_work=args.max_work)
    runtime = build(scenario, options, path=args.scenario)  # after the budget: building allocates the windows
    outputs = Outputs(force=args.force, protected=sources)
    if args.trace_out is not None:
        outputs.file("--trace-out", args.trace_out)
    if args.svg is not None:
        outputs.file("--svg", args.svg)
    if args.html is not None:
        outputs.file("--html", args.html)
    if args.perfetto is not None:
        outputs.file("--perfetto", args.perfetto)
    if args.record is not None:
        if args.play is None:
            raise OutputError("--record: only with --play (it writes what the person did)")
        outputs.file("--record", args.record)
    if args.out is not None:
        outputs.folder("--out", args.out)
        outputs.out_file("regression_cases.yaml")
        outputs.out_folder("postmortems")
        _check_postmortems(os.path.join(args.out, "postmortems"), args)
    return scenario, runtime, outputs


def _seat(args: argparse.Namespace, scenario: Scenario) -> Seat | None:
    """The person's seat for --play (with --replay: the recorded actions), checked."""
    from actors.responder import Seat
    from scenarios.files import ScenarioError
    from scenarios.session import read_session

    if args.replay is not None:
        session = read_session(args.replay)
        if args.play is not None and args.play != session.player:
            raise ScenarioError(
                f"--play {printable(args.play)}: the session {printable(args.replay)} is {session.player}'s"
            )
        args.play = session.player
        if session.seed is not None and args.seed is not None and args.seed != session.seed:
            raise ScenarioError(
                f"--seed {args.seed}: the session {printable(args.replay)} was played on seed {session.seed}"
            )
        if session.seed is not None:
            args.seed = session.seed
        script = list(session.actions)
    else:
        script = []
    if args.play is None:
        if args.pause_on_input:
            raise ScenarioError("--pause-on-input: only with --play")
        return None
    people = [p.name for p in scenario.responders]
    if args.play not in people:
        raise ScenarioError(
            f"--play {printable(args.play)}: no such responder in {args.scenario} (responders: {', '.join(people) or 'none'})"
        )
    return Seat(say=lambda _line: None, script=script)


def _check_postmortems(folder: str, args: argparse.Namespace) -> None:
    """The postmortems' names come from the run; what is in their folder is checked now:
    no link in it at all, and no postmortem unless --force."""
    from actors.outputs import OutputError

    if not os.path.isdir(folder) or os.path.islink(folder):
        return
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.islink(path):
            raise OutputError(
                f"--out {printable(args.out)}: {printable(path)} is a symbolic link (outputs never follow links: remove it)"
            )
        if name.endswith(".md") and not args.force:
            raise OutputError(
                f"--out {printable(args.out)}: {printable(path)} already exists "
                "(use --force to replace postmortems, or another --out)"
            )


def _run(
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    scenario: Scenario,
    runtime: Runtime,
    outputs: Outputs,
    stream: IO[str] | None,
    views: list[TraceView],
) -> int:
    import yaml

    from actors.console.view import TraceView
    from actors.outputs import OutputError
    from bus.messages import PostmortemWritten, RegressionCaseAdded
    from scenarios.oncall import oncall_config

    if stream is not None:
        write = stream.write

        def to_file(env: Envelope[Message]) -> None:
            try:
                write(env.to_json() + "\n")
            except OSError as exc:  # a full disk: the run goes on; the commit says so
                outputs.failed("--trace-out", exc)
                runtime.bus.trace.sinks.remove(to_file)

        runtime.bus.trace.sinks.append(to_file)
    console = make_console(args)
    oncall = oncall_config(scenario, args.scenario)
    first = oncall.policies[oncall.services[oncall.default_service].policy] if oncall is not None else None
    view = TraceView(
        console,
        start=scenario.start,
        verbose=args.verbose,
        only=[k.strip() for k in (args.only or "").split(",") if k.strip()],
        incident=args.incident,
        tree=args.tree,
        quiet=args.quiet,
        # a recording keeps every refresh of the panel: picture the lines; a person typing
        # needs lines that stay put
        live_panel=not args.svg and args.play is None,
        escalate_after={rule.name: rule.delay for rule in first.rules} if first is not None else {},
    )
    views.append(view)
    runtime.bus.trace.sinks.append(view)
    person = _seated(args, runtime, view)
    speed, pacer = _pace(args, person)
    with view:
        # The wall clock enters here only, to pace --speed; the simulation never reads it.
        result = runtime.run(speed=speed, pacer=pacer)
    code = report(scenario, args, result, view)
    if person is not None:
        _score(args, scenario, result, view)
    if (args.only or args.incident) and view.shown == 0 and not args.quiet:
        _unmatched(args, result)
    if view.failure is not None:
        _error(f"the console stopped printing during the run ({view.failure}); the run went on")
    try:
        if args.out and code != EXIT_CRASH:
            for pm in result.trace.messages(PostmortemWritten):
                outputs.put("--out", pm.markdown, "postmortems", f"{pm.incident}.md")
            cases = [
                c.case.model_dump(mode="json", exclude_none=True) for c in result.trace.messages(RegressionCaseAdded)
            ]
            if cases:
                text = yaml.safe_dump(cases, sort_keys=False, allow_unicode=True)
                if not all(line.isprintable() for line in text.splitlines()):  # invisibles: escape it all
                    text = yaml.safe_dump(cases, sort_keys=False, allow_unicode=False)
                outputs.put("--out", text, "regression_cases.yaml")
        if args.html or args.perfetto or args.record:
            _pictures(args, scenario, result, outputs, code, person)
        if args.svg:
            shown = [a for a in (sys.argv[1:] if argv is None else argv) if a not in (args.svg, "--svg")]
            outputs.put("--svg", console.export_svg(title=printable("python -m actors.run " + " ".join(shown))))
        written = outputs.commit()
    except OutputError as exc:
        outputs.discard()
        _error(str(exc))
        return EXIT_CRASH if code == EXIT_CRASH else EXIT_INPUT
    view.say([f"wrote {path}" for path in written])
    return code


class _Person:
    """The keyboard of --play: lines typed go to the responder on the run's loop; with
    --pause-on-input the clock's pacing waits at each page until a line is typed."""

    def __init__(self, args: argparse.Namespace, responder: Any, view: TraceView) -> None:
        self.seat = responder.seat
        self.responder = responder
        self.view = view
        self.pause = args.pause_on_input
        self.waiting = threading.Event()
        self.waiting.set()
        self.seat.say = self.say
        if self.pause:
            self.seat.on_page = self.waiting.clear
        if args.replay is None:
            threading.Thread(target=self._read, name="keyboard", daemon=True).start()

    def say(self, line: str) -> None:
        """A line for the person: a page of theirs stands out (no sound, emphasis)."""
        self.view.say([f">> {line}"], style="bold reverse red" if line.startswith("PAGE") else "bold cyan")

    def sleep(self, seconds: float) -> None:
        """The pacer's sleep: real time passes; with --pause-on-input, not while a page
        waits for the person's line."""
        self.waiting.wait()
        time.sleep(seconds)

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in sys.stdin:
                self.waiting.set()
                loop = self.seat.loop
                while loop is None:
                    time.sleep(0.01)
                    loop = self.seat.loop
                with contextlib.suppress(RuntimeError):  # the run is over
                    loop.call_soon_threadsafe(self.responder.enter, line.strip())
        self.waiting.set()  # the keyboard closed: nobody will type; the clock runs on


def _seated(args: argparse.Namespace, runtime: Runtime, view: TraceView) -> _Person | None:
    if args.play is None:
        return None
    responder = next(a for a in runtime.actors if a.name == args.play)
    person = _Person(args, responder, view)
    if args.replay is None:
        person.say(f"you are {args.play}; type help for the commands. The clock is running.")
    return person


def _pace(args: argparse.Namespace, person: _Person | None) -> tuple[float | None, Pacer]:
    """--speed and the pacer: a person at the keyboard gets a pace they can follow."""
    pacer: Pacer = (time.monotonic, time.sleep)
    if person is None or args.replay is not None:
        return args.speed, pacer
    return args.speed or 30.0, (time.monotonic, person.sleep)


def _score(args: argparse.Namespace, scenario: Scenario, result: RunResult, view: TraceView) -> None:
    """The trainee's scorecard beside the simulated responder's on the same seed."""
    from actors.pipeline import Options, build
    from actors.report.digest import digest
    from actors.report.score import scorecard

    mine = scorecard(result.trace, digest(result.trace), args.play)
    drop = [level.strip() for arg in args.drop_ack for level in arg.split(",") if level.strip()]
    options = Options(seed=args.seed, until=args.until, drop_ack=drop, ack_loss=args.ack_loss, keep_reports=False)
    simulated = build(scenario, options, path=args.scenario).run()
    theirs = scorecard(simulated.trace, digest(simulated.trace), args.play)
    lines = [f"scorecard of {args.play} (you):", *(f"  {line}" for line in mine.lines())]
    lines += [f"the simulated {args.play} on the same seed:", *(f"  {line}" for line in theirs.lines())]
    view.say(lines)


def _pictures(
    args: argparse.Namespace,
    scenario: Scenario,
    result: RunResult,
    outputs: Outputs,
    code: int,
    person: _Person | None = None,
) -> None:
    """The --html report, the --perfetto trace and the --record session, staged to be
    written with the rest."""
    if person is not None and args.record:
        from scenarios.session import write_session

        seed = args.seed if args.seed is not None else scenario.seed
        outputs.put("--record", write_session(args.play, args.scenario, seed, person.seat.record))
    from actors.console.html import run_report
    from actors.console.perfetto import perfetto_trace
    from actors.engine.runtime import FAILED_ENDINGS
    from actors.report.digest import digest
    from actors.report.gate import evaluate

    seed = args.seed if args.seed is not None else scenario.seed
    people = [p.name for p in scenario.responders]
    if args.html:
        d = digest(result.trace)
        verdicts = [] if result.ending in FAILED_ENDINGS else evaluate(scenario.expect, d, people)
        replay = replay_command(args, seed)
        outputs.put("--html", run_report(scenario, result, d, verdicts, seed=seed, replay=replay, code=code))
    if args.perfetto:
        outputs.put("--perfetto", perfetto_trace(result.trace, people, result.ended_at, scenario.name) + "\n")


def _unmatched(args: argparse.Namespace, result: RunResult) -> None:
    """Say on stderr that --only / --incident let nothing through, and what there was."""
    kinds = sorted({env.kind for env in result.trace})
    incidents = sorted({env.incident for env in result.trace if env.incident})
    parts = []
    if args.only:
        parts.append(f"--only {args.only} matched no message kind (kinds in this run: {', '.join(kinds)})")
    if args.incident:
        parts.append(f"--incident {args.incident} matched no incident (incidents: {', '.join(incidents) or 'none'})")
    with contextlib.suppress(OSError):
        print(f"warning: {printable('; '.join(parts))}", file=sys.stderr, flush=True)


def _error(line: str) -> None:
    """One line on stderr (a closed stderr is not worth a traceback)."""
    with contextlib.suppress(OSError):
        print(f"error: {printable(line)}", file=sys.stderr, flush=True)


def replay_command(args: argparse.Namespace, seed: int) -> str:
    """The command that replays this run exactly: the seed and every flag that changes it,
    each shell-quoted, so the line is safe to paste whatever the scenario's file name."""
    parts = ["python", "-m", "actors.run", args.scenario, "--seed", str(seed)]
    for change in args.set:
        parts += ["--set", change]
    for level in args.drop_ack:
        parts += ["--drop-ack", level]
    if args.ack_loss:
        parts += ["--ack-loss", f"{args.ack_loss:g}"]
    if args.until is not None:
        parts += ["--until", format_duration(args.until)]
    replay = args.replay or (args.record if args.play else None)
    if replay:
        parts += ["--replay", replay]
    if args.instant_limit != DEFAULT_INSTANT_LIMIT:
        parts += ["--instant-limit", str(args.instant_limit)]
    return printable(" ".join(shlex.quote(part) for part in parts))


def make_console(args: argparse.Namespace) -> Console:
    """A terminal gets colour and the live panel; a pipe gets plain lines (NO_COLOR is
    honoured by rich). --svg also records what is printed, in colour unless NO_COLOR."""
    from actors.console.view import PipeSafeConsole

    console = PipeSafeConsole(record=bool(args.svg))
    if args.svg or not console.is_terminal:  # a pipe, a file or a picture: wide enough that tables do not fold
        console = PipeSafeConsole(record=bool(args.svg), width=140)
    return console


def report(scenario: Scenario, args: argparse.Namespace, result: RunResult, view: TraceView) -> int:
    """Print the end-of-run report and the eval gate; return the exit code, which the
    report's printing cannot change: a crash is 3 even if the console fails."""
    from actors.engine.runtime import FAILED_ENDINGS
    from actors.report.digest import digest
    from actors.report.gate import evaluate
    from actors.report.invariants import check_invariants

    seed = args.seed if args.seed is not None else scenario.seed
    endings = {
        "done": "the scenario finished",
        "until": "cut off at --until",
        "deadlock": "virtual deadlock",
        "crash": "an actor crashed",
        "livelock": "livelock: virtual time stopped moving",
    }
    header = f"== {scenario.name}: run over at {format_vtime(result.ended_at)} ({endings[result.ending]}) =="
    lines = [f"messages: {result.accounts.describe()}"]
    if result.busy and result.ending == "until":
        lines.append("still busy at cut-off: " + "; ".join(result.busy))
    d = digest(result.trace)
    if not args.out and d.postmortems:
        lines.append("postmortems and regression cases: not written (add --out DIR to write them)")
    lines.append(f"seed {seed}; replay: {replay_command(args, seed)}")
    invariants = check_invariants(d, result.accounts)
    broken = [i for i in invariants if not i.held]
    lines += [f"[FAIL] invariant: {inv.name}: {inv.detail}" for inv in broken]
    failed = bool(broken) or result.ending in FAILED_ENDINGS
    verdicts = [] if failed else evaluate(scenario.expect, d, [p.name for p in scenario.responders])
    if broken or result.ending in FAILED_ENDINGS:
        code = EXIT_CRASH
    else:
        code = EXIT_OK if all(v.passed for v in verdicts) else EXIT_EXPECTATION
    try:
        view.report(d, header, lines, verdicts)
    except Exception as exc:  # noqa: BLE001 - the verdict stands whatever the console does
        _error(f"the report could not be printed ({type(exc).__name__}: {exc})")
    if broken:
        _error(f"{len(broken)} invariant(s) broken: {', '.join(i.name for i in broken)}")
    elif result.ending in FAILED_ENDINGS:
        _error(str(result.problem))
    return code


def _exit(code: int) -> NoReturn:
    """Leave at once once everything is written and flushed: the interpreter's teardown of
    the run's objects (hundreds of classes and schemas) would add a tenth of a second to
    every run and change nothing (outputs are committed, files closed, inside main)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
