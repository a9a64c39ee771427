"""Sweep a drill over many seeds: ``python -m actors.sweep SCENARIO --seeds 1..1000``.

Each seed runs in a worker process, exactly as ``python -m actors.run SCENARIO --seed N``
would, and reports its gate checks, its invariants, its response times and whether a
ladder was exhausted. The sweep prints, per check, the pass rate; time to acknowledge and
to resolve as percentiles; the chance the ladder is exhausted; and the seeds of every
failure, each replayable exactly with ``--seed``. This is how a team finds the hole in
its ladder before a real night does.

Exit codes: 0 every seed held every check and invariant, 1 some did not, 2 bad input,
130 interrupted by Ctrl-C (the seeds finished so far are reported first). A closed pipe
(``| head -1``) ends the sweep quietly.

Bounds: at most :data:`MAX_SEEDS` seeds per sweep, each from 0 to 2**63 - 1; at most
:data:`MAX_WORKERS` worker processes, and never more than there are seeds.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import shlex
import signal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from actors.engine.runtime import FAILED_ENDINGS
from actors.pipeline import Options, build
from actors.report.digest import digest
from actors.report.gate import evaluate
from actors.report.invariants import check_invariants
from bus.text import printable
from bus.vtime import format_duration
from scenarios.budget import check_budget
from scenarios.loader import ScenarioError, load_scenario
from scenarios.schema import MAX_SEED

__all__ = ["MAX_SEEDS", "MAX_WORKERS", "SeedResult", "main", "parse_seeds", "percentile", "run_seed"]

#: The most seeds one sweep runs.
MAX_SEEDS = 1_000_000
#: The most worker processes one sweep starts.
MAX_WORKERS = 256


@dataclass
class SeedResult:
    seed: int
    checks: dict[str, bool] = field(default_factory=dict)
    invariants: dict[str, bool] = field(default_factory=dict)
    tta: list[float] = field(default_factory=list)
    ttr: list[float] = field(default_factory=list)
    exhausted: bool = False
    ending: str = "done"
    problem: str | None = None


_CACHE: dict[str, Any] = {}


def run_seed(path: str, seed: int, ack_loss: float = 0.0, drop_ack: Sequence[str] = ()) -> SeedResult:
    """One seed, as the CLI would run it, summed up."""
    scenario = _CACHE.get(path)
    if scenario is None:
        scenario = _CACHE[path] = load_scenario(path)
    runtime = build(scenario, Options(seed=seed, ack_loss=ack_loss, drop_ack=list(drop_ack)), path=path)
    result = runtime.run()
    out = SeedResult(seed, ending=result.ending, problem=result.problem)
    d = digest(result.trace)
    out.invariants = {i.name: i.held for i in check_invariants(d, result.accounts)}
    if result.ending in FAILED_ENDINGS:
        out.checks = {"run completes": False}
        return out
    people = [p.name for p in scenario.responders]
    out.checks = {v.name: v.passed for v in evaluate(scenario.expect, d, people)}
    for m in d.incidents.values():
        if m.time_to_ack is not None:
            out.tta.append(m.time_to_ack)
        if m.time_to_resolve is not None and m.triggered_at is not None:
            out.ttr.append(m.time_to_resolve)
        out.exhausted = out.exhausted or m.exhausted
    return out


def _run_star(args: tuple[str, int, float, tuple[str, ...]]) -> SeedResult:
    return run_seed(*args)


def parse_seeds(text: str) -> list[int]:
    """``1..1000``, ``1,2,7`` or ``7``; ValueError (with the reason) past the bounds."""
    seeds: list[int] = []
    for raw in text.split(","):
        part = raw.strip()
        if ".." in part:
            lo, hi = (_seed(x) for x in part.split("..", 1))
            if hi < lo:
                raise ValueError(f"{part}: the range runs backwards")
            if len(seeds) + hi - lo + 1 > MAX_SEEDS:
                raise ValueError(f"more than {MAX_SEEDS:,} seeds")
            seeds.extend(range(lo, hi + 1))
        elif part:
            seeds.append(_seed(part))
            if len(seeds) > MAX_SEEDS:
                raise ValueError(f"more than {MAX_SEEDS:,} seeds")
    if not seeds:
        raise ValueError("no seeds")
    return seeds


def _seed(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_SEED:
        raise ValueError(f"{printable(repr(text[:24]))} is not a seed (0 to 2**63 - 1)")
    return int(text)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def sweep(
    path: str,
    seeds: Sequence[int],
    workers: int,
    ack_loss: float,
    drop_ack: Sequence[str],
    progress: bool = False,
    results: list[SeedResult] | None = None,
) -> list[SeedResult]:
    """Run every seed; results arrive in *results* (if given) as they finish, in seed order,
    so that an interrupted sweep still has the seeds finished so far."""
    jobs = [(path, s, ack_loss, tuple(drop_ack)) for s in seeds]
    results = [] if results is None else results
    step = max(1, len(jobs) // 20)
    if workers <= 1:
        stream: Iterable[SeedResult] = map(_run_star, jobs)
        for i, r in enumerate(stream, 1):
            results.append(r)
            _progress(progress, i, len(jobs), step)
        return results
    chunks = max(1, min(16, len(jobs) // (workers * 8) or 1))
    # multiprocessing's pool, not concurrent.futures': Ctrl-C must stop the workers at once,
    # and Pool.terminate() is the public way to (an executor has none).
    with multiprocessing.Pool(workers, initializer=_ignore_interrupts) as pool:
        for i, r in enumerate(pool.imap(_run_star, jobs, chunksize=chunks), 1):
            results.append(r)
            _progress(progress, i, len(jobs), step)
    return results


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it reports, then stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _progress(show: bool, done: int, total: int, step: int) -> None:
    if show and (done % step == 0 or done == total):
        print(f"\r  {done}/{total} seeds", end="" if done < total else "\n", file=sys.stderr, flush=True)


def report(path: str, results: list[SeedResult], args: argparse.Namespace) -> int:
    n = len(results)
    print(
        f"{printable(path)}: {n} seeds"
        + (f", --ack-loss {args.ack_loss:g}" if args.ack_loss else "")
        + (f", --drop-ack {','.join(args.drop_ack)}" if args.drop_ack else "")
    )
    failing: dict[str, list[int]] = {}
    names: list[str] = []
    for r in results:
        for name, ok in {**r.checks, **{f"invariant: {k}": v for k, v in r.invariants.items()}}.items():
            if name not in names:
                names.append(name)
            if not ok:
                failing.setdefault(name, []).append(r.seed)
    for name in names:
        bad = failing.get(name, [])
        print(printable(f"  {(n - len(bad)) / n:7.1%}  {name}"))
    tta = [t for r in results for t in r.tta]
    ttr = [t for r in results for t in r.ttr]
    for label, values in (("time to acknowledge", tta), ("time to resolve", ttr)):
        if values:
            p = [format_duration(percentile(values, q) or 0.0) for q in (50, 90, 99)]
            print(f"  {label}: p50 {p[0]}, p90 {p[1]}, p99 {p[2]} ({len(values)} incidents)")
        else:
            print(f"  {label}: none")
    exhausted = [r.seed for r in results if r.exhausted]
    print(f"  ladder exhausted: {len(exhausted) / n:.1%} of seeds")
    crashed = [r for r in results if r.ending in FAILED_ENDINGS]
    for r in crashed[:5]:
        print(printable(f"  seed {r.seed}: {r.problem}"))
    if not failing:
        print("every seed held every check")
        return 0
    flags = "".join(f" --drop-ack {d}" for d in args.drop_ack) + (
        f" --ack-loss {args.ack_loss:g}" if args.ack_loss else ""
    )
    first = min(s for seeds in failing.values() for s in seeds)
    replay = " ".join(shlex.quote(p) for p in ["python", "-m", "actors.run", path, "--seed", str(first)])
    print(printable(f"failing seeds (replay one exactly: {replay}{flags}):"))
    for name, seeds in failing.items():
        shown = ", ".join(map(str, seeds[:20])) + (f", ... ({len(seeds)} in all)" if len(seeds) > 20 else "")
        print(printable(f"  {name}: {shown}"))
    return 1


class _Parser(argparse.ArgumentParser):
    """argparse, with bad input as one line (exit 2), escaped, pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, printable(f"{self.prog}: error: {message} (see --help)") + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m actors.sweep",
        description=__doc__.split("\n\n")[0],
        epilog="example: python -m actors.sweep scenarios/escalation_drill.yaml --seeds 1..1000 --ack-loss 0.3",
    )
    parser.add_argument("scenario")
    parser.add_argument("--seeds", default="1..100", help="1..1000, or 1,2,7 (default 1..100)")
    parser.add_argument("--ack-loss", type=float, default=0.0, metavar="P")
    parser.add_argument("--drop-ack", action="append", default=[], metavar="LEVEL")
    parser.add_argument(
        "--workers", type=int, default=None, help=f"worker processes (default: one per core; at most {MAX_WORKERS})"
    )
    args = parser.parse_args(argv)
    try:
        seeds, workers = _check(args)
    except ScenarioError as exc:
        _error(str(exc))
        return 2
    results: list[SeedResult] = []
    try:
        sweep(
            args.scenario,
            seeds,
            workers,
            args.ack_loss,
            args.drop_ack,
            progress=len(seeds) >= 50 and sys.stderr.isatty(),
            results=results,
        )
        return report(args.scenario, results, args)
    except KeyboardInterrupt:
        with contextlib.suppress(BrokenPipeError):
            print(f"interrupted: {len(results)} of {len(seeds)} seeds finished", file=sys.stderr, flush=True)
            if results:
                report(args.scenario, results, args)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141


