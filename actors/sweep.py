"""Sweep a drill over many seeds: ``python -m actors.sweep SCENARIO --seeds 1..1000``.

Each seed runs exactly as ``python -m actors.run SCENARIO --seed N`` would, and is summed
up as one row: its gate checks and invariants; the time to acknowledge and to resolve
its first paged incident, *censored* when the run ended first (the row says when); whether
a ladder was exhausted; and the on-call load it made (pages, night pages and time paged,
per person). The report gives, per variant: pass rates with Wilson intervals; time to
acknowledge and to resolve as Kaplan-Meier percentiles with bootstrap intervals (a
percentile the censored share reaches prints "never" or "> 6h", not a flattering number),
and the share acked within 5, 15, 30 and 60 minutes; the chance the ladder is exhausted;
the load per person per week. With ``--vary PATH=V1,V2`` or ``--compare OTHER.yaml``
every variant runs on the same seeds, and each is compared with the first on those same
nights: wins and losses, and the paired differences with intervals. Every failing seed is
listed with the command that replays it exactly.

Executors: a process pool (``--workers N``, the default: one per core), or a Dask cluster
(``--scheduler ADDRESS``, or ``--scheduler local:N`` for a local cluster of N worker
processes; ``pip install -e '.[cluster]'``). Rows are identical, seed by seed, whichever
runs them. A Dask worker that dies loses nothing: its seeds run again elsewhere and the
report says which. A scheduler address is the one network connection this project
makes, and only when it is given.

Exit codes: 0 every seed held every check and invariant, 1 some did not, 2 bad input
(nothing run, nothing written), 130 interrupted by Ctrl-C (the seeds finished so far are
reported first). A closed pipe (``| head -1``) ends the sweep quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import io
import itertools
import json
import logging
import math
import multiprocessing
import os
import random
import shlex
import signal
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from actors.domain.stats import Timed, bootstrap, km_at, km_band, km_curve, km_quantile, paired_bootstrap, wilson
from bus.text import printable
from bus.vtime import format_duration
from scenarios.files import ScenarioError
from scenarios.limits import MAX_SEED
from scenarios.vary import Assignment, parse_assignment

__all__ = [
    "MAX_SEEDS",
    "MAX_WORKERS",
    "SeedResult",
    "Variant",
    "main",
    "parse_seeds",
    "percentile",
    "run_seed",
    "summarise",
    "sweep",
]

#: The most seeds one sweep runs (all variants together).
MAX_SEEDS = 1_000_000
#: The most worker processes one sweep starts.
MAX_WORKERS = 256
#: The most variants one sweep compares.
MAX_VARIANTS = 64
#: Night, in each person's local time (their first schedule's zone, else their own).
NIGHT = (22, 7)
#: The shares reported: P(acked within these).
WITHIN = (300.0, 900.0, 1800.0, 3600.0)
#: Seconds a Dask scheduler has to answer.
CONNECT_TIMEOUT = 10
WEEK = 7 * 86400.0


@dataclass(frozen=True)
class Variant:
    """One configuration the seeds run under: a scenario file and changes to it."""

    name: str
    path: str
    assignments: tuple[Assignment, ...] = ()

    def replay(self, seed: int, ack_loss: float, drop_ack: Sequence[str]) -> str:
        """The command that replays this variant's seed exactly."""
        parts = ["python", "-m", "actors.run", self.path, "--seed", str(seed)]
        for text, _, value in self.assignments:
            parts += ["--set", f"{text}={value}"]
        for level in drop_ack:
            parts += ["--drop-ack", level]
        if ack_loss:
            parts += ["--ack-loss", f"{ack_loss:g}"]
        return printable(" ".join(shlex.quote(p) for p in parts))


@dataclass
class SeedResult:
    """One seed of one variant, summed up (the JSON and CSV rows)."""

    variant: str
    seed: int
    checks: dict[str, bool] = field(default_factory=dict)
    invariants: dict[str, bool] = field(default_factory=dict)
    #: the first paged incident's time to acknowledge; None: censored (then
    #: ``censored_at_s``: how long it had been paged when the run ended) or never paged
    tta_s: float | None = None
    censored_at_s: float | None = None
    #: its time to resolve (from its opening), censored the same way
    ttr_s: float | None = None
    ttr_censored_at_s: float | None = None
    #: whether the run ended for good ("done": nothing more could happen) or was cut off
    ending: str = "done"
    exhausted: bool = False
    pages: dict[str, int] = field(default_factory=dict)
    night_pages: dict[str, int] = field(default_factory=dict)
    paged_s: dict[str, float] = field(default_factory=dict)
    #: on-call shifts each paged person had in the run: their turns in the schedules (a
    #: hand-over ends one), or 1 for a person paged directly by a policy
    shifts: dict[str, int] = field(default_factory=dict)
    #: incidents acknowledged, and how many of them before any escalation (by the first level)
    acked: int = 0
    acked_first_level: int = 0
    #: the virtual length of the run
    ran_s: float = 0.0
    problem: str | None = None

    @property
    def paged(self) -> bool:
        return self.tta_s is not None or self.censored_at_s is not None

    def row(self) -> dict[str, Any]:
        return asdict(self)


