"""Every output flag against every hazard: each is refused before the run (exit 2, one
line, no traceback), with ``--force`` too, and nothing in the folder changes. Then the
writes themselves: whole or not at all, never through a link."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from actors.outputs import OutputError, Outputs
from actors.run import main

SCENARIO = """name: x
services: [{name: api}]
slos: [{name: e, service: api, objective: 0.99}]
responders: [{name: ann, level: L1, ack_after: 1m}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}]}
runbooks: {boom: [{name: fix it, action: fix, signature: boom, takes: 1m}]}
events: [{at: 2m, fault: {service: api, health: 0.0, signature: boom}}]
"""


def snapshot(root: Path) -> dict[str, str]:
    """Every path under *root* (hidden ones too) with what it is and holds."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                out[str(path)] = "link->" + os.readlink(path)
            elif stat.S_ISREG(mode):
                out[str(path)] = path.read_text(encoding="utf-8", errors="replace")
            else:
                out[str(path)] = oct(stat.S_IFMT(mode))
    return out


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder no file can be made in: read-only for a user; /proc when the tests run as
    root (root writes through permission bits; /proc takes no new files from anyone)."""
    if os.geteuid() == 0:
        return Path("/proc")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


# hazard -> (make it under tmp_path and return the path to pass, what the message says)
def _symlink(tmp: Path, flag: str) -> tuple[str, str]:
    target = tmp / "elsewhere"
    target.mkdir()
    if flag == "--out":
        (tmp / "link").symlink_to(target)
    else:
        (tmp / "link").symlink_to(target / "victim.txt")
    return str(tmp / "link"), "is a symbolic link"


def _fifo(tmp: Path, flag: str) -> tuple[str, str]:
    os.mkfifo(tmp / "pipe")
    return str(tmp / "pipe"), "FIFO" if flag != "--out" else "is a file, not a folder"


def _directory(tmp: Path, flag: str) -> tuple[str, str]:
    if flag == "--out":  # a folder is right for --out: a folder where its file goes is not
        (tmp / "out" / "regression_cases.yaml").mkdir(parents=True)
        return str(tmp / "out"), "is a directory"
    (tmp / "adir").mkdir()
    return str(tmp / "adir"), "is a directory"


def _scenario(tmp: Path, flag: str) -> tuple[str, str]:
    if flag == "--out":  # the scenario placed where --out writes its regression cases
        (tmp / "out").mkdir()
        (tmp / "out" / "regression_cases.yaml").write_text(SCENARIO, encoding="utf-8")
        return str(tmp / "out"), "is the scenario file itself"
    return str(tmp / "drill.yaml"), "is the scenario file itself"


def _unwritable(tmp: Path, flag: str) -> tuple[str, str]:
    folder = unwritable_folder(tmp)
    name = "sub" if flag == "--out" else "trace.out"
    return str(folder / name), "cannot write in the folder"


HAZARDS: dict[str, Callable[[Path, str], tuple[str, str]]] = {
    "symlink": _symlink,
    "FIFO": _fifo,
    "directory": _directory,
    "scenario file": _scenario,
    "unwritable parent": _unwritable,
}
FLAGS = ("--trace-out", "--svg", "--out")


@pytest.mark.parametrize("force", [False, True], ids=["plain", "--force"])
@pytest.mark.parametrize("hazard", sorted(HAZARDS))
@pytest.mark.parametrize("flag", FLAGS)
def test_each_output_flag_refuses_each_hazard_before_the_run(
    flag: str, hazard: str, force: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "drill.yaml"
    if hazard == "scenario file" and flag == "--out":
        scenario = tmp_path / "out" / "regression_cases.yaml"
    else:
        scenario.write_text(SCENARIO, encoding="utf-8")
    target, expected = HAZARDS[hazard](tmp_path, flag)
    before = snapshot(tmp_path)
    args = [str(scenario), flag, target, "--quiet"] + (["--force"] if force else [])
    try:
        code = main(args)
    except SystemExit as exc:  # pragma: no cover - argparse would exit 2 too
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""  # nothing ran: no trace, no report
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert expected in lines[0], lines[0]
    assert snapshot(tmp_path) == before  # nothing written, nothing replaced, no temp left


def test_a_link_planted_where_a_postmortem_goes_is_refused_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link planted at --out/postmortems/INC-001.md: refused before the run, with or
    without --force; the file it points to is untouched. Without the link, an existing
    postmortem needs --force, which then replaces it."""
    scenario = tmp_path / "drill.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / "out" / "postmortems").mkdir(parents=True)
    planted = tmp_path / "out" / "postmortems" / "INC-001.md"
    planted.symlink_to(victim)
    for force in ([], ["--force"]):
        assert main([str(scenario), "--out", str(tmp_path / "out"), "--quiet", *force]) == 2
        assert "is a symbolic link" in capsys.readouterr().err
    assert victim.read_text(encoding="utf-8") == "precious"
    planted.unlink()
    planted.write_text("an old postmortem", encoding="utf-8")
    assert main([str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([str(scenario), "--out", str(tmp_path / "out"), "--quiet", "--force"]) == 0
    assert planted.read_text(encoding="utf-8").startswith("# ")


def test_a_symlinked_folder_inside_out_is_never_written_through(tmp_path: Path) -> None:
    """``--out/postmortems`` planted as a link to another folder: refused before the run."""
    scenario = tmp_path / "drill.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "postmortems").symlink_to(elsewhere)
    assert main([str(scenario), "--out", str(tmp_path / "out"), "--quiet", "--force"]) == 2
    assert list(elsewhere.iterdir()) == []


def test_two_streams_to_one_target_use_distinct_temporary_files(tmp_path: Path) -> None:
    """Two runs writing the same --trace-out at once each stream to their own temporary
    file: neither corrupts the other, and the last to commit wins whole."""
    target = str(tmp_path / "trace.jsonl")
    first, second = Outputs(force=True), Outputs(force=True)
    first.file("--trace-out", target)
    second.file("--trace-out", target)
    a, b = first.stream("--trace-out"), second.stream("--trace-out")
    a.write("from a\n")
    b.write("from b\n")
    assert len([p for p in tmp_path.iterdir() if p.name.endswith(".partial")]) == 2
    assert first.commit() == [target]
    assert second.commit() == [target]
    assert Path(target).read_text(encoding="utf-8") == "from b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.jsonl"]


def test_a_failure_midway_leaves_nothing_and_restores_what_was_replaced(tmp_path: Path) -> None:
    """Three outputs; the third cannot be renamed into place (its target became a folder
    after the checks): the first two are put back as they were, no temp file is left."""
    old = tmp_path / "a.txt"
    old.write_text("old a", encoding="utf-8")
    outputs = Outputs(force=True)
    for name in ("a.txt", "b.txt", "c.txt"):
        outputs.file(f"--{name}", str(tmp_path / name))
        outputs.put(f"--{name}", f"new {name}")
    (tmp_path / "c.txt").mkdir()  # appears after the checks, before the commit
    with pytest.raises(OutputError, match="nothing was written"):
        outputs.commit()
    assert old.read_text(encoding="utf-8") == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "c.txt"]


