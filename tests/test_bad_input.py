"""The hostile-input battery: every case exits 2 with one clear line, writes nothing, runs
nothing, and stays bounded in time and memory.

Cases are named after the class of defect they belong to (``time:``, ``budget:``,
``reading:``, ``terminal:``, ``identifier:``, ``outputs:``, ``exit codes:``, ``sweep:``),
at least two per class; ``tests/test_outputs.py`` holds every output flag against every
hazard, ``tests/test_faults_hold.py`` the faults that must change nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from actors.run import main
from tests.conftest import ROOT


def start(module: str, *args: str, text: bool = True, **kw: Any) -> subprocess.Popen[Any]:
    """``python -m <module> args`` in a fresh process, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=kw.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        text=text,
        **kw,
    )


BASE = """name: x
services: [{name: api}, {name: db}]
slos: [{name: e, service: api, objective: 0.99}]
responders: [{name: ann, level: L1}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}]}
"""

CASES: dict[str, tuple[str, str]] = {
    "missing field": ("seed: 3\n", "name: is required"),
    "wrong type": ("name: x\nseed: [1, 2]\n", "seed: input should be a valid integer"),
    "negative duration": ("name: x\nevents: [{at: -5m, note: hi}]\n", "events[0].at: '-5m' is not a duration"),
    "bad duration": ("name: x\nuntil: 5 minutes\n", "until: '5 minutes' is not a duration"),
    "unknown field": ("name: x\ncolour: red\n", "colour: unknown field"),
    "unknown dependency": (
        "name: x\nservices: [{name: a, depends_on: [b]}]\n",
        "services[0].depends_on: unknown service 'b'",
    ),
    "self dependency": ("name: x\nservices: [{name: a, depends_on: [a]}]\n", "depends on itself"),
    "duplicate service": ("name: x\nservices: [{name: a}, {name: a}]\n", "services[1].name: 'a' is already defined"),
    "unknown service in an slo": (
        "name: x\nservices: [{name: a}]\nslos: [{name: e, service: b, objective: 0.9}]\n",
        "slos[0].service: unknown service 'b'",
    ),
    "objective above 1": (
        "name: x\nservices: [{name: a}]\nslos: [{name: e, service: a, objective: 1.5}]\n",
        "slos[0].objective",
    ),
    "a billion requests a minute": (
        "name: x\ntraffic: {requests_per_minute: 1000000000}\n",
        "traffic.requests_per_minute: input should be less than or equal to 1000000",
    ),
    "escalation target missing": (
        BASE.replace("targets: [ann]", "targets: [zed]"),
        "escalation.levels[0].targets: no responder named 'zed'",
    ),
    "empty ladder": (
        BASE.replace("levels: [{name: L1, targets: [ann], escalate_after: 5m}]", "levels: []"),
        "the ladder needs at least one level",
    ),
    "level unknown to the ladder": (BASE.replace("level: L1}", "level: L9}"), "responders[0].level: no level 'L9'"),
    "repeat above 9": (
        BASE.replace("escalate_after: 5m}]}", "escalate_after: 5m}], repeat: 12}"),
        "escalation.repeat: input should be less than or equal to 9",
    ),
    "runbook without steps": (
        BASE + "runbooks: {crashloop: []}\n",
        "runbooks.crashloop: a runbook needs at least one step",
    ),
    "runbook level that does not exist": (
        BASE + "runbooks: {x: [{name: s, action: rollback, min_level: L7}]}\n",
        "runbooks.x[0].min_level: no level 'L7'",
    ),
    "release that does not exist": (
        "name: x\nevents: [{at: 1m, deploy: {release: v9}}]\n",
        "events[0].deploy.release: unknown release 'v9'",
    ),
    "ticket on an unknown service": (
        "name: x\nevents: [{at: 1m, ticket: {reporter: r, text: t, service: nope}}]\n",
        "events[0].ticket.service: unknown service 'nope'",
    ),
    "responder named like a built-in actor": (
        BASE.replace("name: ann", "name: monitor").replace("targets: [ann]", "targets: [monitor]"),
        "responders[0].name: 'monitor' is the name of a built-in actor",
    ),
    "crash of an unknown actor": (
        "name: x\nevents: [{at: 1m, crash: {actor: nobody}}]\n",
        "events[0].crash.actor: no actor 'nobody'",
    ),
    "probability above 1": ("name: x\nfaults: [{action: drop, probability: 3}]\n", "faults[0].probability"),
    "unknown message kind": (
        "name: x\nfaults: [{action: drop, kind: Pagee}]\n",
        "faults[0].kind: unknown message kind 'Pagee'",
    ),
    "python tag": (
        "name: !!python/object/apply:os.system ['touch PWNED']\n",
        "the tag !!python/object/apply:os.system is not allowed",
    ),
    "python name tag": ("name: !!python/name:os.system\n", "is not allowed"),
    "malformed yaml": ("name: [x\n", "malformed YAML"),
    "empty file": ("", "a scenario is a mapping of fields"),
    "a list at the top": ("- 1\n- 2\n", "a scenario is a mapping of fields"),
    "extends outside the folder": (
        "extends: ../other.yaml\nname: x\n",
        "extends: '../other.yaml' must name a scenario file in the same folder",
    ),
    "alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "name: x\n",
        "expands to more than 100000 values (an alias bomb?",
    ),
    "deeply nested": ("name: x\ndescription: " + "[" * 200 + "]" * 200 + "\n", "nested deeper than 64 levels"),
    # --- time: every instant moves, no duration loops ---------------------------------
    "time: until past ten years": ("name: x\nuntil: 3651d\n", "until: '3651d' is longer than virtual time goes"),
    "time: an instant finer than a millisecond": (
        "name: x\nevents: [{at: 0.0001, note: hi}]\n",
        "events[0].at: 0.0001 is finer than a millisecond",
    ),
    "time: an ack timeout of zero re-pages forever": (
        BASE.replace("escalate_after: 5m}]}", "escalate_after: 5m}], ack_timeout: 0s}"),
        "escalation.ack_timeout: ack_timeout must be at least 1s",
    ),
    "time: a seed of 5000 digits": ("name: x\nseed: " + "9" * 5000 + "\n", "is not a valid int"),
    # --- budget: numbers in their domains, runs that fit -------------------------------
    "budget: an infinite sensitivity": (
        "name: x\nservices: [{name: a}]\nslos: [{name: e, service: a, objective: 0.9, sensitivity: .inf}]\n",
        "slos[0].sensitivity: input should be a finite number",
    ),
    "budget: a period of zero": (
        "name: x\nservices: [{name: a}]\nslos: [{name: e, service: a, objective: 0.9, period: 0s}]\n",
        "is shorter than the longest alert window",
    ),
    "budget: a budget too small to represent": (
        "name: x\nservices: [{name: a}]\nslos: [{name: e, service: a, objective: 0.99999999}]\n",
        "slos[0].objective: input should be less than or equal to 0.999999",
    ),
    "budget: a window of a thousand days sampled every second": (
        (
            "name: x\nservices: [{name: a}]\nmonitor: {sample_every: 1s}\n"
            "slos: [{name: e, service: a, objective: 0.9, windows: {fast: 5m, slow: 1000d}, period: 1000d}]\n"
        ),
        "above the 2.0 GB limit",
    ),
    "budget: ten years sampled every second": (
        (
            "name: x\nuntil: 3650d\nservices: [{name: a}]\nmonitor: {sample_every: 1s}\n"
            "slos: [{name: e, service: [a], objective: 0.9}]\n"
        ),
        "the run would",
    ),
    "budget: a negative seed": ("name: x\nseed: -1\n", "seed: input should be greater than or equal to 0"),
    # --- reading: strict YAML, files bounded --------------------------------------------
    "reading: a key given twice": ("name: x\nseed: 1\nseed: 2\n", "the key 'seed' is given twice"),
    "reading: control bytes in the file": ("name: x\x1b]0;owned\x07\n", "a control character"),
    "time: a start that would run past the calendar": (
        "name: x\nstart: 9999-12-31T00:00:00Z\n",
        "start: 9999 is out of range",
    ),
    "reading: a date that does not exist": ("name: x\nstart: 2026-02-30\n", "'2026-02-30' is not a valid timestamp"),
    # --- terminal: what a scenario says never reaches the terminal raw ------------------
    "terminal: an escape sequence in a service name": (
        'name: x\nservices: [{name: "a\\e[2Jb"}]\n',
        "'a\\x1b[2Jb': '\\x1b' is not allowed in a name",
    ),
    "terminal: a bidi override in a responder's name": (
        BASE.replace("name: ann", 'name: "ann\\u202e"').replace("targets: [ann]", 'targets: ["ann\\u202e"]'),
        "'\\u202e' is not allowed in a name",
    ),
    # --- identifier: the safe set ---------------------------------------------------------
    "identifier: a responder named *": (
        BASE.replace("name: ann", "name: '*'").replace("targets: [ann]", "targets: ['*']"),
        "responders[0].name: '*': '*' is not allowed in a name",
    ),
    "identifier: look-alike letters from two scripts": (
        'name: x\nservices: [{name: "\\u0430pi"}]\n',
        "mixes scripts (Cyrillic, Latin)",
    ),
    "identifier: a space in a service name": (
        "name: x\nservices: [{name: my api}]\n",
        "services[0].name: 'my api': ' ' is not allowed in a name",
    ),
    "pagerduty: unknown time zone": (
        (
            "name: x\nresponders: [{name: ann}]\npagerduty: {services: [{name: web, escalation_policy: p}], "
            "escalation_policies: [{name: p, rules: [{escalation_delay_in_minutes: 5, targets: [{type: schedule_reference, id: s}]}]}], "
            "schedules: [{name: s, time_zone: Mars/Olympus, layers: [{start: '2027-01-01T00:00:00Z', rotation_turn_length_seconds: 60, users: [ann]}]}]}\n"
        ),
        "unknown time zone 'Mars/Olympus'",
    ),
    "time zone: a name too long for a file": (
        "name: x\nresponders: [{name: a, time_zone: " + "x" * 400 + "}]\n",
        "responders[0].time_zone: unknown time zone",
    ),
    "pagerduty: a target nobody defined": (
        (
            "name: x\nresponders: [{name: ann}]\npagerduty: {services: [{name: web, escalation_policy: p}], "
            "escalation_policies: [{name: p, rules: [{escalation_delay_in_minutes: 5, targets: [{type: user_reference, id: bob}]}]}]}\n"
        ),
        "pagerduty.escalation_policies[0].rules[0].targets[0].id: no user named 'bob' (add it under responders:)",
    ),
    "pagerduty: a turn of zero seconds": (
        (
            "name: x\nresponders: [{name: ann}]\npagerduty: {services: [{name: web, escalation_policy: p}], "
            "escalation_policies: [{name: p, rules: [{escalation_delay_in_minutes: 5, targets: [{type: user_reference, id: ann}]}]}], "
            "schedules: [{name: s, layers: [{start: '2027-01-01T00:00:00Z', rotation_turn_length_seconds: 0, users: [ann]}]}]}\n"
        ),
        "rotation_turn_length_seconds",
    ),
    "pagerduty: a layer start without an offset": (
        (
            "name: x\nresponders: [{name: ann}]\npagerduty: {services: [{name: web, escalation_policy: p}], "
            "escalation_policies: [{name: p, rules: [{escalation_delay_in_minutes: 5, targets: [{type: user_reference, id: ann}]}]}], "
            "schedules: [{name: s, layers: [{start: '2027-01-01T00:00:00', rotation_turn_length_seconds: 60, users: [ann]}]}]}\n"
        ),
        "an instant needs an offset",
    ),
    "pagerduty: a service on no policy": (
        (
            "name: x\nresponders: [{name: ann}]\npagerduty: {services: [{name: web, escalation_policy: q}], "
            "escalation_policies: [{name: p, rules: [{escalation_delay_in_minutes: 5, targets: [{type: user_reference, id: ann}]}]}]}\n"
        ),
        "pagerduty.services[0].escalation_policy: no policy named 'q' (one of: p)",
    ),
    "pagerduty: num_loops above 9": (
        (
            "name: x\nresponders: [{name: ann}]\npagerduty: {services: [{name: web, escalation_policy: p}], "
            "escalation_policies: [{name: p, num_loops: 10, rules: [{escalation_delay_in_minutes: 5, targets: [{type: user_reference, id: ann}]}]}]}\n"
        ),
        "num_loops",
    ),
    "pagerduty: both ladders": (
        (
            "name: x\nresponders: [{name: ann, level: L1}]\nescalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}]}\n"
            "pagerduty: {services: [{name: web, escalation_policy: p}], "
            "escalation_policies: [{name: p, rules: [{escalation_delay_in_minutes: 5, targets: [{type: user_reference, id: ann}]}]}]}\n"
        ),
        "give either escalation: or pagerduty:, not both",
    ),
}


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_scenarios_exit_2_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text, expected = CASES[case]
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main([str(path), "--trace-out", str(tmp_path / "t.jsonl"), "--out", "out"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert lines[0].startswith(f"error: {path}")
    assert out == "" and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]  # nothing written, nothing run


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"name: x\n" + b"# padding\n" * 200_000)
    code, _, err = run_main([str(path)], capsys)
    assert code == 2 and "is too large for a scenario" in err