_CACHE: dict[tuple[str, tuple[Assignment, ...]], Any] = {}


def run_seed(
    variant: Variant, seed: int, ack_loss: float = 0.0, drop_ack: Sequence[str] = ()
) -> SeedResult:  # the worker's function: everything a row needs, from one run
    from actors.engine.runtime import FAILED_ENDINGS
    from actors.pipeline import Options, build
    from actors.report.digest import digest
    from actors.report.gate import evaluate
    from actors.report.invariants import check_invariants
    from scenarios.loader import load_scenario

    key = (variant.path, variant.assignments)
    scenario = _CACHE.get(key)
    if scenario is None:
        scenario = _CACHE[key] = load_scenario(variant.path, assignments=variant.assignments, where="--vary")
    options = Options(seed=seed, ack_loss=ack_loss, drop_ack=list(drop_ack), keep_reports=False)
    result = build(scenario, options, path=variant.path).run()
    out = SeedResult(variant.name, seed, ending=result.ending, problem=result.problem, ran_s=result.ended_at)
    d = digest(result.trace)
    out.invariants = {i.name: i.held for i in check_invariants(d, result.accounts)}
    if result.ending in FAILED_ENDINGS:
        out.checks = {"run completes": False}
        return out
    out.checks = {v.name: v.passed for v in evaluate(scenario.expect, d, [p.name for p in scenario.responders])}
    _load(out, d, scenario, result.ended_at)
    return out


def _load(out: SeedResult, d: Any, scenario: Any, end: float) -> None:
    """The response figures and the on-call load of one run, from its digest."""
    from bus.messages import Escalated, Page

    zones = _zones(scenario)
    start = scenario.start or datetime(2026, 1, 1, tzinfo=UTC)
    first = next((m for m in d.incidents.values() if m.triggered_at is not None), None)
    if first is not None:
        if first.time_to_ack is not None:
            out.tta_s = first.time_to_ack
        else:
            out.censored_at_s = end - first.triggered_at
        if first.time_to_resolve is not None:
            out.ttr_s = first.time_to_resolve
        else:
            out.ttr_censored_at_s = end - first.opened_at
    for m in d.incidents.values():
        out.exhausted = out.exhausted or m.exhausted
        mine = d.by_incident.get(m.incident, [])
        escalated = next((e.t for e in mine if isinstance(e.msg, Escalated)), None)
        if m.acked_at is not None:
            out.acked += 1
            out.acked_first_level += escalated is None or m.acked_at <= escalated
        until = min(t for t in (m.acked_at, m.resolved_at, end) if t is not None)
        for env in mine:
            if not isinstance(env.msg, Page):
                continue
            who = env.msg.responder
            out.pages[who] = out.pages.get(who, 0) + 1
            out.paged_s[who] = out.paged_s.get(who, 0.0) + max(0.0, until - env.t)
            local = (start + timedelta(seconds=env.t)).astimezone(zones.get(who, ZoneInfo("UTC")))
            if local.hour >= NIGHT[0] or local.hour < NIGHT[1]:
                out.night_pages[who] = out.night_pages.get(who, 0) + 1
    turns = _shifts(scenario, start, end)
    out.shifts = {p: max(1, turns.get(p, 0)) for p in sorted(out.pages)}
    out.pages = dict(sorted(out.pages.items()))
    out.night_pages = dict(sorted(out.night_pages.items()))
    out.paged_s = {k: round(v, 3) for k, v in sorted(out.paged_s.items())}


def _shifts(scenario: Any, start: datetime, end: float) -> dict[str, int]:
    """How many on-call periods each person had in the schedules over the run: each
    stretch a schedule has them on call, from one hand-over to the next, counts once."""
    from scenarios.oncall import oncall_config

    oncall = oncall_config(scenario, "scenario")
    counts: dict[str, int] = {}
    if oncall is None:
        return counts
    stop = start + timedelta(seconds=end)
    for schedule in oncall.schedules.values():
        at = start
        for _ in range(10_000):
            now = schedule.on_call(at)
            if now.user is not None:
                counts[now.user] = counts.get(now.user, 0) + 1
            if now.until is None or now.until >= stop:
                break
            at = now.until
    return counts


def _zones(scenario: Any) -> dict[str, ZoneInfo]:
    """Each person's zone: the first schedule they are in, else their own ``time_zone``."""
    from scenarios.oncall import oncall_config

    zones = {p.name: ZoneInfo(p.time_zone) for p in scenario.responders}
    oncall = oncall_config(scenario, "scenario")
    if oncall is not None:
        seen: set[str] = set()
        for schedule in oncall.schedules.values():
            for layer in schedule.layers:
                for user in layer.users:
                    if user not in seen:
                        seen.add(user)
                        zones[user] = schedule.zone
    return zones


# --- seeds and variants --------------------------------------------------------------


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
    if len(set(seeds)) != len(seeds):
        raise ValueError("a seed is given twice")
    return seeds


