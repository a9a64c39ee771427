"""Strings from a scenario: display text escaped, identifiers in the safe set."""

from __future__ import annotations

import pytest

from bus.text import identifier_problem, printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, with spaces", "plain text, with spaces"),
        ("clear\x1b[2Jscreen", "clear\\x1b[2Jscreen"),
        ("title\x1b]0;owned\x07", "title\\x1b]0;owned\\x07"),
        ("two\nlines", "two\\nlines"),
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("café 決済 😀", "café 決済 😀"),  # printable text stays as it is
        ("\U000e0041tag", "\\U000e0041tag"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert printable(raw).isprintable()


@pytest.mark.parametrize(
    "name", ["api", "support-agent", "L1", "payments.v2:eu", "支払い", "payments-決済", "ζήτα", "9lives"]
)
def test_identifiers_in_the_safe_set(name: str) -> None:
    assert identifier_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "is empty"),
        ("*", "'*' is not allowed"),
        ("my api", "' ' is not allowed"),
        ("a/b", "'/' is not allowed"),
        ("-rf", "must start with a letter or a digit"),
        (".hidden", "must start with a letter or a digit"),
        ("\u0430pi", "mixes scripts (Cyrillic, Latin)"),  # Cyrillic a + Latin pi
        ("p\u0430yp\u0430l", "mixes scripts"),
        ("\uff41\uff50\uff49", "compatibility characters"),  # full-width Latin "api"
        ("a\x1bb", "'\\x1b' is not allowed"),
        ("x" * 129, "at most 128"),
    ],
)
def test_identifiers_outside_it_say_why(name: str, why: str) -> None:
    problem = identifier_problem(name)
    assert problem is not None and why in problem
    assert problem.isprintable()
