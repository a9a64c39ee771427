"""Scenario files: the YAML drills and the schema that validates them."""

from scenarios.loader import ScenarioError, load_scenario
from scenarios.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario"]
