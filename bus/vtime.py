"""Virtual time: parsing scenario durations and rendering trace timestamps.

Durations are written as ``90s``, ``5m``, ``1h30m``, ``3d`` (units may be combined, largest
first) or as a bare number of seconds. Trace times render as ``T+00:12:00``, and as
``T+1d02:00:00`` past a day.

Virtual time has a floor and a ceiling, so that it always moves: a duration is a whole
number of milliseconds (:data:`RESOLUTION`), and no duration or instant exceeds
:data:`MAX_SECONDS` (10 years). Below 2**29 seconds a float's spacing is under 1e-7 s, so
two instants a millisecond apart never compare equal and ``t + d > t`` for every
duration ``d > 0``: the clock cannot freeze (a float past 2**24 seconds cannot hold a
nanosecond step, which is what froze clocks that added one).
"""

from __future__ import annotations

import math
import re

__all__ = [
    "DURATION_HINT",
    "MAX_SECONDS",
    "RESOLUTION",
    "DurationError",
    "format_duration",
    "format_vtime",
    "parse_duration",
]

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
DURATION_HINT = "use 90s, 5m, 1h30m or 3d"
#: The longest duration, and the latest instant, of a run: 10 years of virtual time.
MAX_SECONDS = 3650 * 86400
#: The finest duration: one millisecond.
RESOLUTION = 0.001


class DurationError(ValueError):
    """A value that is not a duration."""


def parse_duration(value: str | int | float) -> float:
    """Return the number of seconds in *value*; raise :class:`DurationError` if it is not one."""
    if isinstance(value, bool):
        raise DurationError(f"{_short(value)} is not a duration ({DURATION_HINT})")
    if isinstance(value, int) and value < -MAX_SECONDS:
        raise DurationError(f"{_short(value)} is negative (durations are 0 or more: {DURATION_HINT})")
    if isinstance(value, int) and value > MAX_SECONDS:
        raise DurationError(f"{_short(value)} is longer than virtual time goes (at most 3650d, 10 years)")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        match = _DURATION.match(text)
        if not text or match is None or not any(match.groups()):
            raise DurationError(f"{_short(value)} is not a duration ({DURATION_HINT})")
        seconds = sum(float(g) * u for g, u in zip(match.groups(), _UNITS.values(), strict=True) if g)
    else:
        raise DurationError(f"{_short(value)} is not a duration ({DURATION_HINT})")
    if not math.isfinite(seconds):
        raise DurationError(f"{_short(value)} is not a finite duration ({DURATION_HINT})")
    if seconds < 0:
        raise DurationError(f"{_short(value)} is negative (durations are 0 or more: {DURATION_HINT})")
    if seconds > MAX_SECONDS:
        raise DurationError(f"{_short(value)} is longer than virtual time goes (at most 3650d, 10 years)")
    millis = round(seconds * 1000)
    if abs(seconds * 1000 - millis) > 1e-6:
        raise DurationError(f"{_short(value)} is finer than a millisecond (round it to whole milliseconds, e.g. 0.5s)")
    return seconds


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def format_duration(seconds: float) -> str:
    """Render *seconds* the way scenarios write them: ``1h30m``, ``45s``, ``0s``."""
    whole = round(seconds)
    if whole == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_vtime(seconds: float) -> str:
    """Render a virtual time as ``T+HH:MM:SS`` (``T+1d02:00:00`` past a day)."""
    millis = round(seconds * 1000)
    whole, ms = divmod(millis, 1000)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"T+{days}d" if days else "T+"
    text += f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if ms:
        text += f".{ms:03d}"
    return text
