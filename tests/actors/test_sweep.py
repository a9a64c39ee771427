"""Seed sweeps: censored statistics, variants on paired seeds, on-call load, outputs,
replayable failures, and the executors (process pool, Dask) giving the same rows."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

import actors.sweep as sweep_module
from actors.domain.stats import km_curve, km_quantile, wilson
from actors.sweep import SeedResult, SweepRun, Variant, main, parse_seeds, percentile, summarise, sweep, tables
from tests.conftest import ROOT, run_cli

DRILL = str(ROOT / "scenarios" / "escalation_drill.yaml")
DELAY = "escalation.levels[0].escalate_after"


def rows_of(results: list[SeedResult]) -> list[dict[str, Any]]:
    return [r.row() for r in results]


def test_seed_ranges_and_percentiles() -> None:
    assert parse_seeds("1..3,7") == [1, 2, 3, 7]
    with pytest.raises(ValueError, match="runs backwards"):
        parse_seeds("5..1")
    with pytest.raises(ValueError, match="twice"):
        parse_seeds("1..3,2")
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([], 50) is None


def test_wilson_and_kaplan_meier_by_hand() -> None:
    """Wilson, 0 of 10: p = 0, z = 1.96: upper = (z^2/20) / (1 + z^2/10) / ... = 0.2775.
    Kaplan-Meier of acked at 1, censored at 2, acked at 3: at 1, 1 of 3 at risk: S = 2/3,
    F = 1/3; the run censored at 2 leaves; at 3, 1 of 1 at risk: S = 0, F = 1. The median
    is 3 (F first reaches 0.5 there); with only a censored run after 1, P(acked) stays at
    1/2 and the 0.9 quantile is never reached."""
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert km_curve([(1.0, True), (2.0, False), (3.0, True)]) == [(1.0, pytest.approx(1 / 3)), (3.0, 1.0)]
    assert km_quantile([(1.0, True), (2.0, False), (3.0, True)], 0.5) == 3.0
    assert km_curve([(1.0, True), (5.0, False)]) == [(1.0, 0.5)]
    assert km_quantile([(1.0, True), (5.0, False)], 0.9) is None


def synthetic(never: int, acked: int, ending: str = "done") -> list[SeedResult]:
    """*acked* seeds acked at 1, 2, ... minutes; *never* seeds censored at 6h."""
    out = [SeedResult("v", s, tta_s=60.0 * (s + 1), ttr_s=60.0 * (s + 2), ran_s=21600.0) for s in range(acked)]
    out += [
        SeedResult("v", acked + s, censored_at_s=21600.0, ttr_censored_at_s=21600.0, ending=ending, ran_s=21600.0)
        for s in range(never)
    ]
    return out


def test_ten_percent_never_acked_reads_never_and_the_curve_ends_at_point_nine() -> None:
    """90 seeds acked at 1..90 minutes, 10 never (their runs ended: nothing more could
    happen): the p50 is 50m (the 50th of 100), the p90 is 90m (the 90th), and the p95 and
    p99 lie in the censored tenth: "never". The acked-by curve ends at 0.9. Cut off by
    --until instead, the same tenth reads "> 6h"."""
    rows = synthetic(10, 90)
    summary = summarise(rows, [Variant("v", "x.yaml")])
    tta = summary["variants"]["v"]["tta"]
    assert tta["curve"][-1][1] == pytest.approx(0.9)
    assert [tta["percentiles"][k]["s"] for k in ("p50", "p90", "p95", "p99")] == [3000.0, 5400.0, None, None]
    shown = {row[0]: row[1] for _, _, table in tables(summary) for row in table}
    assert shown["time to acknowledge p95"] == shown["time to acknowledge p99"] == "never"
    assert shown["time to acknowledge p50"].startswith("50m [")
    assert shown["censored (not acked by the end)"] == "10 of 100"
    cut = summarise(synthetic(10, 90, ending="until"), [Variant("v", "x.yaml")])
    shown = {row[0]: row[1] for _, _, table in tables(cut) for row in table}
    assert shown["time to acknowledge p95"] == "> 6h"


def test_two_workers_give_what_one_gives() -> None:
    seeds = list(range(1, 9))
    one = sweep(DRILL, seeds, 1, 0.3, ())
    two = sweep(DRILL, seeds, 2, 0.3, ())
    assert rows_of(one) == rows_of(two)
    assert all(all(r.invariants.values()) for r in one)


def test_a_paired_comparison_of_two_ladders_names_the_winner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The L1 rung escalating after 3 minutes or after 10, with 30% of acks lost, on the
    same 500 seeds: the shorter wait has L2 paged 7 minutes sooner whenever L1 (off shift)
    does not ack, so it acks sooner on most nights and never later; the share acked
    within 15 minutes is higher, with a paired interval clear of 0."""
    out = tmp_path / "ab.json"
    code = main([DRILL, "--seeds", "1..500", "--ack-loss", "0.3", "--workers", "2",
                 "--vary", f"{DELAY}=3m,10m", "--json", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code in (0, 1)
    data = json.loads(out.read_text())
    [comparison] = data["summary"]["comparisons"]
    diff = comparison["differences"]["acked_within_15m"]
    assert comparison["other"] == f"{DELAY}=10m" and comparison["seeds"] == 500
    assert comparison["other_acked_later"] > 400 and comparison["other_acked_sooner"] == 0
    assert diff["diff"] < 0 and diff["hi"] < 0 and diff["lo"] <= diff["diff"] <= diff["hi"]
    assert f"{DELAY}=3m beats {DELAY}=10m" in text
    rows = data["rows"]
    assert [(r["variant"], r["seed"]) for r in rows] == [
        (f"{DELAY}={v}", s) for v in ("3m", "10m") for s in range(1, 501)
    ]


def test_a_variant_replays_exactly_as_the_sweep_ran_it(tmp_path: Path) -> None:
    """The replay command of a varied seed (--set) gives the verdict the sweep recorded."""
    variant = Variant(f"{DELAY}=10m", DRILL, ((DELAY, ("escalation", "levels", 0, "escalate_after"), "10m"),))
    [row] = sweep([variant], [3], 1, 0.3, ())
    command = variant.replay(3, 0.3, ())
    assert "--set" in command and "escalate_after=10m" in command
    args = command.split()[3:]
    proc = run_cli(*(a.strip("'") for a in args), "--quiet")
    assert proc.returncode == (0 if all(row.checks.values()) else 1)
    for name, held in row.checks.items():
        assert f"[{'PASS' if held else 'FAIL'}] {name}" in proc.stdout


def test_on_call_load_counts_pages_night_pages_and_time_paged() -> None:
    """escalation_drill starts at 02:00 UTC: every page is at night (22:00-07:00) for
    people in UTC. Each page counts for the person paged, and time paged runs from the
    page to the ack (or the end)."""
    [row] = sweep(DRILL, [1], 1, 0.0, ())
    assert row.pages and row.pages == row.night_pages
    assert set(row.paged_s) == set(row.pages)
    assert row.tta_s is not None and row.censored_at_s is None
    assert row.acked == 1 and row.acked_first_level == 0  # frank, L1, is off shift: L2 acked after escalation


def test_json_and_csv_carry_the_same_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    js, cs = tmp_path / "s.json", tmp_path / "s.csv"
    main([DRILL, "--seeds", "1..6", "--workers", "1", "--json", str(js), "--csv", str(cs)])
    capsys.readouterr()
    rows = json.loads(js.read_text())["rows"]
    table = list(csv.DictReader(io.StringIO(cs.read_text())))
    assert [int(r["seed"]) for r in table] == [r["seed"] for r in rows] == list(range(1, 7))
    for j, c in zip(rows, table, strict=True):
        assert json.loads(c["checks"]) == j["checks"] and json.loads(c["pages"]) == j["pages"]
        assert (c["tta_s"] or None) == (None if j["tta_s"] is None else str(j["tta_s"]))
        assert set(j) >= {"variant", "seed", "checks", "tta_s", "ttr_s", "censored_at_s", "exhausted", "pages"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "9..1"], "runs backwards"),
        (["--vary", "escalation.levels[0].escalate_aftr=3m,10m"], "did you mean escalate_after?"),
        (["--vary", "escalation.lvels[0].escalate_after=3m"], "did you mean levels?"),
        (["--vary", "escalation.levels[9].escalate_after=3m"], "has 3 item(s)"),
        (["--vary", "faults[0].probability=0.1,2"], "less than or equal to 1"),
        (["--vary", "escalation.levels[0].escalate_after"], "give PATH=V1,V2"),
        (["--workers", "2", "--scheduler", "local:2"], "give one"),
        (["--scheduler", "local:0"], "local:N"),
        (["--compare", "nope.yaml"], "no such file"),
    ],
)
def test_bad_sweep_input_exits_2_in_one_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.json"
    assert main([DRILL, *args, "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and not out.exists()


def test_an_unreachable_scheduler_is_one_line_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_module, "CONNECT_TIMEOUT", 2)
    assert main([DRILL, "--seeds", "1..3", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no Dask scheduler answered within 2 s" in err and len(err.splitlines()) == 1


def test_a_json_path_that_is_a_folder_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([DRILL, "--seeds", "1..3", "--json", str(tmp_path)]) == 2
    assert "--json" in capsys.readouterr().err


def test_a_dask_cluster_gives_the_process_pools_rows_even_when_a_worker_dies() -> None:
    """On a LocalCluster of 2 worker processes, the rows are the process pool's, seed by
    seed. Then a worker is killed mid-sweep (its nanny starts another): the scheduler runs
    its seeds again, and every seed is reported once, with the same rows."""
    distributed = pytest.importorskip("distributed")
    seeds = list(range(1, 41))
    variants = [
        Variant(f"{DELAY}={v}", DRILL, ((DELAY, ("escalation", "levels", 0, "escalate_after"), v),))
        for v in ("3m", "10m")
    ]
    pool = rows_of(sweep(variants, seeds, 2, 0.3, ()))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert rows_of(sweep(variants, seeds, scheduler=cluster.scheduler_address, ack_loss=0.3)) == pool
        with distributed.Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one(done: int, total: int) -> None:
            if done >= 10 and not killed:
                os.kill(pids[0], 9)
                killed.append(pids[0])

        run = SweepRun([])
        rows = sweep(variants, seeds, scheduler=cluster.scheduler_address, ack_loss=0.3, progress=kill_one, run=run)
    assert killed
    assert [(r.variant, r.seed) for r in rows] == [(v.name, s) for v in variants for s in seeds]
    assert rows_of(rows) == pool
    assert set(run.rerun) <= {(v.name, s) for v in variants for s in seeds}


ONE_RUNG = """\
name: one-rung
seed: 1
until: 2h
traffic: {requests_per_minute: 200, outcomes: exact}
services: [{name: api}]
slos: [{name: avail, service: api, objective: 0.99}]
responders: [{name: ann, level: L1, ack_after: {min: 1m, max: 4m}}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}], ack_timeout: 3h}
faults: [{name: lost-ack, action: drop, kind: PageAcked, probability: 0.1}]
events: [{at: 10m, fault: {service: api, health: 0.5}}]
"""


def test_seeds_whose_only_ack_is_lost_are_censored_not_dropped(tmp_path: Path) -> None:
    """One rung, no repeat: ann's ack is lost on about a tenth of the seeds and nobody is
    left to page. Those seeds are censored, not dropped: the acked-by curve ends at the
    acked share of the paged seeds exactly, and a percentile above it reads "never"."""
    path = tmp_path / "one_rung.yaml"
    path.write_text(ONE_RUNG, encoding="utf-8")
    rows = sweep(str(path), list(range(1, 201)), 2)
    paged = [r for r in rows if r.paged]
    acked = [r for r in paged if r.tta_s is not None]
    assert len(paged) == 200 and 5 <= len(paged) - len(acked) <= 40
    summary = summarise(rows, [Variant(path.name, str(path))])
    tta = summary["variants"][path.name]["tta"]
    assert tta["curve"][-1][1] == pytest.approx(len(acked) / len(paged))
    assert tta["censored"] == len(paged) - len(acked) and tta["censored_never"]
    shown = {row[0]: row[1] for _, _, table in tables(summary) for row in table}
    assert shown["time to acknowledge p99"] == "never"


def test_shifts_count_each_paged_persons_turns_in_the_schedules() -> None:
    """follow_the_sun's day (Wednesday 10 March 2027, from 00:00 UTC): London's weekly
    rotation from 1 March gives liam the week of the 8th, on call 07:00-19:00 (UTC in
    March): one shift, in which he takes 4 pages. New York's daily turns from 1 March
    14:00 EST alternate nia and nate: the 10th's turn (the tenth day, index 9) is nate's,
    from 19:00 UTC to the end of the run: one shift, 1 page. Pages per shift: 4 and 1."""
    [row] = sweep(str(ROOT / "scenarios" / "follow_the_sun.yaml"), [7], 1)
    assert row.pages == {"liam": 4, "nate": 1} and row.shifts == {"liam": 1, "nate": 1}
    load = summarise([row], [Variant(row.variant, "x")])["variants"][row.variant]["load"]
    assert (load["liam"]["pages_per_shift"], load["nate"]["pages_per_shift"]) == (4.0, 1.0)