def _seed(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_SEED:
        raise ValueError(f"{printable(repr(text[:24]))} is not a seed (0 to 2**63 - 1)")
    return int(text)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of uncensored values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def variants_of(path: str, vary: Sequence[str], compare: Sequence[str]) -> list[Variant]:
    """The variants: the scenario as it is (when nothing varies), each combination of the
    ``--vary`` values (a grid when several are given), then each ``--compare`` file."""
    grids: list[list[tuple[str, tuple[str | int, ...], Any]]] = []
    for text in vary:
        try:
            name, steps, values = parse_assignment(text, many=True)
        except ValueError as exc:
            raise ScenarioError(f"--vary {printable(text[:60])}: {exc}") from None
        grids.append([(name, steps, v) for v in values])
    out: list[Variant] = []
    if grids:
        for combo in itertools.product(*grids):
            label = ", ".join(f"{n}={v}" for n, _, v in combo)
            out.append(Variant(label, path, tuple(combo)))
    else:
        out.append(Variant(os.path.basename(path), path))
    for other in compare:
        label = os.path.basename(other)
        if any(v.name == label for v in out):
            label = other
        out.append(Variant(label, other))
    if len(out) > MAX_VARIANTS:
        raise ScenarioError(f"--vary: {len(out)} variants, more than {MAX_VARIANTS} (give fewer values)")
    return out


# --- executors -------------------------------------------------------------------------

Job = tuple[Variant, int, float, tuple[str, ...]]


def _run_job(job: Job) -> SeedResult:
    return run_seed(*job)


def _run_chunk_logged(jobs: list[Job], sweep_id: str) -> list[SeedResult]:
    """On a Dask worker: say that these seeds started (a seed that starts twice was re-run
    after a worker died), then run them."""
    try:
        from distributed import get_worker

        get_worker().log_event("oncall-sweep-start", {"sweep": sweep_id, "jobs": [[j[0].name, j[1]] for j in jobs]})
    except (ImportError, ValueError):
        pass
    return [run_seed(*job) for job in jobs]


@dataclass
class SweepRun:
    """What a sweep produced: rows in (variant, seed) order, and what happened on the way."""

    results: list[SeedResult]
    #: (variant, seed) of seeds run more than once (a worker died under them)
    rerun: list[tuple[str, int]] = field(default_factory=list)
    executor: str = "process pool"


def sweep(
    variants: Sequence[Variant] | str,
    seeds: Sequence[int],
    workers: int = 1,
    ack_loss: float = 0.0,
    drop_ack: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    results: list[SeedResult] | None = None,
    scheduler: str | None = None,
    run: SweepRun | None = None,
) -> list[SeedResult]:
    """Run every seed of every variant; rows arrive in *results* as they finish (so an
    interrupted sweep keeps what it has), and are returned sorted by variant then seed."""
    if isinstance(variants, str):
        variants = [Variant(os.path.basename(variants), variants)]
    jobs: list[Job] = [(v, s, ack_loss, tuple(drop_ack)) for v in variants for s in seeds]
    results = [] if results is None else results
    run = run if run is not None else SweepRun(results)
    run.results = results
    order = {v.name: i for i, v in enumerate(variants)}
    if scheduler is not None:
        _dask(jobs, scheduler, results, progress, run)
    elif workers <= 1:
        run.executor = "this process"
        for i, r in enumerate(map(_run_job, jobs), 1):
            results.append(r)
            if progress:
                progress(i, len(jobs))
    else:
        run.executor = f"a process pool of {workers}"
        chunks = max(1, min(16, len(jobs) // (workers * 8) or 1))
        # multiprocessing's pool, not concurrent.futures': Ctrl-C must stop the workers at
        # once, and Pool.terminate() is the public way to (an executor has none).
        with multiprocessing.Pool(workers, initializer=_ignore_interrupts) as pool:
            for i, r in enumerate(pool.imap(_run_job, jobs, chunksize=chunks), 1):
                results.append(r)
                if progress:
                    progress(i, len(jobs))
    results.sort(key=lambda r: (order.get(r.variant, 0), r.seed))
    return results


def _dask(
    jobs: list[Job],
    scheduler: str,
    results: list[SeedResult],
    progress: Callable[[int, int], None] | None,
    run: SweepRun,
) -> None:
    """The jobs on a Dask cluster: an existing scheduler, or ``local:N`` worker processes
    started here. Tasks lost with a worker are run again by the scheduler (and retried on
    an error up to twice); each seed's starts are counted from the workers' event log."""
    dist: Any = importlib.import_module("distributed")  # an optional extra, untyped

    cluster = None
    # Dask logs a lost worker at length; the report says what it cost (the seeds re-run).
    loggers = [logging.getLogger("distributed")] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict) if name.startswith("distributed.")
    ]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    if scheduler.startswith("local:"):
        n = int(scheduler.split(":", 1)[1])
        cluster = dist.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
        client = dist.Client(cluster)
        run.executor = f"a local Dask cluster of {n} worker processes"
    else:
        client = dist.Client(scheduler, timeout=CONNECT_TIMEOUT)
        run.executor = f"the Dask cluster at {printable(scheduler)}"
    try:
        # Seeds go in chunks, a few per worker at a time: a task costs the scheduler about
        # as much as a short run, so one per seed would halve the throughput.
        workers = max(1, len(client.nthreads()))
        size = max(1, min(32, len(jobs) // (workers * 8)))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        sweep_id = uuid.uuid4().hex  # this sweep's events, apart from other sweeps' on the cluster
        futures = client.map(_run_chunk_logged, chunks, [sweep_id] * len(chunks), retries=2, pure=False)
        done = 0
        for future in dist.as_completed(futures):
            chunk = future.result()
            results.extend(chunk)
            done += len(chunk)
            if progress:
                progress(done, len(jobs))
        starts: dict[tuple[str, int], int] = {}
        for _, msg in client.get_events("oncall-sweep-start"):
            if msg.get("sweep") != sweep_id:
                continue
            for name, seed in msg["jobs"]:
                starts[(name, seed)] = starts.get((name, seed), 0) + 1
        run.rerun = sorted(k for k, n in starts.items() if n > 1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        for lg, level in levels:
            lg.setLevel(level)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it reports, then stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --- the figures -------------------------------------------------------------------------


def _timed(rows: Sequence[SeedResult], what: str) -> list[Timed]:
    """Each paged seed's time: observed, or censored at its cut-off."""
    out: list[Timed] = []
    for r in rows:
        value, cut = (r.tta_s, r.censored_at_s) if what == "tta" else (r.ttr_s, r.ttr_censored_at_s)
        if value is not None:
            out.append((value, True))
        elif cut is not None:
            out.append((cut, False))
    return out


QUANTILES = (0.5, 0.9, 0.95, 0.99)


def _quantiles(data: Sequence[Timed]) -> list[float | None]:
    return [km_quantile(data, q) for q in QUANTILES]


def _within(data: Sequence[Timed]) -> list[float | None]:
    curve = km_curve(data)
    return [km_at(curve, t) for t in WITHIN]


def _times(rows: Sequence[SeedResult], what: str, rng: random.Random) -> dict[str, Any]:
    """Kaplan-Meier percentiles with bootstrap intervals, the shares within, the curve."""
    data = _timed(rows, what)
    if not data:
        return {"paged_seeds": 0}
    censored = [d for d in data if not d[1]]
    # "never": every censored seed's run ended for good, or its ladder ran out (nobody is
    # left to page); else the censored time is only "more than" its cut-off
    never = all(
        r.ending != "until" or r.exhausted for r in rows if (r.censored_at_s if what == "tta" else r.ttr_censored_at_s)
    )
    figures = _quantiles(data)
    intervals = bootstrap(data, _quantiles, rng)
    within = _within(data)
    curve = km_curve(data)
    return {
        "paged_seeds": len(data),
        "censored": len(censored),
        "censored_never": bool(censored) and never,
        "longest_cut_s": max((d[0] for d in censored), default=None),
        "percentiles": {
            f"p{round(q * 100)}": {"s": v, "lo_s": lo, "hi_s": hi}
            for q, v, (lo, hi) in zip(QUANTILES, figures, intervals, strict=True)
        },
        "within": {format_duration(t): share for t, share in zip(WITHIN, within, strict=True)},
        "curve": [[t, round(share, 6)] for t, share in curve],
        "band": [[t, round(lo, 6), round(hi, 6)] for t, lo, hi in km_band(data)],
    }


#: the time-to-ack histogram's bucket edges (seconds)
BUCKETS = (60.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)


def _histogram(rows: Sequence[SeedResult]) -> list[tuple[str, int]]:
    """How many paged seeds acked within each bucket, and how many never in their run."""
    edges = [0.0, *BUCKETS]
    counts = [0] * (len(edges) + 1)
    for r in rows:
        if r.tta_s is not None:
            k = next((i for i, e in enumerate(BUCKETS) if r.tta_s <= e), len(BUCKETS))
            counts[k] += 1
        elif r.censored_at_s is not None:
            counts[-1] += 1
    labels = [f"<= {format_duration(e)}" for e in BUCKETS] + [f"> {format_duration(BUCKETS[-1])}", "not acked"]
    return list(zip(labels, counts, strict=True))


def _load_summary(rows: Sequence[SeedResult]) -> dict[str, Any]:
    weeks = sum(r.ran_s for r in rows) / WEEK
    people = sorted({p for r in rows for p in r.pages})
    out: dict[str, Any] = {}
    for p in people:
        pages = sum(r.pages.get(p, 0) for r in rows)
        shifts = sum(r.shifts.get(p, 0) for r in rows if p in r.pages)
        night = sum(r.night_pages.get(p, 0) for r in rows)
        paged = sum(r.paged_s.get(p, 0.0) for r in rows)
        out[p] = {
            "pages": pages,
            "pages_per_run": pages / len(rows),
            "pages_per_shift": pages / shifts if shifts else None,
            "pages_per_week": pages / weeks if weeks else None,
            "night_pages": night,
            "night_pages_per_week": night / weeks if weeks else None,
            "paged_s_per_run": paged / len(rows),
        }
    return out


def summarise(rows: Sequence[SeedResult], variants: Sequence[Variant], seed: int = 0) -> dict[str, Any]:
    """The figures of a sweep per variant, and each variant against the first on the same
    seeds. Intervals are 95%; bootstraps are seeded (the same rows give the same figures)."""
    by_variant: dict[str, list[SeedResult]] = {v.name: [] for v in variants}
    for r in rows:
        by_variant.setdefault(r.variant, []).append(r)
    out: dict[str, Any] = {"variants": {}, "comparisons": []}
    for name, mine in by_variant.items():
        if not mine:
            continue
        rng = random.Random(f"{seed}:{name}")
        names = list(dict.fromkeys(n for r in mine for n in (*r.checks, *(f"invariant: {k}" for k in r.invariants))))
        checks = {}
        for n in names:
            held = sum(
                1 for r in mine if (r.invariants.get(n[11:], True) if n.startswith("invariant: ") else r.checks.get(n))
            )
            lo, hi = wilson(held, len(mine))
            checks[n] = {"rate": held / len(mine), "lo": lo, "hi": hi}
        exhausted = sum(r.exhausted for r in mine)
        acked = sum(r.acked for r in mine)
        first = sum(r.acked_first_level for r in mine)
        out["variants"][name] = {
            "seeds": len(mine),
            "checks": checks,
            "tta": _times(mine, "tta", rng),
            "tta_histogram": _histogram(mine),
            "ttr": _times(mine, "ttr", rng),
            "exhausted": {
                "rate": exhausted / len(mine),
                **dict(zip(("lo", "hi"), wilson(exhausted, len(mine)), strict=True)),
            },
            "acked_by_first_level": {"rate": first / acked if acked else None, "acked": acked},
            "load": _load_summary(mine),
            "failing": sorted({r.seed for r in mine if not all(r.checks.values()) or not all(r.invariants.values())}),
        }
    base = variants[0].name if variants else None
    for v in variants[1:]:
        a = {r.seed: r for r in by_variant.get(base or "", [])}
        b = {r.seed: r for r in by_variant.get(v.name, [])}
        shared = sorted(set(a) & set(b))
        if shared:
            out["comparisons"].append(_compare(base or "", v.name, [(a[s], b[s]) for s in shared], seed))
    return out


def _compare(base: str, other: str, pairs: list[tuple[SeedResult, SeedResult]], seed: int) -> dict[str, Any]:
    """Variant *other* against *base* on the same seeds: on how many nights it acked
    sooner, later or the same (an ack never seen is later than any seen; two unseen tie);
    and the paired differences (other - base) of P(acked within 15m), the p50 and p90
    time to ack and the exhaustion rate, with paired-bootstrap intervals."""

    def ack_time(r: SeedResult) -> float:
        return r.tta_s if r.tta_s is not None else math.inf

    wins = sum(1 for x, y in pairs if ack_time(y) < ack_time(x))
    losses = sum(1 for x, y in pairs if ack_time(y) > ack_time(x))
    ties = len(pairs) - wins - losses

    def figures(rows: Sequence[SeedResult]) -> list[float | None]:
        data = _timed(rows, "tta")
        curve = km_curve(data)
        return [
            km_at(curve, 900.0),
            km_quantile(data, 0.5),
            km_quantile(data, 0.9),
            sum(r.exhausted for r in rows) / len(rows),
        ]

    a_fig, b_fig = figures([p[0] for p in pairs]), figures([p[1] for p in pairs])
    intervals = paired_bootstrap(pairs, figures, random.Random(f"{seed}:{base}:{other}"))
    labels = ("acked_within_15m", "tta_p50_s", "tta_p90_s", "exhausted_rate")
    diffs = {}
    for label, x, y, (lo, hi) in zip(labels, a_fig, b_fig, intervals, strict=True):
        diffs[label] = {"base": x, "other": y, "diff": None if x is None or y is None else y - x, "lo": lo, "hi": hi}
    decided = wins + losses
    lo, hi = wilson(wins, decided) if decided else (0.0, 1.0)
    return {
        "base": base,
        "other": other,
        "seeds": len(pairs),
        "other_acked_sooner": wins,
        "other_acked_later": losses,
        "same": ties,
        "sooner_share": {"rate": wins / decided if decided else None, "lo": lo, "hi": hi},
        "differences": diffs,
    }


# --- output -------------------------------------------------------------------------------


def _dur(s: float | None) -> str:
    return "-" if s is None else format_duration(round(s))


def _pct_text(figures: dict[str, Any], key: str) -> str:
    """A percentile as read: the figure, or "never" / "> 6h" when the censored share
    reaches it, with its interval."""
    p = figures["percentiles"][key]
    if p["s"] is None:
        return "never" if figures["censored_never"] else f"> {_dur(figures['longest_cut_s'])}"
    hi = p["hi_s"]
    high = (
        _dur(hi)
        if hi is not None
        else ("never" if figures["censored_never"] else f"> {_dur(figures['longest_cut_s'])}")
    )
    return f"{_dur(p['s'])} [{_dur(p['lo_s'])}-{high}]"


def _rate(x: dict[str, Any]) -> str:
    return f"{x['rate']:.1%} [{x['lo']:.1%}-{x['hi']:.1%}]"


def tables(summary: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report as (title, header, rows) tables: a terminal draws them with rich, a pipe
    gets them as aligned text."""
    variants = summary["variants"]
    names = list(variants)
    out: list[tuple[str, list[str], list[list[str]]]] = []
    checks = list(dict.fromkeys(c for v in variants.values() for c in v["checks"]))
    out.append(
        (
            "checks held (95% Wilson interval)",
            ["check", *names],
            [
                [c, *(_rate(variants[n]["checks"][c]) if c in variants[n]["checks"] else "-" for n in names)]
                for c in checks
            ],
        )
    )
    rows: list[list[str]] = []
    rows.extend(
        [
            f"{label} {key}",
            *(_pct_text(variants[n][what], key) if variants[n][what].get("paged_seeds") else "no page" for n in names),
        ]
        for what, label in (("tta", "time to acknowledge"), ("ttr", "time to resolve"))
        for key in ("p50", "p90", "p95", "p99")
    )
    for t in WITHIN:
        k = format_duration(t)
        rows.append(
            [
                f"acked within {k}",
                *(
                    f"{variants[n]['tta']['within'][k]:.1%}" if variants[n]["tta"].get("paged_seeds") else "-"
                    for n in names
                ),
            ]
        )
    rows.append(["ladder exhausted", *(_rate(variants[n]["exhausted"]) for n in names)])
    rows.append(
        [
            "acked by the first level",
            *(
                f"{variants[n]['acked_by_first_level']['rate']:.1%}"
                if variants[n]["acked_by_first_level"]["rate"] is not None
                else "-"
                for n in names
            ),
        ]
    )
    rows.append(
        [
            "censored (not acked by the end)",
            *(f"{variants[n]['tta'].get('censored', 0)} of {variants[n]['tta'].get('paged_seeds', 0)}" for n in names),
        ]
    )
    out.append(("response (Kaplan-Meier; [95% bootstrap interval])", ["figure", *names], rows))
    load_rows = []
    for n in names:
        for person, x in variants[n]["load"].items():
            week = "-" if x["pages_per_week"] is None else f"{x['pages_per_week']:.1f}"
            night = "-" if x["night_pages_per_week"] is None else f"{x['night_pages_per_week']:.1f}"
            shift = "-" if x["pages_per_shift"] is None else f"{x['pages_per_shift']:.2f}"
            load_rows.append([n, person, f"{x['pages_per_run']:.2f}", shift, week, night, _dur(x["paged_s_per_run"])])
    out.append(
        (
            f"on-call load (night: {NIGHT[0]}:00-{NIGHT[1]:02d}:00 in each person's zone)",
            ["variant", "person", "pages/run", "pages/shift", "pages/week", "night pages/week", "time paged/run"],
            load_rows,
        )
    )
    comp_rows = []
    for c in summary["comparisons"]:
        d = c["differences"]
        share = c["sooner_share"]
        sooner = "-" if share["rate"] is None else f"{share['rate']:.0%} [{share['lo']:.0%}-{share['hi']:.0%}]"
        comp_rows.append(
            [
                f"{c['other']} vs {c['base']}",
                f"{c['other_acked_sooner']} / {c['other_acked_later']} / {c['same']}",
                sooner,
                _diff(d["acked_within_15m"], pct=True),
                _diff(d["tta_p50_s"]),
                _diff(d["tta_p90_s"]),
                _diff(d["exhausted_rate"], pct=True),
            ]
        )
    if comp_rows:
        out.append(
            (
                "on the same seeds (other - base; [95% paired bootstrap])",
                [
                    "variants",
                    "sooner / later / same",
                    "sooner share",
                    "acked within 15m",
                    "tta p50",
                    "tta p90",
                    "exhausted",
                ],
                comp_rows,
            )
        )
    return out


def _diff(x: dict[str, Any], pct: bool = False) -> str:
    def show(v: float | None) -> str:
        if v is None:
            return "?"
        if pct:
            return f"{v * 100:+.1f} pts"
        return ("+" if v >= 0 else "-") + format_duration(round(abs(v)))

    return f"{show(x['diff'])} [{show(x['lo'])}, {show(x['hi'])}]"


def verdict(summary: dict[str, Any]) -> str | None:
    """One line naming the winner on the same seeds, when an interval says so."""
    lines = []
    for c in summary["comparisons"]:
        d = c["differences"]["acked_within_15m"]
        if d["lo"] is not None and d["hi"] is not None and (d["lo"] > 0 or d["hi"] < 0):
            better, worse = (c["other"], c["base"]) if d["lo"] > 0 else (c["base"], c["other"])
            lines.append(
                f"{better} beats {worse}: acked within 15m on {abs(d['diff']) * 100:.1f} pts more of the same seeds "
                f"(95% interval {min(abs(d['lo']), abs(d['hi'])) * 100:.1f}-{max(abs(d['lo']), abs(d['hi'])) * 100:.1f} pts)"
            )
        else:
            lines.append(f"{c['other']} vs {c['base']}: no clear winner on acked within 15m (the interval spans 0)")
    return "\n".join(lines) if lines else None


def render(summary: dict[str, Any], console: Any, rich: bool) -> None:
    for title, header, rows in tables(summary):
        if rich:
            from rich.table import Table

            table = Table(title=title, title_justify="left")
            for h in header:
                table.add_column(h)
            for row in rows:
                table.add_row(*(printable(c) for c in row))
            console.print(table)
        else:
            print(title)
            widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
            for row in (header, *rows):
                print("  " + "  ".join(printable(str(c)).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


CSV_FIELDS = [
    "variant",
    "seed",
    "checks",
    "invariants",
    "tta_s",
    "censored_at_s",
    "ttr_s",
    "ttr_censored_at_s",
    "ending",
    "exhausted",
    "pages",
    "night_pages",
    "paged_s",
    "shifts",
    "acked",
    "acked_first_level",
    "ran_s",
    "problem",
]


def to_csv(rows: Sequence[SeedResult]) -> str:
    """The rows as CSV (mappings as JSON text in their cells)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in rows:
        row = r.row()
        writer.writerow(
            [
                json.dumps(row[k], sort_keys=True)
                if isinstance(row[k], dict)
                else ("" if row[k] is None else _csv_safe(row[k]))
                for k in CSV_FIELDS
            ]
        )
    return buf.getvalue()


def _csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is quoted with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_json(rows: Sequence[SeedResult], summary: dict[str, Any]) -> str:
    return json.dumps({"rows": [r.row() for r in rows], "summary": summary}, indent=1, sort_keys=False, allow_nan=False)


# --- the command line ------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with bad input as one line (exit 2), escaped, pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, printable(f"{self.prog}: error: {message} (see --help)") + "\n")


EPILOG = """\
examples:
  python -m actors.sweep scenarios/escalation_drill.yaml --seeds 1..1000 --ack-loss 0.3
  python -m actors.sweep scenarios/escalation_drill.yaml --seeds 1..500 --ack-loss 0.3 \\
      --vary escalation.levels[0].escalate_after=3m,10m --json ab.json
  python -m actors.sweep scenarios/bad_deploy.yaml --compare my_ladder.yaml --seeds 1..200
  python -m actors.sweep scenarios/escalation_drill.yaml --seeds 1..5000 --scheduler local:4
  python -m actors.sweep scenarios/escalation_drill.yaml --seeds 1..50000 --scheduler tcp://10.0.0.5:8786
"""


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m actors.sweep",
        description="Run a drill over many seeds (and variants on the same seeds); report honest statistics.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario")
    parser.add_argument("--seeds", default="1..100", help="1..1000, or 1,2,7 (default 1..100)")
    parser.add_argument("--ack-loss", type=float, default=0.0, metavar="P")
    parser.add_argument("--drop-ack", action="append", default=[], metavar="LEVEL")
    parser.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=V1,V2",
        help="run each value on the same seeds (a field by its path, e.g. escalation.levels[0].escalate_after=3m,10m); "
        "several --vary make a grid",
    )
    parser.add_argument(
        "--compare", action="append", default=[], metavar="OTHER.yaml", help="also run this scenario on the same seeds"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help=f"worker processes (default: one per core; at most {MAX_WORKERS})"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster: its scheduler's address (tcp://host:8786), or local:N for N local worker processes",
    )
    parser.add_argument("--json", metavar="FILE", help='write {"rows": [...], "summary": {...}} to FILE')
    parser.add_argument("--csv", metavar="FILE", help="write the rows as CSV to FILE")
    parser.add_argument(
        "--html", metavar="FILE", help="write the report as one self-contained HTML file (curves, load, failing seeds)"
    )
    parser.add_argument("--force", action="store_true", help="replace the files --json and --csv would write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    from actors.outputs import OutputError

    try:
        seeds, workers, variants, outputs = _check(args)
    except (ScenarioError, OutputError) as exc:
        _error(str(exc))
        return 2
    results: list[SeedResult] = []
    run = SweepRun(results)
    try:
        with _progress(len(seeds) * len(variants)) as tick:
            sweep(
                variants,
                seeds,
                workers,
                args.ack_loss,
                args.drop_ack,
                progress=tick,
                results=results,
                scheduler=args.scheduler,
                run=run,
            )
        return report(args, variants, run, outputs)
    except KeyboardInterrupt:
        outputs.discard()
        with contextlib.suppress(BrokenPipeError):
            print(
                f"interrupted: {len(results)} of {len(seeds) * len(variants)} runs finished",
                file=sys.stderr,
                flush=True,
            )
            if results:
                report(args, variants, run, None)
        return 130
    except BrokenPipeError:
        outputs.discard()
        _quiet_stdout()
        return 141
    except OSError as exc:  # a scheduler that went away mid-sweep
        outputs.discard()
        _error(f"--scheduler {printable(args.scheduler or '')}: the cluster failed ({exc})")
        return 2


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar with an ETA on a terminal (stderr) for a long sweep; nothing
    in a pipe."""
    if total < 50 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("seeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("sweep", total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def report(args: argparse.Namespace, variants: Sequence[Variant], run: SweepRun, outputs: Any) -> int:
    results = sorted(run.results, key=lambda r: ([v.name for v in variants].index(r.variant), r.seed))
    summary = summarise(results, variants)
    summary["executor"] = run.executor
    summary["rerun"] = [{"variant": v, "seed": s} for v, s in run.rerun]
    seeds = len({r.seed for r in results})
    flags = (f", --ack-loss {args.ack_loss:g}" if args.ack_loss else "") + (
        f", --drop-ack {','.join(args.drop_ack)}" if args.drop_ack else ""
    )
    print(printable(f"{args.scenario}: {seeds} seeds x {len(variants)} variant(s){flags}; on {run.executor}"))
    from rich.console import Console

    console = Console()
    render(summary, console, rich=console.is_terminal)
    line = verdict(summary)
    if line:
        print(printable(line))
    if run.rerun:
        shown = ", ".join(f"{v} seed {s}" for v, s in run.rerun[:10])
        print(printable(f"re-run after a worker died: {len(run.rerun)} ({shown}); each is reported once"))
    failing = [(v, s) for v in variants for s in summary["variants"].get(v.name, {}).get("failing", [])]
    crashed = [r for r in results if r.problem]
    for r in crashed[:5]:
        print(printable(f"  {r.variant} seed {r.seed}: {r.problem}"))
    if outputs is not None:
        if args.json:
            outputs.put("--json", to_json(results, summary) + "\n")
        if args.csv:
            outputs.put("--csv", to_csv(results))
        if args.html:
            outputs.put("--html", _html(args, variants, summary))
        for path in outputs.commit():
            print(printable(f"wrote {path}"))
    if not failing:
        print("every seed held every check")
        return 0
    print(f"failing seeds ({len(failing)}; each replays exactly with its command):")
    for v, s in failing[:20]:
        print(f"  {v.replay(s, args.ack_loss, args.drop_ack)}")
    if len(failing) > 20:
        print(f"  ... and {len(failing) - 20} more (all in --json / --csv)")
    return 1


def _html(args: argparse.Namespace, variants: Sequence[Variant], summary: dict[str, Any]) -> str:
    from actors.console.html import sweep_report, table

    by_name = {v.name: v for v in variants}
    failing = [
        (name, by_name[name].replay(seed, args.ack_loss, args.drop_ack))
        for name, v in summary["variants"].items()
        for seed in v["failing"]
        if name in by_name
    ]
    tables_html = "".join(
        f"<h3>{html_escape(title)}</h3>" + table(header, rows) for title, header, rows in tables(summary)
    )
    return sweep_report(f"sweep of {args.scenario}", summary, failing, tables_html)


def html_escape(text: str) -> str:
    import html

    return html.escape(printable(text))


def _check(args: argparse.Namespace) -> tuple[list[int], int, list[Variant], Any]:
    """Every input checked before anything runs: (seeds, workers, variants, outputs)."""
    from actors.outputs import Outputs
    from actors.pipeline import Options, build
    from scenarios.budget import check_budget
    from scenarios.loader import load_scenario

    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as exc:
        raise ScenarioError(f"--seeds {printable(args.seeds[:40])}: {exc} (use 1..1000 or 1,2,7)") from None
    if not 0.0 <= args.ack_loss <= 1.0:
        raise ScenarioError(f"--ack-loss {args.ack_loss}: must be a probability from 0 to 1")
    if args.workers is not None and args.scheduler is not None:
        raise ScenarioError("--workers and --scheduler: give one (a process pool here, or a Dask cluster)")
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise ScenarioError(f"--workers {args.workers}: must lie between 1 and {MAX_WORKERS}")
    variants = variants_of(args.scenario, args.vary, args.compare)
    if len(seeds) * len(variants) > MAX_SEEDS:
        raise ScenarioError(f"--seeds: {len(seeds):,} seeds x {len(variants)} variants is more than {MAX_SEEDS:,} runs")
    workers = min(args.workers or os.cpu_count() or 1, len(seeds) * len(variants), MAX_WORKERS)
    args.drop_ack = [d.strip() for a in args.drop_ack for d in a.split(",") if d.strip()]
    for v in variants:
        scenario = load_scenario(v.path, assignments=v.assignments, where="--vary")
        check_budget(scenario, v.path)
        build(scenario, Options(ack_loss=args.ack_loss, drop_ack=args.drop_ack), path=v.path)  # validate once
    if args.scheduler is not None:
        _check_scheduler(args.scheduler)
    outputs = Outputs(force=args.force, protected=[os.path.realpath(v.path) for v in variants])
    if args.json:
        outputs.file("--json", args.json)
    if args.csv:
        outputs.file("--csv", args.csv)
    if args.html:
        outputs.file("--html", args.html)
    return seeds, workers, variants, outputs


def _check_scheduler(address: str) -> None:
    """``local:N`` with 1 <= N <= MAX_WORKERS, or an address Dask can reach within
    CONNECT_TIMEOUT seconds; Dask installed either way."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ScenarioError(
            "--scheduler: Dask is not installed (pip install -e '.[cluster]'), or use --workers"
        ) from None
    if address.startswith("local:"):
        n = address.split(":", 1)[1]
        if not (n.isascii() and n.isdigit()) or not 1 <= int(n) <= MAX_WORKERS:
            raise ScenarioError(f"--scheduler {printable(address[:40])}: local:N with N from 1 to {MAX_WORKERS}")
        return
    dist: Any = importlib.import_module("distributed")
    try:
        client = dist.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = printable(str(exc).splitlines()[0][:120]) if str(exc) else type(exc).__name__
        raise ScenarioError(
            f"--scheduler {printable(address[:80])}: no Dask scheduler answered within {CONNECT_TIMEOUT} s ({reason}); "
            "start one with `dask scheduler` and workers with `dask worker ADDRESS`, or use --workers"
        ) from None
    client.close()


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
