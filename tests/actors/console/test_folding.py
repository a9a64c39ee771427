"""The console folds an alert storm, sorts the live panel by burn, and says when a filter
matched nothing."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_cli


def storm(tmp_path: Path) -> Path:
    """A root and 399 services above it, one SLO each, whose only tier fires at the first
    bad sample: the root's fault at 10m fires 400 alerts at 11m, one instant."""
    services = [{"name": "root"}, *({"name": f"s{i:03d}", "depends_on": ["root"]} for i in range(399))]
    data = {
        "name": "storm",
        "until": "20m",
        "services": services,
        "slos": [{"name": "e", "service": [s["name"] for s in services], "objective": 0.99, "policy": "custom",
                  "tiers": [{"name": "Down", "long": "5m", "factor": 1, "severity": "critical"}]}],
        "events": [{"at": "10m", "fault": {"service": "root", "health": 0.0}}],
    }  # fmt: skip
    path = tmp_path / "storm.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_400_alert_storm_folds_in_a_pipe_and_verbose_shows_every_alert(tmp_path: Path) -> None:
    path = storm(tmp_path)
    folded = run_cli(str(path), "--until", "12m")
    lines = folded.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if "IncidentOpened" in line)
    assert first <= 30, "\n".join(lines[:first])
    assert sum(" AlertFired  " in line for line in lines[:first]) == 2  # then the fold line
    assert any("... and 398 more AlertFired from 398 service(s)" in line for line in lines[:first])
    verbose = run_cli(str(path), "--until", "12m", "--verbose")
    assert sum(" AlertFired " in line for line in verbose.stdout.splitlines()) == 400


def test_filters_that_match_nothing_say_so_on_stderr(tmp_path: Path) -> None:
    path = storm(tmp_path)
    only = run_cli(str(path), "--until", "12m", "--only", "NoSuchKind")
    assert "warning: --only NoSuchKind matched no message kind" in only.stderr and "AlertFired" in only.stderr
    incident = run_cli(str(path), "--until", "12m", "--incident", "INC-999")
    assert "warning: --incident INC-999 matched no incident (incidents: INC-001)" in incident.stderr
    fine = run_cli(str(path), "--until", "12m", "--incident", "INC-001")
    assert "warning" not in fine.stderr


def test_the_live_panel_shows_the_fastest_burn_first() -> None:
    from actors.console.view import Status
    from bus.messages import SliReported

    status = Status()
    for name, burn in (("a-slow", 2.0), ("b-fast", 50.0), ("c-ok", 0.0)):
        status.slos[name] = SliReported(
            slo=name, service=name, symptom="error_rate", objective=0.99, sli=0.9, budget_remaining=0.5,
            burns={"5m": burn}, action="page" if burn > 10 else "ok", severity=None,
        )  # fmt: skip
    table = status.render().renderable.renderables[0]  # type: ignore[attr-defined]
    assert next(iter(table.columns[0].cells)).plain == "b-fast"
