"""The HTML reports and the Perfetto trace: written whole or not at all, every scenario
string escaped, and, in a real browser (headless Chromium driven by Playwright, opened
from disk with the network blocked), drawn with no console error.

The browser tests need Playwright's Python package (the test extra) and a Chromium on
the machine (Debian's ``chromium``; ``.ci/run`` installs it). Without them they skip,
unless ``ONCALL_REQUIRE_BROWSER=1`` (CI sets it): then they fail.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

BAD_DEPLOY = str(ROOT / "scenarios" / "bad_deploy.yaml")
DAY = str(ROOT / "scenarios" / "follow_the_sun.yaml")
DRILL = str(ROOT / "scenarios" / "escalation_drill.yaml")
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)

HOSTILE = """\
name: "</script><script>alert(1)</script>"
description: "<img src=x onerror=alert(2)> & \\u202e"
services: [{name: api}]
slos: [{name: avail, service: api, objective: 0.99}]
responders: [{name: ann, level: L1}]
escalation: {levels: [{name: L1, targets: [ann], escalate_after: 5m}]}
events:
  - {at: 4m, note: "<b>boom</b> </script>"}
  - {at: 5m, fault: {service: api, health: 0.5}}
  - {at: 30m, recover: {service: api}}
"""


def _browser() -> Any:
    """A Playwright page factory, or a skip (a failure when the browser is required)."""
    required = os.environ.get("ONCALL_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("Playwright is not installed (pip install -e '.[test]')")
        pytest.skip("Playwright is not installed")
    if CHROMIUM is None:
        if required:
            pytest.fail("no Chromium on this machine (apt-get install chromium)")
        pytest.skip("no Chromium on this machine")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_offline(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """The page of *path* opened from disk, every network request blocked and counted;
    (page, console errors, requests tried)."""
    page = browser.new_page(viewport={"width": 1250, "height": 1400})
    errors: list[str] = []
    tried: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

    def block(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(path.as_uri())
    return page, errors, tried


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    out = {"bad": folder / "bad_deploy.html", "day": folder / "day.html", "perfetto": folder / "bad.json"}
    proc = run_cli(
        BAD_DEPLOY, "--drop-ack", "L1", "--quiet", "--html", str(out["bad"]), "--perfetto", str(out["perfetto"])
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(DAY, "--quiet", "--html", str(out["day"]))
    assert proc.returncode == 0, proc.stderr
    return out


def test_bad_deploy_report_draws_offline_with_the_pages_and_escalations(
    browser: Any, reports: dict[str, Path], tmp_path: Path
) -> None:
    """bad_deploy with L1's acks dropped: alice (L1) is paged at 11m30s, her ack is
    dropped by the fault rule, the ladder escalates to L2 and bob is paged; the
    timeline shows each, the charts have drawn, nothing was fetched, no console error."""
    page, errors, tried = open_offline(browser, reports["bad"])
    assert errors == [] and tried == []
    assert page.locator("#verdict").inner_text() == "PASS"
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    assert page.locator("svg.chart polyline.series").count() >= 3
    points = page.locator("svg.chart polyline.series").first.get_attribute("points") or ""
    assert len(points.split()) > 10
    timeline = page.locator("#timeline-INC-001 + svg.timeline")
    text = timeline.text_content() or ""
    assert "paged: alice" in text and "paged: bob" in text and "escalations, hand-offs" in text
    titles = [t.text_content() for t in timeline.locator("title").all()]
    assert any(t and t.startswith("page L1 alice") for t in titles)
    assert any(t and t.startswith("page L2 bob") for t in titles)
    assert any(t and "DROPPED (drop-ack-L1)" in t for t in titles), titles
    assert any(t and t.startswith("escalated L1 -> L2") for t in titles)
    page.screenshot(path=str(tmp_path / "bad_deploy.png"))
    assert (tmp_path / "bad_deploy.png").stat().st_size > 10_000


def test_the_days_report_opens_quickly(browser: Any, reports: dict[str, Path]) -> None:
    """The 24-hour drill's report: its size and the time Chromium takes to open it, in the
    test's log (not asserted: the machine is shared)."""
    t0 = time.perf_counter()
    page, errors, tried = open_offline(browser, reports["day"])
    page.wait_for_load_state("load")
    seconds = time.perf_counter() - t0
    print(f"\nfollow_the_sun report: {reports['day'].stat().st_size / 1024:.0f} KB, opened in {seconds:.2f} s")
    print(f"bad_deploy report: {reports['bad'].stat().st_size / 1024:.0f} KB")
    assert errors == [] and tried == []
    assert page.locator("svg.chart").count() >= 12 * 2  # each SLO: its SLI and budget at least
    assert page.locator("svg.timeline").count() >= 5
    # Alertmanager routes payments' alerts to pd-payments: INC-001's timeline has that lane,
    # and the routing table names the receiver
    inc1 = page.locator("#timeline-INC-001 + svg.timeline").text_content() or ""
    assert "notified: pd-payments" in inc1 and "paged: liam" in inc1
    assert "pd-payments" in (page.locator("table").last.text_content() or "")


