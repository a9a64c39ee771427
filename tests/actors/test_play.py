"""Play the shift (``--play``): a person in a responder's place, typed or replayed.

bad_deploy's story for alice (L1): the alerts fire at 11m, the incident opens after the
30 s group_wait, at 11m30s (690 s), and pages L1 (sev1 pages L1 at once). L1's rung
escalates after 5m without an ack: at 16m30s (990 s) bob (L2) is paged; bob acks after his
3m, at 19m30s (1170 s). The runbook's only step, the rollback, needs L2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from actors.pipeline import Options, build
from actors.report.digest import digest
from actors.report.score import scorecard
from actors.responder import Seat
from bus.messages import Escalated, HandedOff, IncidentAcknowledged, IncidentResolved, Page, PostmortemWritten
from scenarios.loader import load_scenario
from tests.conftest import ROOT, run_cli

BAD_DEPLOY = str(ROOT / "scenarios" / "bad_deploy.yaml")
PAGER_KINDS = (Page, Escalated, IncidentAcknowledged, IncidentResolved)


def played(script: list[tuple[float, str]]) -> Any:
    said: list[str] = []
    seat = Seat(say=said.append, script=script)
    result = build(load_scenario(BAD_DEPLOY), Options(seat=("alice", seat))).run()
    return result, said, seat


def test_an_unanswered_page_escalates_past_the_person_at_the_exact_time() -> None:
    """Nobody at the keyboard answers: alice's page at 690 s goes unacknowledged, the
    rung escalates at 990 s and bob, paged then, acks at 1170 s."""
    result, said, _ = played([])
    pages = [(e.t, e.msg.responder) for e in result.trace.of(Page) if e.msg.incident == "INC-001"]
    assert pages == [(690.0, "alice"), (990.0, "bob")]
    [esc] = [e for e in result.trace.of(Escalated) if e.msg.incident == "INC-001"]
    assert (esc.t, esc.msg.from_level, esc.msg.to_level) == (990.0, "L1", "L2")
    [ack] = [e for e in result.trace.of(IncidentAcknowledged) if e.msg.incident == "INC-001"]
    assert (ack.t, ack.msg.by) == (1170.0, "bob")
    assert any(line.startswith("PAGE for you: INC-001") for line in said)


def test_a_silent_person_is_the_same_as_dropping_her_acks() -> None:
    """For her pages, a person who never answers and a simulated alice whose every ack is
    dropped (--drop-ack L1) make the same story: the same pages, escalations, acks and
    resolutions, at the same times."""
    silent, _, _ = played([])
    dropped = build(load_scenario(BAD_DEPLOY), Options(drop_ack=["L1"])).run()

    def story(result: Any) -> list[tuple[float, str, str]]:
        return [(e.t, e.kind, e.msg.summary()) for e in result.trace.of(*PAGER_KINDS)]

    assert story(silent) == story(dropped)


def test_alice_acks_and_hands_off_and_her_scorecard_says_so() -> None:
    """She acks at 700 s (10 s after the page), cannot run the rollback (it needs L2:
    told so, nothing happens), hands off at 702 s: L2 is paged at once, bob acks 3m later
    (882 s) and rolls back after his 1m step time (942 s). Her scorecard: acked in 10 s;
    mitigated (first step, bob's) 942 - 690 = 252 s = 4m12s; one escalation caused, by
    her hand-off. The postmortem names what she did like anyone's actions."""
    result, said, seat = played([(700.0, "ack INC-001"), (701.0, "step INC-001 1"),
                                 (702.0, "handoff INC-001 rollback needs L2")])  # fmt: skip
    assert any("needs L2 or above" in line for line in said)
    [handoff] = result.trace.of(HandedOff)
    assert (handoff.t, handoff.msg.responder, handoff.msg.cause) == (702.0, "alice", "person")
    pages = [(e.t, e.msg.responder) for e in result.trace.of(Page) if e.msg.incident == "INC-001"]
    assert pages == [(690.0, "alice"), (702.0, "bob")]
    card = scorecard(result.trace, digest(result.trace), "alice")
    assert card.acked == {"INC-001": 10.0} and card.mitigated == {"INC-001": 252.0}
    assert (card.escalations_caused, card.handoffs, card.steps) == (1, 1, 0)
    assert [t for t, _ in seat.record] == [700.0, 701.0, 702.0]
    [pm] = result.trace.messages(PostmortemWritten)
    assert "alice (L1) hands INC-001 off: rollback needs L2" in pm.markdown
    assert "blame" not in pm.markdown.lower() or "blameless" in pm.markdown.lower()


def test_a_session_typed_live_replays_to_a_byte_identical_trace(tmp_path: Path) -> None:
    """alice at the keyboard (a pipe, at 600 virtual seconds a second): she acks when the
    page shows, then hands off when she holds it. The recorded session, replayed with no
    person, gives the very same trace, byte for byte."""
    session, live, again = tmp_path / "session.yaml", tmp_path / "live.jsonl", tmp_path / "replay.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "actors.run", BAD_DEPLOY, "--play", "alice", "--speed", "600",
           "--record", str(session), "--trace-out", str(live)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    deadline = time.monotonic() + 120
    sent = []
    for line in proc.stdout:
        if "PAGE for you: INC-001" in line and not sent:
            proc.stdin.write("ack INC-001\n")
            proc.stdin.flush()
            sent.append("ack")
        elif "you hold INC-001" in line and sent == ["ack"]:
            proc.stdin.write("handoff INC-001 rollback needs L2\n")
            proc.stdin.close()
            sent.append("handoff")
        assert time.monotonic() < deadline
    assert proc.wait(timeout=60) == 0
    assert sent == ["ack", "handoff"]
    text = session.read_text()
    assert "player: alice" in text and "do: ack INC-001" in text and "handoff INC-001 rollback needs L2" in text
    replay = run_cli(BAD_DEPLOY, "--replay", str(session), "--quiet", "--trace-out", str(again))
    assert replay.returncode == 0, replay.stderr
    assert live.read_bytes() == again.read_bytes()
    assert b'"HandedOff"' in again.read_bytes()


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ("player: [alice]\n", "player: give the responder's name"),
        ("player: nobody\nactions: []\n", "--play nobody: no such responder"),
        ("player: alice\nactions: [{at_s: -1, do: ack INC-001}]\n", "actions[0].at_s"),
        ("player: alice\nactions: [{at_s: 5, do: dance}]\n", "is not an action"),
        ("player: alice\nactions: [{at_s: 5}]\n", "give exactly at_s"),
        ("player: alice\nactions: [{at_s: 9, do: ack X}, {at_s: 5, do: ack X}]\n", "before the action above it"),
        ("- not a mapping\n", "a session is a mapping"),
        ("player: alice\nseed: -3\nactions: []\n", "seed: -3 is not a seed"),
        ("player: alice\nplayer: bob\n", "the key 'player' is given twice"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6))
            + "player: alice\n",
            "alias bomb",
        ),
    ],
)
def test_a_bad_session_file_is_one_line_and_exit_2(session: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(session, encoding="utf-8")
    proc = run_cli(BAD_DEPLOY, "--replay", str(path), "--quiet")
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_record_without_play_and_play_of_a_stranger_are_refused(tmp_path: Path) -> None:
    proc = run_cli(BAD_DEPLOY, "--record", str(tmp_path / "s.yaml"), "--quiet")
    assert proc.returncode == 2 and "--record: only with --play" in proc.stderr
    proc = run_cli(BAD_DEPLOY, "--play", "mallory", "--quiet")
    assert proc.returncode == 2 and "no such responder" in proc.stderr


def test_a_session_replays_on_its_own_seed(tmp_path: Path) -> None:
    """A session played on seed 9 replays on seed 9 without --seed; another seed is refused."""
    path = tmp_path / "s.yaml"
    path.write_text("player: alice\nseed: 9\nactions: [{at_s: 700, do: ack INC-001}]\n", encoding="utf-8")
    proc = run_cli(BAD_DEPLOY, "--replay", str(path), "--quiet")
    assert "seed 9; replay:" in proc.stdout and f"--replay {path}" in proc.stdout
    proc = run_cli(BAD_DEPLOY, "--replay", str(path), "--seed", "8", "--quiet")
    assert proc.returncode == 2 and "was played on seed 9" in proc.stderr
