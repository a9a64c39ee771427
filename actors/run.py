"""Run a drill: ``python -m actors.run SCENARIO.yaml [options]``.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input (nothing run,
nothing written), 3 a crash inside the simulation (an actor crashed, a virtual deadlock,
or message accounting that does not add up).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from actors.pipeline import Options, build
from actors.runtime import RunResult
from bus.trace import JsonlSink, format_line
from bus.vtime import DurationError, format_vtime, parse_duration
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
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (virtual seconds per wall second, e.g. 600)") from None
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
    parser.add_argument("--ack-loss", type=_probability, default=0.0, metavar="P", help="drop any ack with probability P")
    parser.add_argument("--trace-out", metavar="FILE", help="write the trace as JSON lines to FILE")
    parser.add_argument("--quiet", action="store_true", help="print only the report, not the trace")
    parser.add_argument("--schema", action="store_true", help="print the scenario JSON Schema and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT

    sink = JsonlSink(args.trace_out) if args.trace_out else None
    if sink is not None:
        runtime.bus.trace.sinks.append(sink)
    if not args.quiet:
        start = scenario.start
        runtime.bus.trace.sinks.append(lambda env: print(format_line(env, start), flush=args.speed is not None))
    try:
        result = runtime.run(speed=args.speed)
    except BaseException:
        if sink is not None:
            sink.discard()
        raise
    if sink is not None:
        sink.commit()
    return report(scenario, args, result)


def report(scenario: Scenario, args: argparse.Namespace, result: RunResult) -> int:
    """Print the end-of-run report; return the exit code."""
    seed = runtime_seed = args.seed if args.seed is not None else scenario.seed
    endings = {
        "done": "the scenario finished",
        "until": "cut off at --until",
        "deadlock": "virtual deadlock",
        "crash": "an actor crashed",
    }
    print()
    print(f"== {scenario.name}: run over at {format_vtime(result.ended_at)} ({endings[result.ending]}) ==")
    print(f"messages: {result.accounts.describe()}")
    if result.busy and result.ending == "until":
        print("still busy at cut-off: " + "; ".join(result.busy))
    if args.trace_out:
        print(f"trace written to {args.trace_out}")
    print(f"seed {runtime_seed}; replay: python -m actors.run {args.scenario} --seed {seed}")
    if not result.accounts.balanced:
        print(f"error: message accounting does not add up: {result.accounts.describe()}", file=sys.stderr)
        return EXIT_CRASH
    if result.ending in ("deadlock", "crash"):
        print(f"error: {result.problem}", file=sys.stderr)
        return EXIT_CRASH
    return EXIT_OK


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
