"""The SLI series, reports kept out of memory, and watchers with topics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio

from actors.pipeline import Options, build
from actors.report.digest import digest
from actors.report.invariants import check_invariants
from bus.bus import Bus
from bus.clock import run_virtual
from bus.messages import DrillNote, IncidentOpened, SliReported
from bus.series import Series
from scenarios.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_the_series_gives_back_six_decimals_from_float32_columns() -> None:
    series = Series()
    a = series.declare("avail", "api", "error_rate", 0.999)
    b = series.declare("latency", "api", "latency", 0.99)
    assert series.declare("avail", "api", "error_rate", 0.999) == a  # a restarted monitor keeps its column
    for t, sli in ((60.0, 0.997), (120.0, 0.123457), (180.0, 1.0)):
        series.tick(t)
        series.add(a, sli, -3.654321, 1000.0)
        series.add(b, 1.0, 0.5, 1000.0)
    got = series.samples("api", slo="avail", since=100.0)
    assert [(s.t, s.sli, s.budget_remaining, s.requests) for s in got] == [
        (120.0, 0.123457, -3.654321, 1000.0),
        (180.0, 1.0, -3.654321, 1000.0),
    ]
    assert [s.slo for s in series.samples(since=60.0, until=60.0)] == ["avail", "latency"]
    assert series.samples("other") == []
    assert series.nbytes == 3 * 8 + 2 * 3 * 3 * 4  # 8 bytes a time, 12 per SLO per evaluation


def test_watchers_say_which_services_they_want() -> None:
    """A watch with topics: the publisher asks what is wanted; a plain subscription (or a
    watch without topics) wants everything; nobody listening is the empty set."""

    async def main() -> list[object]:
        bus = Bus()
        for name in ("r1", "r2", "c"):
            bus.mailbox(name)
        seen: list[object] = [bus.listening(SliReported)]
        bus.watch("r1", SliReported, True, {"api"})
        bus.watch("r2", SliReported, True, {"db"})
        seen.append(bus.listening(SliReported))
        bus.watch("r1", SliReported, True, {"web"})  # topics change while watching
        seen.append(bus.listening(SliReported))
        bus.watch("r2", SliReported, False)
        seen.append(bus.listening(SliReported))
        bus.subscribe("c", SliReported)
        seen.append(bus.listening(SliReported))
        return seen

    seen, _ = run_virtual(main)
    assert seen == [frozenset(), frozenset({"api", "db"}), frozenset({"web", "db"}), frozenset({"web"}), None]


def test_a_trace_that_passes_reports_through_keeps_the_rest_and_its_numbers() -> None:
    """Reports go to the sinks, not the envelopes; a kept envelope is found by its own
    number; a causal chain stops at a report; the digest still finds the numbers dense."""

    async def main() -> Bus:
        bus = Bus()
        bus.trace.pass_through(SliReported)
        sunk: list[int] = []
        bus.trace.sinks.append(lambda env: sunk.append(env.seq))
        bus.publish("m", DrillNote(text="first"))
        report = bus.publish(
            "m",
            SliReported(slo="s", service="api", symptom="error_rate", objective=0.99, sli=0.5,
                        budget_remaining=0.1, burns={}, action="page", severity="sev1"),
        )  # fmt: skip
        assert report is not None
        bus.publish("m", DrillNote(text="after the report"), parent=report.seq)
        assert sunk == [1, 2, 3]
        await anyio.sleep(0)
        return bus

    bus, _ = run_virtual(main)
    trace = bus.trace
    assert [e.seq for e in trace] == [1, 3] and trace.passed == 1
    first, second = (e.msg for e in trace)  # the same fields given: one set, shared
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__ == {"text"}
    child = trace.get(3)
    assert child.msg == DrillNote(text="after the report") and trace.ancestors(child) == []
    d = digest(trace)
    assert d.dense and d.last_seq == 3
    trace.passed = 2  # a number lost: the digest says so
    assert not digest(trace).dense


def test_a_run_without_reports_in_memory_holds_its_invariants_and_figures() -> None:
    """The command line's way (reports not kept): the same incidents at the same times,
    every invariant held, and the series is the same."""
    scenario = load_scenario(str(ROOT / "scenarios" / "follow_the_sun.yaml"))
    kept = build(scenario).run()
    passed = build(scenario, Options(keep_reports=False)).run()
    assert passed.trace.passed > 0 and not passed.trace.of(SliReported)
    opened = [(e.t, e.msg.root_service) for e in kept.trace.of(IncidentOpened)]
    assert opened == [(e.t, e.msg.root_service) for e in passed.trace.of(IncidentOpened)]
    d = digest(passed.trace)
    assert all(i.held for i in check_invariants(d, passed.accounts)), check_invariants(d, passed.accounts)
    assert kept.trace.series.samples() == passed.trace.series.samples()


def test_the_trace_file_still_has_every_report(tmp_path: Path) -> None:
    out = tmp_path / "trace.jsonl"
    cmd = [sys.executable, "-m", "actors.run", "scenarios/bad_deploy.yaml", "--quiet", "--trace-out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert sum(line["msg"]["kind"] == "SliReported" for line in lines) > 10
