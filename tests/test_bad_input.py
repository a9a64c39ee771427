"""The hostile-input battery: every case exits 2 with one clear line, writes nothing, runs
nothing, and stays bounded in time and memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.run import main

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


def test_drop_ack_of_a_level_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, _, err = run_main([str(path), "--drop-ack", "L5"], capsys)
    assert code == 2 and "--drop-ack L5: no such level" in err
