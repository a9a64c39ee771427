"""Seed sweeps: many seeds in parallel, figures per check, replayable failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.sweep import main, parse_seeds, percentile, sweep
from tests.conftest import ROOT, run_cli

DRILL = str(ROOT / "scenarios" / "escalation_drill.yaml")


def test_seed_ranges_and_percentiles() -> None:
    assert parse_seeds("1..3,7") == [1, 2, 3, 7]
    with pytest.raises(ValueError, match="runs backwards"):
        parse_seeds("5..1")
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 99) == 5.0
    assert percentile([], 50) is None


def test_two_workers_give_what_one_gives() -> None:
    seeds = list(range(1, 9))
    one = sweep(DRILL, seeds, 1, 0.3, ())
    two = sweep(DRILL, seeds, 2, 0.3, ())
    assert [(r.seed, r.checks, r.tta, r.ttr, r.exhausted) for r in one] == [
        (r.seed, r.checks, r.tta, r.ttr, r.exhausted) for r in two
    ]
    assert all(all(r.invariants.values()) for r in one)


def test_the_sweep_reports_rates_percentiles_and_failing_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([DRILL, "--seeds", "1..40", "--ack-loss", "0.3", "--workers", "2"])
    out = capsys.readouterr().out
    assert "40 seeds, --ack-loss 0.3" in out
    assert "time to acknowledge: p50" in out and "ladder exhausted:" in out
    assert "invariant: message accounting" in out
    assert code == (1 if "failing seeds" in out else 0)


def test_a_failing_seed_replays_byte_for_byte(tmp_path: Path) -> None:
    failing = next(r for r in sweep(DRILL, list(range(1, 60)), 2, 0.3, ()) if not all(r.checks.values()))
    traces = []
    for i in range(2):
        out = tmp_path / f"t{i}.jsonl"
        proc = run_cli(DRILL, "--seed", str(failing.seed), "--ack-loss", "0.3", "--quiet", "--trace-out", str(out))
        assert proc.returncode == 1  # the gate fails for this seed, as the sweep said
        traces.append(out.read_bytes())
    assert traces[0] == traces[1]


def test_bad_sweep_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([DRILL, "--seeds", "9..1"]) == 2
    assert main([str(ROOT / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
