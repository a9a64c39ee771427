"""The gate's table of checks and the schema's list of check names say the same thing."""

from __future__ import annotations

from typing import get_args

from actors.report.gate import CHECKS
from actors.report.postmortem import RENDERERS, SECTIONS
from scenarios.schema import Expectation


def test_every_check_the_schema_allows_has_a_function_and_no_other() -> None:
    allowed = set(get_args(Expectation.model_fields["check"].annotation))
    assert allowed == set(CHECKS)


def test_the_postmortem_sections_are_its_renderers_in_order() -> None:
    assert [name for name, _ in RENDERERS] == SECTIONS
    assert SECTIONS[0] == "Summary" and SECTIONS[-1] == "Timeline" and len(set(SECTIONS)) == 10
