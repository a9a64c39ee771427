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
import time
from collections.abc import Sequence
from typing import NoReturn

import yaml

from actors.gate import evaluate
from actors.metrics import pages_per_responder, response_metrics
from actors.pipeline import Options, build
from actors.runtime import RunResult
from bus.messages import PostmortemWritten, RegressionCaseAdded
from bus.trace import JsonlSink, Trace, format_line
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
    parser.add_argument(
        "--out", metavar="DIR", help="write postmortems (DIR/postmortems/INC-001.md) and regression cases here"
    )
    parser.add_argument("--force", action="store_true", help="overwrite files that --out would write")
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
        _check_out_dir(args.out)
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
        # The wall clock enters here only, to pace --speed; the simulation never reads it.
        result = runtime.run(speed=args.speed, pacer=(time.monotonic, time.sleep))
    except BaseException:
        if sink is not None:
            sink.discard()
        raise
    code = report(scenario, args, result)
    if args.out and code != EXIT_CRASH:
        try:
            written = write_outputs(result.trace, args.out, args.force)
        except ScenarioError as exc:
            if sink is not None:
                sink.discard()
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        for path in written:
            print(f"wrote {path}")
    if sink is not None:
        sink.commit()
    return code


def report(scenario: Scenario, args: argparse.Namespace, result: RunResult) -> int:
    """Print the end-of-run report and the eval gate; return the exit code."""
    seed = args.seed if args.seed is not None else scenario.seed
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
    print_incidents(result)
    if args.trace_out:
        print(f"trace written to {args.trace_out}")
    if not args.out and result.trace.of(PostmortemWritten):
        print("postmortems and regression cases: not written (add --out DIR to write them)")
    print(f"seed {seed}; replay: python -m actors.run {args.scenario} --seed {seed}")
    if not result.accounts.balanced:
        print(f"error: message accounting does not add up: {result.accounts.describe()}", file=sys.stderr)
        return EXIT_CRASH
    if result.ending in ("deadlock", "crash"):
        print(f"error: {result.problem}", file=sys.stderr)
        return EXIT_CRASH
    if not scenario.expect:
        return EXIT_OK
    people = [p.name for p in scenario.responders]
    verdicts = evaluate(scenario.expect, result.trace, people)
    print()
    for v in verdicts:
        print(f"  [{'PASS' if v.passed else 'FAIL'}] {v.name}: {v.figure}")
    passed = sum(v.passed for v in verdicts)
    print(f"{passed}/{len(verdicts)} checks passed")
    if passed == len(verdicts):
        print("EVAL GATE: PASS (exit 0)")
        return EXIT_OK
    print("EVAL GATE: FAIL (exit 1)")
    return EXIT_EXPECTATION


def print_incidents(result: RunResult) -> None:
    metrics = response_metrics(result.trace)
    if not metrics:
        return
    print(f"{'incident':<9} {'root cause':<18} {'sev':<5} {'alerts':>6} {'ack':>8} {'resolve':>8} {'level':<5} {'pages':>5}  notes")
    for m in metrics.values():
        notes = []
        if m.exhausted:
            notes.append("LADDER EXHAUSTED")
        if m.dropped_acks:
            notes.append(f"{m.dropped_acks} ack(s) dropped")
        if m.source == "ticket":
            notes.append("from a ticket")
        if m.resolved_at is None:
            notes.append("open")
        tta = format_duration(m.time_to_ack) if m.time_to_ack is not None else "-"
        ttr = format_duration(m.time_to_resolve) if m.time_to_resolve is not None else "-"
        print(f"{m.incident:<9} {m.root[:18]:<18} {m.severity:<5} {m.alerts:>6} {tta:>8} {ttr:>8} {m.level or '-':<5} {m.pages:>5}  {', '.join(notes)}")
    pages = pages_per_responder(result.trace)
    if pages:
        print("pages per responder: " + ", ".join(f"{who} {n}" for who, n in pages.items()))


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
