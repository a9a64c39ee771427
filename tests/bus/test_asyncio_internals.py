"""The virtual clock's reliance on asyncio's private loop API, checked on this Python.

If a new Python renames or drops one of these, this test names it: the loop in
``bus/clock.py`` must be updated before anything else is trusted.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from bus import clock
from bus.clock import ASYNCIO_INTERNALS, TESTED_PYTHONS, check_asyncio_internals


def test_every_private_name_the_loop_uses_exists_on_this_python() -> None:
    check_asyncio_internals()  # raises, naming the missing ones


def test_the_run_once_we_replace_is_still_the_loop_turn() -> None:
    """Our turn overrides ``_run_once``; asyncio's ``run_forever`` must still call it."""
    assert "_run_once" in asyncio.BaseEventLoop.run_forever.__code__.co_names


def test_a_missing_internal_is_named_with_the_python_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "ASYNCIO_INTERNALS", (*ASYNCIO_INTERNALS, (asyncio.Handle, "_gone_in_a_new_python")))
    with pytest.raises(RuntimeError, match=r"Handle\._gone_in_a_new_python") as caught:
        clock.check_asyncio_internals()
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}" in str(caught.value)


def test_this_python_is_one_the_loop_was_checked_on() -> None:
    assert sys.version_info[:2] in TESTED_PYTHONS, (
        f"Python {sys.version_info[0]}.{sys.version_info[1]} is not in TESTED_PYTHONS: run the clock's tests "
        "and the drills' byte-identity check on it, then add it"
    )