def _check(args: argparse.Namespace) -> tuple[list[int], int]:
    """Every input checked before anything runs: (the seeds, the workers to use)."""
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as exc:
        raise ScenarioError(f"--seeds {printable(args.seeds[:40])}: {exc} (use 1..1000 or 1,2,7)") from None
    if not 0.0 <= args.ack_loss <= 1.0:
        raise ScenarioError(f"--ack-loss {args.ack_loss}: must be a probability from 0 to 1")
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise ScenarioError(f"--workers {args.workers}: must lie between 1 and {MAX_WORKERS}")
    workers = min(args.workers or os.cpu_count() or 1, len(seeds), MAX_WORKERS)
    args.drop_ack = [d.strip() for a in args.drop_ack for d in a.split(",") if d.strip()]
    scenario = load_scenario(args.scenario)
    check_budget(scenario, args.scenario)  # before building: that allocates the windows
    build(scenario, Options(ack_loss=args.ack_loss, drop_ack=args.drop_ack), path=args.scenario)  # validate once
    return seeds, workers


def _error(line: str) -> None:
    with contextlib.suppress(OSError):
        print(f"error: {printable(line)}", file=sys.stderr)


def _quiet_stdout() -> None:
    """The reader of stdout went away: send what Python still has to flush nowhere, so
    the interpreter's exit prints no broken-pipe warning."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
