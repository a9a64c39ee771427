"""Run a drill: ``python -m actors.run SCENARIO.yaml [options]``.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input (nothing run,
nothing written), 3 a crash inside the simulation (an actor crashed, a virtual deadlock,
or a broken invariant such as message accounting), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

import yaml
from rich.console import Console

from actors.console.view import TraceView
from actors.engine.runtime import RunResult
from actors.pipeline import Options, build
from actors.report.digest import digest
from actors.report.gate import evaluate
from actors.report.invariants import check_invariants
from bus.messages import PostmortemWritten, RegressionCaseAdded
from bus.trace import JsonlSink, Trace
from bus.vtime import DurationError, format_duration, format_vtime, parse_duration
from scenarios.loader import ScenarioError, load_scenario
from scenarios.schema import Scenario

__all__ = ["main"]

EXIT_OK, EXIT_EXPECTATION, EXIT_INPUT, EXIT_CRASH = 0, 1, 2, 3

EPILOG = """\
examples:
  python -m actors.run scenarios/bad_deploy.yaml
  python -m actors.run scenarios/bad_deploy.yaml --seed 7 --trace-out trace.jsonl
  python -m actors.run scenarios/bad_deploy.yaml --speed 600     # 10 virtual minutes a second
  python -m actors.run scenarios/bad_deploy.yaml --until 2h --quiet
  python -m actors.run scenarios/bad_deploy.yaml --drop-ack L1           # L1 never acks
  python -m actors.run scenarios/escalation_drill.yaml --ack-loss 0.3 --seed 7
  python -m actors.run --schema > scenario.schema.json

exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input,
            3 a crash inside the simulation
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


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
            f"{text!r} is not a number (virtual seconds per wall second, e.g. 600)"
        ) from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0 (e.g. 600)")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability (a number from 0 to 1, e.g. 0.3)") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability (a number from 0 to 1, e.g. 0.3)")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m actors.run",
        description="Run an on-call drill on the virtual clock and print its message trace.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", nargs="?", help="the scenario file (YAML)")
    parser.add_argument("--seed", type=int, help="the run's seed (default: the scenario's seed:)")
    parser.add_argument("--until", type=_duration, metavar="DURATION", help="stop at this virtual time (e.g. 6h)")
    parser.add_argument(
        "--speed", type=_speed, metavar="X", help="X virtual seconds per wall second (default: as fast as possible)"
    )
    parser.add_argument(
        "--drop-ack",
        action="append",
        default=[],
        metavar="LEVEL",
        help="drop every ack from this level's responders (repeatable, or L1,L2)",
    )
    parser.add_argument(
        "--ack-loss", type=_probability, default=0.0, metavar="P", help="drop any ack with probability P"
    )
    parser.add_argument("--trace-out", metavar="FILE", help="write the trace as JSON lines to FILE")
    parser.add_argument(
        "--out", metavar="DIR", help="write postmortems (DIR/postmortems/INC-001.md) and regression cases here"
    )
    parser.add_argument("--force", action="store_true", help="overwrite files that --out would write")
    parser.add_argument("--quiet", action="store_true", help="print only the report, not the trace")
    parser.add_argument("--verbose", action="store_true", help="also print SLI reports and release weights")
    parser.add_argument("--only", metavar="KINDS", help="print only these message kinds (e.g. Page,Ack)")
    parser.add_argument("--incident", metavar="ID", help="print only the messages of one incident (e.g. INC-001)")
    parser.add_argument("--tree", action="store_true", help="indent each message under its causal parent")
    parser.add_argument("--svg", metavar="FILE", help="also save the console output as an SVG picture")
    parser.add_argument("--schema", action="store_true", help="print the scenario JSON Schema and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0912 - the CLI's steps, in order
    args = make_parser().parse_args(argv)
    if args.schema:
        print(json.dumps(Scenario.model_json_schema(), indent=2))
        return EXIT_OK
    if not args.scenario:
        make_parser().print_usage(sys.stderr)
        print("python -m actors.run: error: name a scenario file, e.g. scenarios/bad_deploy.yaml", file=sys.stderr)
        return EXIT_INPUT
    try:
        scenario = load_scenario(args.scenario)
        drop = [level.strip() for arg in args.drop_ack for level in arg.split(",") if level.strip()]
        options = Options(seed=args.seed, until=args.until, drop_ack=drop, ack_loss=args.ack_loss)
        runtime = build(scenario, options, path=args.scenario)
        _check_output(args.trace_out, "--trace-out")
        _check_out_dir(args.out)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT

    sink = JsonlSink(args.trace_out) if args.trace_out else None
    if sink is not None:
        runtime.bus.trace.sinks.append(sink)
    console = make_console(args)
    ladder = scenario.escalation
    view = TraceView(
        console,
        start=scenario.start,
        verbose=args.verbose,
        only=[k.strip() for k in (args.only or "").split(",") if k.strip()],
        incident=args.incident,
        tree=args.tree,
        quiet=args.quiet,
        live_panel=not args.svg,  # a recording keeps every refresh of the panel: picture the lines
        escalate_after={lv.name: lv.escalate_after for lv in ladder.levels} if ladder else {},
    )
    runtime.bus.trace.sinks.append(view)
    try:
        with view:
            # The wall clock enters here only, to pace --speed; the simulation never reads it.
            result = runtime.run(speed=args.speed, pacer=(time.monotonic, time.sleep))
    except KeyboardInterrupt:
        if sink is not None:
            sink.discard()
        print(f"interrupted at {format_vtime(view.status.now)}: nothing written", file=sys.stderr)
        return 130
    except BaseException:
        if sink is not None:
            sink.discard()
        raise
    code = report(scenario, args, result, view)
    if args.out and code != EXIT_CRASH:
        try:
            written = write_outputs(result.trace, args.out, args.force)
        except ScenarioError as exc:
            if sink is not None:
                sink.discard()
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        for path in written:
            console.print(f"wrote {path}", highlight=False)
    if sink is not None:
        sink.commit()
    if args.svg:
        shown = [a for a in (sys.argv[1:] if argv is None else argv) if a not in (args.svg, "--svg")]
        console.save_svg(args.svg, title="python -m actors.run " + " ".join(shown))
    return code


def replay_command(args: argparse.Namespace, seed: int) -> str:
    """The command that replays this run exactly: the seed and every flag that changes it."""
    parts = ["python -m actors.run", args.scenario, "--seed", str(seed)]
    for level in args.drop_ack:
        parts += ["--drop-ack", level]
    if args.ack_loss:
        parts += ["--ack-loss", f"{args.ack_loss:g}"]
    if args.until is not None:
        parts += ["--until", format_duration(args.until)]
    return " ".join(parts)


def make_console(args: argparse.Namespace) -> Console:
    """A terminal gets colour and the live panel; a pipe gets plain lines. NO_COLOR is
    honoured by rich. --svg records (in colour) what is printed."""
    if args.svg:
        return Console(record=True, force_terminal=True, color_system="truecolor", width=140)
    console = Console()
    if not console.is_terminal:  # a pipe or a file: wide enough that tables do not fold
        console = Console(width=140)
    return console


def report(scenario: Scenario, args: argparse.Namespace, result: RunResult, view: TraceView) -> int:
    """Print the end-of-run report and the eval gate; return the exit code."""
    seed = args.seed if args.seed is not None else scenario.seed
    endings = {
        "done": "the scenario finished",
        "until": "cut off at --until",
        "deadlock": "virtual deadlock",
        "crash": "an actor crashed",
    }
    header = f"== {scenario.name}: run over at {format_vtime(result.ended_at)} ({endings[result.ending]}) =="
    lines = [f"messages: {result.accounts.describe()}"]
    if result.busy and result.ending == "until":
        lines.append("still busy at cut-off: " + "; ".join(result.busy))
    if args.trace_out:
        lines.append(f"trace written to {args.trace_out}")
    d = digest(result.trace)
    if not args.out and d.postmortems:
        lines.append("postmortems and regression cases: not written (add --out DIR to write them)")
    lines.append(f"seed {seed}; replay: {replay_command(args, seed)}")
    invariants = check_invariants(d, result.accounts)
    broken = [i for i in invariants if not i.held]
    lines += [f"[FAIL] invariant: {inv.name}: {inv.detail}" for inv in broken]
    failed = bool(broken) or result.ending in ("deadlock", "crash")
    verdicts = [] if failed else evaluate(scenario.expect, d, [p.name for p in scenario.responders])
    view.report(d, header, lines, verdicts)
    if broken:
        print(f"error: {len(broken)} invariant(s) broken: {', '.join(i.name for i in broken)}", file=sys.stderr)
        return EXIT_CRASH
    if result.ending in ("deadlock", "crash"):
        print(f"error: {result.problem}", file=sys.stderr)
        return EXIT_CRASH
    return EXIT_OK if all(v.passed for v in verdicts) else EXIT_EXPECTATION


def write_outputs(trace: Trace, out: str, force: bool) -> list[str]:
    """Write every postmortem and the regression cases under *out*: all or nothing."""
    files: dict[str, str] = {}
    for pm in trace.messages(PostmortemWritten):
        files[os.path.join(out, "postmortems", f"{pm.incident}.md")] = pm.markdown
    cases = [c.case.model_dump(mode="json", exclude_none=True) for c in trace.messages(RegressionCaseAdded)]
    if cases:
        files[os.path.join(out, "regression_cases.yaml")] = yaml.safe_dump(cases, sort_keys=False, allow_unicode=True)
    clash = [path for path in files if os.path.exists(path)]
    if clash and not force:
        raise ScenarioError(f"--out {out}: {clash[0]} already exists (use --force to overwrite, or another --out)")
    for path, text in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return list(files)


def _check_out_dir(path: str | None) -> None:
    if path is None:
        return
    parts = os.path.normpath(path).split(os.sep)
    if ".." in path.replace("\\", "/").split("/") or parts[0] == "..":
        raise ScenarioError(f"--out {path}: climbs out of the working folder with '..' (name a folder below it)")
    if os.path.exists(path) and not os.path.isdir(path):
        raise ScenarioError(f"--out {path}: is a file, not a folder (name a folder)")


def _check_output(path: str | None, flag: str) -> None:
    if path is None:
        return
    if os.path.isdir(path):
        raise ScenarioError(f"{flag} {path}: is a directory (name a file)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ScenarioError(f"{flag} {path}: the folder {parent} does not exist (create it first)")


if __name__ == "__main__":
    sys.exit(main())
