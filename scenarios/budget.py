"""What a run of a scenario will cost, estimated before it runs, and the limits it must keep.

A scenario of four lines can ask for a year sampled every second, or a window of a
hundred thousand days: the estimate below counts, from the scenario alone, what the run
holds in memory (the windows' buckets, the trace's envelopes) and how much work it does
(SLO samples, pager cycles), and :func:`check_budget` refuses the run, with the figure and
the fix, when either passes its limit. The figures are upper bounds: a run usually ends
(everything resolved) long before ``until``, and the estimate assumes it does not.

The constants are measured on the drills (``python benchmarks/memory.py`` prints the
measured peak beside the estimate for every scenario).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from actors.domain.rules import PRESETS
from scenarios.limits import DEFAULT_MAX_MEMORY, DEFAULT_MAX_WORK, format_bytes, parse_bytes
from scenarios.loader import ScenarioError
from scenarios.oncall import oncall_config
from scenarios.schema import Scenario

__all__ = [
    "BYTES_PER_BUCKET",
    "BYTES_PER_MESSAGE",
    "BYTES_PER_SAMPLE",
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_WORK",
    "Estimate",
    "check_budget",
    "estimate",
    "format_bytes",
    "parse_bytes",
]

#: An envelope in the trace with its message (measured at about 1.2 KB with everything a
#: run keeps per message; an alert's labels and a notification's lists make some larger).
BYTES_PER_MESSAGE = 2500
#: One SLO at one evaluation in the SLI series (three float32 columns and its share of the
#: float64 time column): the SLI reports themselves are not kept by a run of the command
#: line (they stream to the console and --trace-out).
BYTES_PER_SAMPLE = 20
#: One bucket of a rolling window (a two-float list in a ring; or three running totals
#: in the ring of the burn-rate windows, about 100 bytes).
BYTES_PER_BUCKET = 130
#: What any run holds besides: the actors, the topology, the interpreter's working set.
FIXED_BYTES = 4 << 20
#: Per service of the dependency graph (its node, its edges, its health entries).
BYTES_PER_SERVICE = 3000


@dataclass(frozen=True)
class Estimate:
    """The cost of one run of a scenario, at most."""

    #: SLO samples: every SLO on every service, once per ``sample_every`` up to ``until``.
    samples: int
    #: Buckets of every rolling window, allocated when the run starts.
    buckets: int
    #: Messages the trace keeps, at most (the SLI reports are not kept; their figures are
    #: the samples, in the series).
    messages: int
    #: Re-pages and re-triggers the ladder can make, at most.
    pager_cycles: int

    @property
    def memory(self) -> int:
        """Bytes, at most."""
        return (
            FIXED_BYTES
            + self.buckets * BYTES_PER_BUCKET
            + self.samples * BYTES_PER_SAMPLE
            + self.messages * BYTES_PER_MESSAGE
        )

    @property
    def work(self) -> int:
        return self.samples + self.pager_cycles


def estimate(scenario: Scenario, until: float | None = None) -> Estimate:
    """The cost of a run of *scenario* up to *until* (default: its own ``until``)."""
    horizon = scenario.until if until is None else until
    step = scenario.monitor.sample_every
    ticks = math.floor(horizon / step)
    instances = 0
    buckets = 0
    rpm = {s.name: s.requests_per_minute or scenario.traffic.requests_per_minute for s in scenario.services}
    for d in scenario.slos:
        lengths: list[float] = []
        counts: list[int] = []
        if d.policy in PRESETS:
            lengths = sorted({w for spec in PRESETS[d.policy](d.period) for w in (spec.long, spec.short) if w})
        elif d.policy == "custom":
            lengths = sorted({w for t in d.tiers for w in (t.long, t.short) if w})
        else:
            for spec in (d.windows.fast, d.windows.slow):
                if isinstance(spec, int):
                    counts.append(spec)
                else:
                    lengths.append(float(spec.removesuffix("s")))
        ring = 0
        if d.policy != "two-window":
            # One ring of running totals for all the windows (three floats a bucket), filled
            # as samples come: at most the longest window, at most the samples taken.
            ring = min(ticks + 1, max((math.ceil(length / step) for length in lengths), default=1) + 1)
            lengths = [d.period] if horizon > d.period else []  # the budget keeps a ring over the period
        for service in d.service:
            instances += 1
            buckets += ring + sum(max(1, math.ceil(length / step)) for length in lengths)
            per_step = max(rpm.get(service, 1.0) * step / 60.0, 1e-9)
            buckets += sum(min(size, math.ceil(size / per_step) + 1) for size in counts)
    samples = ticks * instances
    pager_cycles = 0
    try:
        oncall = oncall_config(scenario, "scenario")
    except ScenarioError:  # a bad reference: the checks name it, with the file, before a run
        oncall = None
    if oncall is not None:
        # Every incident (one per SLO and service, and per ticket) can cycle through its
        # policy again after each ack timeout, up to until.
        incidents = instances + sum(1 for e in scenario.events if e.ticket is not None)
        delays = [r.delay for p in oncall.policies.values() for r in p.rules]
        timeouts = [s.ack_timeout for s in oncall.services.values() if s.ack_timeout is not None]
        shortest = min([*timeouts, *delays])
        rungs = max(sum(len(r.targets) for r in p.rules) * (p.num_loops + 1) for p in oncall.policies.values())
        pager_cycles = incidents * (math.floor(horizon / shortest) + rungs)
    messages = 4 * pager_cycles + 20 * len(scenario.events) + 10 * instances + 1000
    return Estimate(samples=samples, buckets=buckets, messages=messages, pager_cycles=pager_cycles)


def check_budget(
    scenario: Scenario,
    path: str,
    until: float | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
    max_work: int = DEFAULT_MAX_WORK,
) -> Estimate:
    """The estimate of a run of *scenario*; raise :class:`ScenarioError` past a limit."""
    est = estimate(scenario, until)
    if est.memory > max_memory:
        parts = [
            (est.buckets * BYTES_PER_BUCKET, f"{est.buckets:,} window buckets"),
            (est.samples * BYTES_PER_SAMPLE, f"{est.samples:,} SLO samples in the SLI series"),
            (est.messages * BYTES_PER_MESSAGE, f"{est.messages:,} messages kept in the trace"),
        ]
        biggest = max(parts, key=lambda part: part[0])[1]
        raise ScenarioError(
            f"{path}: the run would need about {format_bytes(est.memory)} ({biggest}), above the "
            f"{format_bytes(max_memory)} limit (sample less often, shorten until or the windows, "
            "or pass --max-memory to allow it)"
        )
    if est.work > max_work:
        raise ScenarioError(
            f"{path}: the run would take about {est.work:,} steps ({est.samples:,} SLO samples, "
            f"{est.pager_cycles:,} pager cycles), above the {max_work:,} limit (sample less often, "
            "shorten until, lengthen ack_timeout, or pass --max-work to allow it)"
        )
    return est
