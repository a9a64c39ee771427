"""Hostile --vary / --set paths and session files: a clear refusal or a valid result, never
a traceback (property tests), and paths that reach defaults, aliases and mappings by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.files import ScenarioError
from scenarios.loader import load_scenario
from scenarios.session import read_session, write_session
from scenarios.vary import apply_assignments, parse_assignment, parse_path
from tests.conftest import ROOT

DRILL = str(ROOT / "scenarios" / "escalation_drill.yaml")
DATA = {"name": "x", "escalation": {"levels": [{"name": "L1", "targets": ["a"]}]}, "runbooks": {"rb": [{"name": "s"}]}}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_assignment_text_is_parsed_or_refused_in_words(text: str) -> None:
    refused: str | None = None
    try:
        path, steps, values = parse_assignment(text, many=True)
    except ValueError as exc:
        refused = str(exc)
    if refused is not None:
        assert refused
        return
    assert steps and values and path
    problem: str | None = None
    try:
        out = apply_assignments(DATA, [(path, steps, values[0])], "--vary")
    except ScenarioError as exc:
        problem = str(exc)
    if problem is not None:
        assert "\n" not in problem and "--vary" in problem
    else:
        assert isinstance(out, dict) and DATA["escalation"]["levels"][0] == {"name": "L1", "targets": ["a"]}


def test_paths_reach_defaults_and_mappings_by_name() -> None:
    """A field left at its default can be set (ack_timeout is not in the file); a runbook
    is reached by its name; an index is a bracket or a dotted number."""
    assert parse_path("escalation.levels.0.escalate_after") == parse_path("escalation.levels[0].escalate_after")
    changes = [
        ("escalation.ack_timeout", parse_path("escalation.ack_timeout"), "1h"),
        ("runbooks.pool_exhausted[0].takes", parse_path("runbooks.pool_exhausted[0].takes"), "10m"),
    ]
    scenario = load_scenario(DRILL, assignments=changes)
    assert scenario.escalation is not None and scenario.escalation.ack_timeout == 3600.0
    assert scenario.runbooks["pool_exhausted"][0].takes == 600.0


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.dictionaries(st.sampled_from(["player", "actions", "x"]), st.one_of(st.text(max_size=10), st.integers(),
                        st.lists(st.dictionaries(st.sampled_from(["at_s", "do"]), st.one_of(st.floats(allow_nan=True),
                        st.text(max_size=20), st.integers())), max_size=3)), max_size=3).map(str),
    )
)  # fmt: skip
def test_any_session_file_is_read_or_refused_in_one_line(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(text, encoding="utf-8")
        problem: str | None = None
        try:
            session = read_session(str(path))
        except ScenarioError as exc:
            problem = str(exc)
        if problem is not None:
            assert "\n" not in problem
        else:
            assert all(t >= 0 for t, _ in session.actions)


def test_a_written_session_reads_back_exactly(tmp_path: Path) -> None:
    actions = [(690.001, "ack INC-001"), (712.25, "handoff INC-001 the rollback: needs L2")]
    path = tmp_path / "s.yaml"
    path.write_text(write_session("alice", "scenarios/bad_deploy.yaml", 42, actions), encoding="utf-8")
    assert read_session(str(path)).actions == tuple(actions)


@pytest.mark.parametrize("text", ["a..b=1", "[0]=1", ".=1", "a[x]=1", "=1", "a=", "a"])
def test_malformed_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_assignment(text, many=False)
