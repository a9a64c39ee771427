"""The bounds of a run and of its command line, in a module light enough to import before
anything else (``--help`` reads them; nothing here builds a schema).
"""

from __future__ import annotations

import math

__all__ = ["DEFAULT_MAX_MEMORY", "DEFAULT_MAX_WORK", "MAX_SEED", "format_bytes", "parse_bytes"]

#: The largest seed (a scenario's ``seed:``, ``--seed``).
MAX_SEED = 2**63 - 1
#: The memory a run may be estimated to need before it is refused (``--max-memory``).
DEFAULT_MAX_MEMORY = 2 << 30
#: The work (SLO samples plus pager cycles) a run may be estimated to do before it is
#: refused (``--max-work``): some 10^8 steps, a quarter of an hour on one core.
DEFAULT_MAX_WORK = 100_000_000

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_bytes(text: str) -> int:
    """``512M``, ``2G``, ``1500000`` -> bytes; ValueError if it is not a size."""
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = raw[-1:] if raw[-1:] in _UNITS and raw[-1:] else ""
    number = raw[: len(raw) - len(unit)] if unit else raw
    value = float(number)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(text)
    return int(value * _UNITS[unit])


def format_bytes(n: int) -> str:
    """``2.0 GB``, ``340 MB``, ``12 KB``."""
    for unit, size in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}" if n < 10 * size else f"{n // size:,} {unit}"
    return f"{n} B"
