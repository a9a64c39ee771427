"""Whole processes timed and measured: wall-clock seconds and peak resident memory of one
fresh ``python`` process (``os.wait4`` gives each child's own peak), and the floor they are
compared with: the bare import of the libraries we use."""

from __future__ import annotations

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOOR = [sys.executable, "-c", "import pydantic, anyio, yaml, rich.console, networkx"]
#: The same libraries as a program meets them: ``import pydantic`` alone loads almost
#: nothing (its names load on first use), so this floor also takes BaseModel, a field
#: constraint (pydantic.types) and rich's tables.
FLOOR_IN_USE = [
    sys.executable,
    "-c",
    "import pydantic, anyio, yaml, rich.console, networkx, rich.table; from pydantic import BaseModel, Field",
]


def run(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in bytes) of *cmd* run from the project root; its exit code
    is not this measure's business (a drill's gate verdict, a refused scenario)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped above
    seconds = time.perf_counter() - t0
    return seconds, usage.ru_maxrss * 1024  # kilobytes on Linux


def drill(path: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "actors.run", path, "--quiet", *extra]
