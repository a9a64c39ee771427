from __future__ import annotations

import pytest

from bus.vtime import DurationError, format_duration, format_vtime, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("3d", 259200), ("1d2h", 93600), ("0s", 0), (45, 45), ("2.5m", 150)],
)
def test_durations_parse(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5 minutes", "", "m", "1m1h", "-5m", -3, "abc", True, None, float("nan")])
def test_non_durations_are_refused_with_the_fix(text: object) -> None:
    with pytest.raises(DurationError, match="90s, 5m, 1h30m"):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "T+00:00:00"), (720, "T+00:12:00"), (93600, "T+1d02:00:00"), (1.25, "T+00:00:01.250")],
)
def test_virtual_times_render(seconds: float, text: str) -> None:
    assert format_vtime(seconds) == text


def test_durations_render_the_way_scenarios_write_them() -> None:
    assert [format_duration(s) for s in (0, 45, 5400, 93600)] == ["0s", "45s", "1h30m", "1d2h"]