def test_every_scenario_string_is_escaped(browser: Any, tmp_path: Path) -> None:
    """A scenario whose name closes the script tag and whose description is an image with
    an onerror: the file holds neither raw, the embedded JSON escapes ``<``, and the page
    opens with no dialog and no error."""
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "hostile.html"
    proc = run_cli(str(path), "--quiet", "--html", str(out))
    assert proc.returncode in (0, 1), proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>boom" not in text
    assert text.count("<script") == 1  # the JSON block only
    data = text.split('id="run-data">', 1)[1].split("</script>", 1)[0]
    assert "</" not in data and "\\u003c/script\\u003e" in data
    assert json.loads(data)["scenario"].startswith("</script>")
    page, errors, tried = open_offline(browser, out)
    assert errors == [] and tried == []
    assert page.locator("h1").inner_text().startswith("</script>")


def test_a_sweep_report_draws_its_curves(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "sweep.html"
    from actors.sweep import main

    code = main([DRILL, "--seeds", "1..60", "--ack-loss", "0.3", "--workers", "2",
                 "--vary", "escalation.levels[0].escalate_after=3m,10m", "--html", str(out)])  # fmt: skip
    assert code in (0, 1)
    page, errors, tried = open_offline(browser, out)
    assert errors == [] and tried == []
    curve = page.locator("svg.curve")
    assert curve.count() == 1 and curve.locator("polyline.series").count() == 6  # 2 variants x (curve, low, high)
    assert page.locator("svg.bars").count() >= 3
    assert "python -m actors.run" in page.locator("body").inner_text()


def test_the_perfetto_trace_is_chrome_trace_event_json(reports: dict[str, Path]) -> None:
    """The object form: metadata naming the processes and tracks, instant events in
    microseconds of virtual time, each incident an async span from its opening to its
    resolution (bad_deploy's INC-001: opened at 11m30s)."""
    data = json.loads(reports["perfetto"].read_text(encoding="utf-8"))
    events = data["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert names == {"actors", "people", "incidents"}
    tracks = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {"pager", "monitor", "alice", "bob"} <= tracks
    begin = [e for e in events if e["ph"] == "b" and e["id"] == "INC-001"]
    end = [e for e in events if e["ph"] == "e" and e["id"] == "INC-001"]
    assert [e["ts"] for e in begin] == [int(690 * 1e6)] and len(end) == 1 and end[0]["ts"] > begin[0]["ts"]
    pages = [e for e in events if e["ph"] == "i" and e.get("cat") == "page"]
    assert pages and all(isinstance(e["ts"], int) for e in pages)


@pytest.mark.parametrize("flag", ["--html", "--perfetto"])
def test_a_report_to_a_folder_is_refused_before_the_run(flag: str, tmp_path: Path) -> None:
    proc = run_cli(BAD_DEPLOY, "--quiet", flag, str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert flag in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_report_in_a_missing_folder_is_refused_before_the_run(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "r.html"
    proc = run_cli(BAD_DEPLOY, "--quiet", "--html", str(target))
    assert proc.returncode == 2 and "--html" in proc.stderr and not target.exists()
    assert len(proc.stderr.strip().splitlines()) == 1
