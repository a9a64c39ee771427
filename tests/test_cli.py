"""The command line: determinism across processes, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

DRILL = str(ROOT / "scenarios" / "bad_deploy.yaml")


def test_two_fresh_processes_with_different_hash_seeds_write_identical_traces(tmp_path: Path) -> None:
    outs = []
    for hash_seed in ("1", "4242"):
        out = tmp_path / f"trace-{hash_seed}.jsonl"
        proc = run_cli(DRILL, "--quiet", "--trace-out", str(out), env={"PYTHONHASHSEED": hash_seed})
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) >= 3


def test_the_trace_is_printed_one_line_per_message_and_a_report_follows() -> None:
    proc = run_cli(DRILL)
    assert proc.returncode == 0, proc.stderr
    assert "T+00:00:00" in proc.stdout
    assert "run over at" in proc.stdout
    assert "replay: python -m actors.run" in proc.stdout
    assert "\x1b[" not in proc.stdout  # piped: no control codes


def test_help_shows_examples() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "examples:" in proc.stdout and "--trace-out" in proc.stdout


def test_schema_is_json_schema_of_the_scenario() -> None:
    proc = run_cli("--schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["additionalProperties"] is False
    assert "events" in schema["properties"] and "name" in schema["required"]


BAD = {
    "malformed.yaml": ("name: [x\n", "malformed.yaml:2:1: malformed YAML"),
    "unknown.yaml": ("name: x\ncolour: red\n", "unknown.yaml: colour: unknown field"),
    "type.yaml": ("name: x\nseed: many\n", "type.yaml: seed: input should be a valid integer"),
    "duration.yaml": (
        "name: x\nevents:\n  - at: 5 minutes\n    note: hi\n",
        "duration.yaml: events[0].at: '5 minutes' is not a duration (use 90s, 5m, 1h30m or 3d)",
    ),
    "tag.yaml": (
        "name: !!python/object/apply:os.system ['touch PWNED']\n",
        "tag.yaml:1:7: the tag !!python/object/apply:os.system is not allowed",
    ),
    "missing_name.yaml": ("seed: 3\n", "missing_name.yaml: name: is required"),
    "list.yaml": ("- 1\n- 2\n", "list.yaml: a scenario is a mapping of fields"),
    "two_actions.yaml": (
        "name: x\nevents:\n  - at: 1m\n",
        "two_actions.yaml: events[0]: an event needs exactly one action",
    ),
    "fault_kind.yaml": (
        "name: x\nfaults:\n  - action: drop\n    kind: Pagee\n",
        "fault_kind.yaml: faults[0].kind: unknown message kind 'Pagee'",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_with_one_line_naming_the_place(tmp_path: Path, name: str) -> None:
    text, expected = BAD[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    trace = tmp_path / "trace.jsonl"
    proc = run_cli(str(path), "--trace-out", str(trace), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert expected in lines[0]
    assert str(tmp_path) in lines[0]  # the file is named
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written, nothing executed


def test_non_utf8_bytes_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    proc = run_cli(str(path))
    assert proc.returncode == 2
    assert "not UTF-8 text (byte 0xe9 at offset 9" in proc.stderr


@pytest.mark.parametrize(("target", "expected"), [("missing.yaml", "no such file"), (".", "is a directory")])
def test_missing_files_and_directories_exit_2(tmp_path: Path, target: str, expected: str) -> None:
    proc = run_cli(str(tmp_path / target))
    assert proc.returncode == 2
    assert expected in proc.stderr and "Traceback" not in proc.stderr


def test_bad_options_exit_2(tmp_path: Path) -> None:
    assert run_cli(DRILL, "--until", "soon").returncode == 2
    assert run_cli(DRILL, "--speed", "0").returncode == 2
    proc = run_cli(DRILL, "--trace-out", str(tmp_path / "no" / "such" / "dir.jsonl"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_ctrl_c_during_a_paced_drill_stops_cleanly(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "trace.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "actors.run", DRILL, "--speed", "60", "--trace-out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # imports, then a few paced virtual seconds
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted at T+" in stderr and "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "trace.jsonl.partial").exists()


HOSTILE_TEXTS = """name: "drill \\e]0;owned\\a"
services: [{name: api}]
slos: [{name: e, service: api, objective: 0.99}]
responders: [{name: ann, level: L1, ack_after: 1m}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}]}
runbooks:
  boom: [{name: "restart \\e[2J\\e]52;c;cm0gLXJmIH4=\\a it\\n# Forged heading", action: fix, signature: boom, takes: 1m}]
events:
  - {at: 1m, note: "note \\e[31mred\\u202e"}
  - {at: 2m, fault: {service: api, health: 0.0, signature: boom}}
  - {at: 3m, ticket: {reporter: "eve\\e[8m", text: "api down <script>x</script>", service: api}}
"""


def test_scenario_texts_never_reach_the_terminal_or_files_raw(tmp_path: Path) -> None:
    """Escape sequences (clear screen, window title, OSC 52 clipboard), a bidi override
    and a newline in display texts: stdout, the SVG, the trace and the postmortem hold
    them escaped, and the postmortem gains no heading and no tag."""
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_TEXTS, encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli(
        str(path), "--out", str(out), "--svg", str(tmp_path / "x.svg"), "--trace-out", str(tmp_path / "t.jsonl")
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\u202e" not in proc.stdout
    assert "note \\x1b[31mred\\u202e" in proc.stdout
    (written,) = (out / "postmortems").iterdir()  # the ticket's incident pages no one: one postmortem
    for file in (tmp_path / "x.svg", tmp_path / "t.jsonl", written, out / "regression_cases.yaml"):
        text = file.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text, file.name
    postmortem = written.read_text(encoding="utf-8")
    assert "restart \\x1b[2J" in postmortem
    assert "# Forged heading" not in postmortem.splitlines()
    assert "<script>" not in postmortem


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour allowed"])
def test_svg_sends_no_escape_codes_into_a_pipe(no_color: bool, tmp_path: Path) -> None:
    env = {"NO_COLOR": "1"} if no_color else {}
    proc = run_cli(DRILL, "--quiet", "--svg", str(tmp_path / "x.svg"), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    svg = (tmp_path / "x.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "EVAL GATE: PASS" in svg.replace("&#160;", " ")