def test_an_interrupted_run_discards_its_stream(tmp_path: Path) -> None:
    outputs = Outputs()
    outputs.file("--trace-out", str(tmp_path / "t.jsonl"))
    outputs.stream("--trace-out").write("half a line")
    outputs.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_stream_that_failed_midway_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    """A full disk while the trace streams: the commit says which output failed and why,
    and neither it nor the other outputs are written."""
    outputs = Outputs()
    outputs.file("--trace-out", str(tmp_path / "t.jsonl"))
    outputs.file("--svg", str(tmp_path / "x.svg"))
    outputs.stream("--trace-out").write("a line\n")
    outputs.put("--svg", "<svg/>")
    outputs.failed("--trace-out", OSError(28, "No space left on device"))
    with pytest.raises(OutputError, match=r"--trace-out .*No space left on device\); nothing was written"):
        outputs.commit()
    assert list(tmp_path.iterdir()) == []


def test_a_hard_link_to_the_scenario_is_the_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "drill.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    os.link(scenario, tmp_path / "other-name.jsonl")
    assert main([str(scenario), "--trace-out", str(tmp_path / "other-name.jsonl"), "--force", "--quiet"]) == 2
    assert "is the scenario file itself" in capsys.readouterr().err
    assert scenario.read_text(encoding="utf-8") == SCENARIO


def test_an_empty_file_made_by_mktemp_is_reserved_for_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--trace-out "$(mktemp)"``: the empty file is replaced without --force; a file
    with content is not."""
    import tempfile

    scenario = tmp_path / "drill.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    fd, reserved = tempfile.mkstemp(dir=tmp_path)
    os.close(fd)
    assert main([str(scenario), "--trace-out", reserved, "--quiet"]) == 0
    assert Path(reserved).read_text(encoding="utf-8").startswith('{"seq":1,')
    assert main([str(scenario), "--trace-out", reserved, "--quiet"]) == 2
    assert "already exists (use --force" in capsys.readouterr().err
