"""The console view: lines of a small drill with a dropped ack and an escalation."""

from __future__ import annotations

import io
import re

from rich.console import Console

from actors.console.view import TraceView
from actors.pipeline import Options, build
from actors.report.digest import digest
from scenarios.loader import parse_scenario
from tests.actors.test_pager import drill
from tests.conftest import ROOT, run_cli


def render(**view: object) -> tuple[str, TraceView]:
    runtime = build(parse_scenario(drill()), Options(drop_ack=["L1"]))
    out = io.StringIO()
    console = Console(file=out, width=100)
    v = TraceView(console, escalate_after={"L1": 300.0, "L2": 300.0, "L3": 300.0}, **view)  # type: ignore[arg-type]
    runtime.bus.trace.sinks.append(v)
    with v:
        result = runtime.run()
    v.report(digest(result.trace), "== ladder ==", ["seed 1"], [])
    return out.getvalue(), v


def test_the_lines_of_a_drill_with_a_dropped_ack_and_an_escalation() -> None:
    text, _ = render()
    lines = text.splitlines()
    assert "   T+00:11:30  pager → alice  Page  page L1 alice: INC-001 sev1, sev1 pages L1 at once  [INC-001]" in lines
    i = lines.index("   T+00:13:30  alice → pager  PageAcked  alice (L1) acks INC-001  [INC-001]")
    assert lines[i + 1] == "               ✗ dropped for pager by rule drop-ack-L1"
    assert "   T+00:16:30  pager → *  Escalated  INC-001 escalated L1 -> L2: no ack within 300s  [INC-001]" in lines
    assert not any("SliReported" in line for line in lines)  # only with --verbose
    assert "incidents" in text and "1 ack(s) dropped" in text


def test_only_and_incident_filters_follow_one_story() -> None:
    text, _ = render(only=["Page", "Ack"])
    kinds = {line.split()[4] for line in text.splitlines() if line.startswith("   T+")}
    assert kinds == {"Page", "PageAcked", "IncidentAcknowledged"}
    verbose, _ = render(verbose=True)
    assert "SliReported" in verbose


def test_the_status_panel_follows_virtual_time() -> None:
    _, view = render()
    assert view.status.now > 0
    assert view.status.incidents == {}  # the incident was resolved by the end
    assert "api-errors" in view.status.slos


def test_the_tree_indents_children_under_their_causal_parent() -> None:
    text, _ = render(tree=True)
    assert re.search(r"^ +T\+00:13:30  +└ alice → pager  PageAcked", text, re.M)


def test_colour_on_a_terminal_and_none_in_a_pipe() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system="standard")
    TraceView(console).report(digest(build(parse_scenario(drill())).run().trace), "== x ==", [], [])
    assert "\x1b[" in out.getvalue()
    proc = run_cli(str(ROOT / "scenarios" / "provider_outage.yaml"))
    assert proc.returncode == 0 and "\x1b[" not in proc.stdout and "T+00:11:30" in proc.stdout


def test_no_color_is_honoured() -> None:
    proc = run_cli(
        str(ROOT / "scenarios" / "provider_outage.yaml"), "--quiet", env={"NO_COLOR": "1", "FORCE_COLOR": "1"}
    )
    assert proc.returncode == 0
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", proc.stdout)  # no foreground colours


def test_a_failing_console_never_changes_the_run() -> None:
    """A console that raises on every print: the view stops printing, says why, and the
    drill still ends with its own verdict (7/7 on bad_deploy)."""
    from pathlib import Path

    from rich.console import Console

    from actors.console.view import TraceView
    from actors.pipeline import build
    from actors.report.digest import digest
    from actors.report.gate import evaluate
    from scenarios.loader import load_scenario

    class Broken(Console):
        def print(self, *args: object, **kwargs: object) -> None:
            raise OverflowError("the console overflowed")

    path = str(Path(__file__).resolve().parents[3] / "scenarios" / "bad_deploy.yaml")
    scenario = load_scenario(path)
    runtime = build(scenario, path=path)
    view = TraceView(Broken(file=open(__import__("os").devnull, "w")))  # noqa: SIM115 - closed at exit
    runtime.bus.trace.sinks.append(view)
    result = runtime.run()
    assert view.failure == "OverflowError: the console overflowed"
    assert result.ending == "done"
    verdicts = evaluate(scenario.expect, digest(result.trace), [p.name for p in scenario.responders])
    assert all(v.passed for v in verdicts)
