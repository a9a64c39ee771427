"""Traffic curves and gradual faults, on exact virtual times."""

from __future__ import annotations

from typing import Any

import yaml

from actors.pipeline import Options, build
from bus.series import Sample
from scenarios.loader import parse_scenario

BASE: dict[str, Any] = {
    "name": "t",
    "until": "1d",
    "services": [{"name": "api"}],
    "slos": [{"name": "avail", "service": "api", "objective": 0.99}],
    "events": [{"at": "23h59m", "note": "the day ends"}],  # keeps the run going all day
}


def reports(data: dict[str, Any], **options: Any) -> dict[float, Sample]:
    """The SLI series of the run, one sample per evaluation (its only SLO)."""
    result = build(parse_scenario(yaml.safe_dump(data), "t.yaml"), Options(**options)).run()
    return {s.t: s for s in result.trace.series.samples()}


def test_a_ramped_fault_reaches_its_full_effect_linearly() -> None:
    """A fault to health 0 over 10m from 1h: the sample at 1h reads 100%, then 1h+k
    minutes reads 1 - k/10 (90% at 1h01m, 50% at 1h05m), 0% from 1h10m on."""
    data = {**BASE, "until": "2h", "events": [{"at": "1h", "fault": {"service": "api", "health": 0.0, "ramp": "10m"}}]}
    r = reports(data)
    assert [round(r[3600.0 + 60 * k].sli, 6) for k in (0, 1, 5, 10, 15)] == [1.0, 0.9, 0.5, 0.0, 0.0]


def test_a_diurnal_curve_follows_the_local_hour() -> None:
    """1000 requests a minute at the peak, 14:00 New York (19:00 UTC in January), a trough
    of 20% twelve hours later (07:00 UTC): a sample reads 1000 at 19:00 UTC, 200 at 07:00
    and halfway, 600, at 01:00 and 13:00 UTC."""
    data = {**BASE, "start": "2027-01-04T00:00:00Z",
            "traffic": {"requests_per_minute": 1000, "diurnal": {"peak_hour": 14, "trough": 0.2, "time_zone": "America/New_York"}}}  # fmt: skip
    r = reports(data)
    hour = 3600.0
    assert [round(r[h * hour].requests or 0, 6) for h in (19, 7, 1, 13)] == [1000.0, 200.0, 600.0, 600.0]


def test_noise_is_seeded() -> None:
    """Noise varies each sample's requests, the same for the same seed."""
    data = {**BASE, "until": "1h", "traffic": {"requests_per_minute": 1000, "noise": 0.1},
            "events": [{"at": "59m", "note": "end"}]}  # fmt: skip
    first, again, other = reports(data), reports(data), reports(data, seed=2)
    counts = [m.requests for m in first.values()]
    assert len(set(counts)) > 10 and counts == [m.requests for m in again.values()]
    assert counts != [m.requests for m in other.values()]
