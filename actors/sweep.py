"""Sweep a drill over many seeds: ``python -m actors.sweep SCENARIO --seeds 1..1000``.

Each seed runs in a worker process, exactly as ``python -m actors.run SCENARIO --seed N``
would, and reports its gate checks, its invariants, its response times and whether a
ladder was exhausted. The sweep prints, per check, the pass rate; time to acknowledge and
to resolve as percentiles; the chance the ladder is exhausted; and the seeds of every
failure, each replayable exactly with ``--seed``. This is how a team finds the hole in
its ladder before a real night does.

Exit codes: 0 every seed held every check and invariant, 1 some did not, 2 bad input.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NoReturn

from actors.engine.runtime import FAILED_ENDINGS
from actors.pipeline import Options, build
from actors.report.digest import digest
from actors.report.gate import evaluate
from actors.report.invariants import check_invariants
from bus.vtime import format_duration
from scenarios.loader import ScenarioError, load_scenario

__all__ = ["SeedResult", "main", "parse_seeds", "percentile", "run_seed"]


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
    """``1..1000``, ``1,2,7`` or ``7``."""
    seeds: list[int] = []
    for raw in text.split(","):
        part = raw.strip()
        if ".." in part:
            lo, hi = (int(x) for x in part.split("..", 1))
            if hi < lo:
                raise ValueError(f"{part}: the range runs backwards")
            seeds.extend(range(lo, hi + 1))
        elif part:
            seeds.append(int(part))
    if not seeds:
        raise ValueError("no seeds")
    return seeds


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def sweep(
    path: str, seeds: Sequence[int], workers: int, ack_loss: float, drop_ack: Sequence[str], progress: bool = False
) -> list[SeedResult]:
    jobs = [(path, s, ack_loss, tuple(drop_ack)) for s in seeds]
    results: list[SeedResult] = []
    step = max(1, len(jobs) // 20)
    if workers <= 1:
        stream: Iterable[SeedResult] = map(_run_star, jobs)
        for i, r in enumerate(stream, 1):
            results.append(r)
            _progress(progress, i, len(jobs), step)
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, r in enumerate(pool.map(_run_star, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 8) or 1))), 1):
            results.append(r)
            _progress(progress, i, len(jobs), step)
    return results


def _progress(show: bool, done: int, total: int, step: int) -> None:
    if show and (done % step == 0 or done == total):
        print(f"\r  {done}/{total} seeds", end="" if done < total else "\n", file=sys.stderr, flush=True)


def report(path: str, results: list[SeedResult], args: argparse.Namespace) -> int:
    n = len(results)
    print(
        f"{path}: {n} seeds"
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
        print(f"  {(n - len(bad)) / n:7.1%}  {name}")
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
        print(f"  seed {r.seed}: {r.problem}")
    if not failing:
        print("every seed held every check")
        return 0
    flags = "".join(f" --drop-ack {d}" for d in args.drop_ack) + (
        f" --ack-loss {args.ack_loss:g}" if args.ack_loss else ""
    )
    first = min(s for seeds in failing.values() for s in seeds)
    print(f"failing seeds (replay one exactly: python -m actors.run {path} --seed {first}{flags}):")
    for name, seeds in failing.items():
        shown = ", ".join(map(str, seeds[:20])) + (f", ... ({len(seeds)} in all)" if len(seeds) > 20 else "")
        print(f"  {name}: {shown}")
    return 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


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
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as exc:
        print(f"error: --seeds {args.seeds}: {exc} (use 1..1000 or 1,2,7)", file=sys.stderr)
        return 2
    if not 0.0 <= args.ack_loss <= 1.0:
        print(f"error: --ack-loss {args.ack_loss}: must be a probability from 0 to 1", file=sys.stderr)
        return 2
    args.drop_ack = [d.strip() for a in args.drop_ack for d in a.split(",") if d.strip()]
    try:
        scenario = load_scenario(args.scenario)
        build(scenario, Options(ack_loss=args.ack_loss, drop_ack=args.drop_ack), path=args.scenario)  # validate once
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = sweep(
        args.scenario,
        seeds,
        max(1, args.workers),
        args.ack_loss,
        args.drop_ack,
        progress=len(seeds) >= 50 and sys.stderr.isatty(),
    )
    return report(args.scenario, results, args)


if __name__ == "__main__":
    sys.exit(main())
