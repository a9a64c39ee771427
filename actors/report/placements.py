"""Where the correlator put each alert, read back from the trace.

The correlator writes one placement per service and role (``(service, role, alert ids)``)
in each ``IncidentOpened`` / ``IncidentUpdated``, and an ``AlertCorrelated`` for an alert
that joined no incident; :func:`placements_in` gives the per-alert view.
"""

from __future__ import annotations

from dataclasses import dataclass

from bus.messages import AlertCorrelated, AlertFired, IncidentOpened, IncidentUpdated, placement_reason
from bus.trace import Trace
from bus.vocab import Role

__all__ = ["Placed", "placements_in"]


@dataclass(frozen=True)
class Placed:
    """One alert's placement, as a reader of the trace sees it."""

    t: float
    incident: str | None
    alert: str
    fingerprint: str
    role: Role
    cause: str | None

    @property
    def reason(self) -> str:
        """The sentence the trace gives for the placement."""
        return placement_reason(self.role, self.cause)


def placements_in(trace: Trace) -> list[Placed]:
    """Every alert's placement in the order the trace tells it (fingerprints are looked up
    in the alerts' own ``AlertFired``, which the trace holds earlier)."""
    out: list[Placed] = []
    roots: dict[str, str] = {}
    fingerprints: dict[str, str] = {}
    for env in trace.of(AlertFired, IncidentOpened, IncidentUpdated, AlertCorrelated):
        msg = env.msg
        if isinstance(msg, AlertFired):
            fingerprints[msg.alert] = msg.fingerprint
        elif isinstance(msg, AlertCorrelated):
            out.append(Placed(env.t, msg.incident, msg.alert, msg.fingerprint, msg.role, msg.cause))
        elif isinstance(msg, IncidentOpened | IncidentUpdated):
            if isinstance(msg, IncidentOpened):
                roots[msg.incident] = msg.root_service
            root = roots.get(msg.incident)
            out.extend(
                Placed(env.t, msg.incident, a, fingerprints.get(a, ""), role, root)
                for _, role, ids in msg.placements
                for a in ids
            )
    return out
