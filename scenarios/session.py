"""A recorded session of ``--play`` (``--record FILE``, ``--replay FILE``): who played and
every action they took, at its virtual time, in a small YAML file::

    player: alice
    scenario: scenarios/bad_deploy.yaml
    seed: 42
    actions:
      - {at_s: 690.501, do: ack INC-001}
      - {at_s: 712.25, do: "handoff INC-001 rollback needs L2"}

``seed`` is the run's seed (a replay runs on it; another ``--seed`` is refused). ``at_s``
is the virtual time in seconds (milliseconds kept exactly); ``do`` is the line as
typed. Replayed, each action is taken at its time, ahead of anything else at that instant,
as it was when typed: the trace is byte-identical. A file that is not such a session is
refused in one line naming the field and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

from bus.text import identifier_problem, printable
from bus.vtime import MAX_SECONDS
from scenarios.files import ScenarioError, read_text
from scenarios.limits import MAX_SEED

__all__ = ["ACTION_VERBS", "Session", "read_session", "write_session"]

#: The verbs of the actions a person takes (the questions are not recorded).
ACTION_VERBS = ("ack", "step", "rollback", "handoff", "resolve")
MAX_ACTIONS = 10_000
MAX_LINE = 500


@dataclass(frozen=True)
class Session:
    player: str
    actions: tuple[tuple[float, str], ...]
    #: the seed it was played on (a replay runs on it)
    seed: int | None = None


def read_session(path: str) -> Session:
    """The session at *path*, checked."""
    from scenarios.loader import read_yaml  # the scenarios' reader: safe, strict, size-limited

    data: Any = read_yaml(read_text(path, "session"), path)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a session is a mapping with player: and actions:")
    player = data.get("player")
    if not isinstance(player, str) or identifier_problem(player):
        raise ScenarioError(f"{path}: player: give the responder's name (e.g. player: alice)")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        raise ScenarioError(f"{path}: seed: {printable(repr(seed))} is not a seed (0 to 2**63 - 1)")
    actions = data.get("actions", [])
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise ScenarioError(f"{path}: actions: a list of {{at_s: SECONDS, do: LINE}} (at most {MAX_ACTIONS:,})")
    out: list[tuple[float, str]] = []
    for i, item in enumerate(actions):
        where = f"{path}: actions[{i}]"
        if not isinstance(item, dict) or set(item) != {"at_s", "do"}:
            raise ScenarioError(f"{where}: give exactly at_s: (virtual seconds) and do: (the line typed)")
        at, line = item["at_s"], item["do"]
        if (
            isinstance(at, bool)
            or not isinstance(at, int | float)
            or not math.isfinite(at)
            or not 0 <= at <= MAX_SECONDS
        ):
            raise ScenarioError(f"{where}.at_s: {printable(repr(at))} is not a virtual time in seconds (e.g. 690.5)")
        if not isinstance(line, str) or not line.strip() or len(line) > MAX_LINE or not line.isprintable():
            raise ScenarioError(f"{where}.do: give the line typed, printable, at most {MAX_LINE} characters")
        if line.split()[0].lower() not in ACTION_VERBS:
            raise ScenarioError(
                f"{where}.do: {printable(repr(line[:40]))} is not an action ({', '.join(ACTION_VERBS)})"
            )
        if out and at < out[-1][0]:
            raise ScenarioError(f"{where}.at_s: {at} is before the action above it (actions are in time order)")
        out.append((float(at), line.strip()))
    return Session(player, tuple(out), seed)


def write_session(player: str, scenario: str, seed: int | None, actions: list[tuple[float, str]]) -> str:
    """The YAML text of a session."""
    data: dict[str, Any] = {"player": player, "scenario": scenario}
    if seed is not None:
        data["seed"] = seed
    data["actions"] = [{"at_s": round(t, 6), "do": line} for t, line in actions]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=1000)
