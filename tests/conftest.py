"""Shared fixtures: anyio tests run on the virtual clock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bus.clock import VirtualClockLoop

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    return ("asyncio", {"loop_factory": VirtualClockLoop})


def run_cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m actors.run`` in a fresh process."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(  # the exit code is what the tests look at
        [sys.executable, "-m", "actors.run", *args],
        check=False,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


from hypothesis import settings  # noqa: E402

# Bounded in CI; HYPOTHESIS_PROFILE=long for a longer hunt by hand.
settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("long", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
