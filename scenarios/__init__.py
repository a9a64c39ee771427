"""Scenario files: the YAML drills and the schema that validates them.

The names below are imported on first use (PEP 562): ``scenarios.limits`` is light enough
for ``--help``; the schema is built only when a scenario is read.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.loader import ScenarioError, load_scenario
    from scenarios.schema import Scenario

_WHERE = {"Scenario": "scenarios.schema", "ScenarioError": "scenarios.loader", "load_scenario": "scenarios.loader"}

__all__ = ["Scenario", "ScenarioError", "load_scenario"]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value
