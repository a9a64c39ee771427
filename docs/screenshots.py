"""Regenerate the README's pictures of the HTML reports (headless Chromium via Playwright):

    python docs/screenshots.py        # writes docs/report.png and docs/sweep.png

The run report is bad_deploy with L1's acks dropped (the timeline shows the dropped ack,
the escalation to L2 and bob's page); the sweep report compares two L1 delays on 300
seeds under 30% ack loss.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        run = os.path.join(folder, "run.html")
        sweep = os.path.join(folder, "sweep.html")
        subprocess.run([sys.executable, "-m", "actors.run", "scenarios/bad_deploy.yaml", "--drop-ack", "L1", "--quiet",
                        "--html", run], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        subprocess.run([sys.executable, "-m", "actors.sweep", "scenarios/escalation_drill.yaml", "--seeds", "1..300",
                        "--ack-loss", "0.3", "--vary", "escalation.levels[0].escalate_after=3m,10m", "--html", sweep],
                       cwd=ROOT, check=False, capture_output=True)  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1250, "height": 1500})
            page.goto("file://" + run)  # the top: the verdict, the gate, the incidents, INC-001's timeline
            page.screenshot(path=os.path.join(ROOT, "docs", "report.png"))
            page.goto("file://" + sweep)
            page.screenshot(path=os.path.join(ROOT, "docs", "sweep.png"))
            browser.close()


if __name__ == "__main__":
    main()