def test_non_utf8_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    code, _, err = run_main([str(path)], capsys)
    assert code == 2 and "not UTF-8 text" in err


def test_a_directory_instead_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([str(tmp_path)], capsys)
    assert code == 2 and "is a directory" in err


def test_an_out_path_that_escapes_upward(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("name: x\n", encoding="utf-8")
    code, out, err = run_main([str(path), "--out", "../elsewhere"], capsys)
    assert code == 2 and "climbs out of the working folder" in err and out == ""


def test_reading_an_extends_that_leads_out_of_the_folder_by_a_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: TOP-SECRET-VALUE\n", encoding="utf-8")
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "base.yaml").symlink_to(secret)
    path = tmp_path / "drills" / "x.yaml"
    path.write_text("extends: base.yaml\n", encoding="utf-8")
    code, out, err = run_main([str(path)], capsys)
    assert code == 2 and out == ""
    assert "leads out of the scenario's folder through a symbolic link" in err
    assert "TOP-SECRET" not in err and len(err.strip().splitlines()) == 1


def test_reading_a_base_over_the_size_limit_is_refused_not_truncated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base.yaml").write_bytes(b"name: base\n" + b"# pad\n" * 200_000)
    path = tmp_path / "x.yaml"
    path.write_text("extends: base.yaml\n", encoding="utf-8")
    code, _, err = run_main([str(path)], capsys)
    assert code == 2 and "base.yaml: " in err and "is too large for a scenario" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--until", "4000d"], "is longer than virtual time goes"),
        (["--speed", "1e-300"], "must lie between 0.001 and 1e+09"),
        (["--seed", "9" * 5000], "is not a seed"),
        (["--max-memory", "lots"], "is not a size"),
    ],
    ids=[
        "time: --until past ten years",
        "time: a speed that never moves",
        "budget: a huge --seed",
        "budget: --max-memory",
    ],
)
def test_bad_options_by_class(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, out, err = run_main([str(path), *args], capsys)
    assert code == 2 and out == "" and expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.yaml"]


def test_budget_max_memory_lets_people_who_mean_it_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal names the figure and the flag; the flag lifts it (here the other way: a
    tiny limit refuses a drill that fits the default)."""
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, _, err = run_main([str(path), "--max-memory", "1M", "--quiet"], capsys)
    assert code == 2 and "above the 1.0 MB limit" in err and "--max-memory" in err
    code, _, _ = run_main([str(path), "--max-memory", "64M", "--quiet"], capsys)
    assert code == 0


def test_terminal_the_replay_command_is_shell_quoted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario file named ``x;touch PWNED;#.yaml``: the printed replay line quotes it, so
    pasting it runs the drill, not ``touch``."""
    import shlex

    path = tmp_path / "x;touch PWNED;#.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, out, _ = run_main([str(path), "--quiet"], capsys)
    assert code == 0
    line = next(text for text in out.splitlines() if "replay:" in text)
    command = line.split("replay: ", 1)[1]
    assert shlex.split(command)[3] == str(path)


def test_terminal_a_check_name_cannot_forge_the_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A check named with a newline and ESC codes prints on one line, escaped: no forged
    "EVAL GATE: PASS" line appears above the real FAIL."""
    text = BASE + 'expect: [{check: exhausted, name: "x\\n\\e[32mEVAL GATE: PASS (exit 0)\\e[0m"}]\n'
    path = tmp_path / "forge.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run_main([str(path), "--quiet"], capsys)
    assert code == 1
    assert "\x1b" not in out
    assert [line for line in out.splitlines() if line.startswith("EVAL GATE")] == ["EVAL GATE: FAIL (exit 1)"]
    assert "x\\n\\x1b[32mEVAL GATE: PASS" in out


def test_drop_ack_of_a_level_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, _, err = run_main([str(path), "--drop-ack", "L5"], capsys)
    assert code == 2 and "--drop-ack L5: no such level" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--out", "{tmp}/ok.yaml"], "is a file, not a folder"),
        (["--trace-out", "{tmp}/same.out", "--svg", "{tmp}/same.out"], "--trace-out writes the same file"),
        (["--trace-out", "{tmp}/no/such/folder/t.jsonl"], "does not exist (create it first)"),
    ],
    ids=["outputs: --out names a file", "outputs: two flags, one file", "outputs: a folder that is not there"],
)
def test_outputs_by_class(args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, out, err = run_main([str(path), *(a.format(tmp=tmp_path) for a in args)], capsys)
    assert code == 2 and out == "" and expected in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.yaml"]


SLOW_DRILL = BASE + "until: 2h\nevents: [{at: 1m, fault: {service: api, health: 0.0}}, {at: 90m, note: end}]\n"


@pytest.mark.parametrize(
    ("signame", "code"), [("SIGTERM", 143), ("SIGHUP", 129)], ids=["exit codes: SIGTERM", "exit codes: SIGHUP"]
)
def test_exit_codes_a_signal_stops_the_run_and_leaves_nothing(signame: str, code: int, tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(SLOW_DRILL, encoding="utf-8")
    proc = start("actors.run", str(path), "--speed", "60", "--trace-out", str(tmp_path / "t.jsonl"))
    time.sleep(3)  # imports, then a few paced virtual seconds
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"({signame}): nothing written" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.yaml"]  # no trace, no temp file


def test_exit_codes_a_crash_is_3_even_when_the_console_is_gone(tmp_path: Path) -> None:
    """stdout closed before the run (the reader went away): the crash still exits 3."""
    path = tmp_path / "crash.yaml"
    path.write_text(BASE + "events: [{at: 1m, crash: {actor: monitor}}]\n", encoding="utf-8")
    read, write = os.pipe()
    os.close(read)  # nobody will read what the run prints
    proc = start("actors.run", str(path), stdout=write)
    os.close(write)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr and "actor monitor crashed" in stderr


def run_sweep(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from actors.sweep import main as sweep_main

    try:
        code = sweep_main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--seeds", "1..1000000000"], "more than 1,000,000 seeds"),
        (["--seeds", "1..x"], "is not a seed"),
        (["--workers", "0"], "--workers 0: must lie between 1 and 256"),
        (["--workers", "100000"], "must lie between 1 and 256"),
    ],
    ids=["sweep: a billion seeds", "sweep: not a seed", "sweep: no workers", "sweep: too many workers"],
)
def test_sweep_by_class(args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, out, err = run_sweep([str(path), *args], capsys)
    assert code == 2 and out == "" and expected in err and len(err.strip().splitlines()) == 1


def test_sweep_ctrl_c_reports_the_seeds_finished_and_exits_130(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE + "events: [{at: 1m, fault: {service: api, health: 0.0}}]\n", encoding="utf-8")
    proc = start("actors.sweep", str(path), "--seeds", "1..200000", "--workers", "2", start_new_session=True)
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    finished = int(err.split("interrupted: ", 1)[1].split(" of 200000 runs finished", 1)[0])
    assert finished < 200000
    if finished:  # on a loaded machine the workers may not have finished a seed in 4 s
        assert f"{path}: {finished} seeds x 1 variant(s)" in out


def test_sweep_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE + "events: [{at: 1m, fault: {service: api, health: 0.0}}]\n", encoding="utf-8")
    sweep = start("actors.sweep", str(path), "--seeds", "1..30", "--workers", "1", text=False)
    assert sweep.stdout is not None
    sweep.stdout.readline()
    sweep.stdout.close()  # as `| head -1` does
    _, err = sweep.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err
