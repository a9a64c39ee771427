"""The alerting tiers of a scenario's SLO: its preset's table, or its own custom tiers
(what the monitor turns into rules, and what the HTML report draws thresholds from)."""

from __future__ import annotations

from actors.domain.rules import TierSpec, preset
from scenarios.schema import SloDef

__all__ = ["tier_specs"]


def tier_specs(d: SloDef) -> list[TierSpec]:
    """The tier rows of a (non two-window) SLO: its preset's, or its own custom tiers."""
    if d.policy != "custom":
        return preset(d.policy, d.period)
    return [
        TierSpec(
            name=t.name,
            long=t.long or t.absent or 0.0,
            short=t.short,
            factor=t.factor if t.factor is not None else (t.budget_fraction or 0.0) * d.period / (t.long or 1.0),
            absent=t.absent is not None,
            severity=t.severity,
            for_=t.hold,
            group=t.group,
            labels=tuple(sorted(t.labels.items())),
            min_rate=t.min_rate,
            keep_firing_for=t.keep_firing_for,
        )
        for t in d.tiers
    ]
