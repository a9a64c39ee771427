"""Invariants checked at the end of every run, on the trace: reported as failed checks,
never as an assertion crash. A failed invariant is a bug in the simulator (exit 3)."""

from __future__ import annotations

from dataclasses import dataclass

from bus.bus import Accounts
from bus.messages import IncidentOpened, IncidentResolved, IncidentTriggered, Page
from bus.trace import Trace

__all__ = ["Invariant", "check_invariants"]


@dataclass(frozen=True)
class Invariant:
    name: str
    held: bool
    detail: str


def check_invariants(trace: Trace, accounts: Accounts) -> list[Invariant]:
    out = [
        Invariant(
            "message accounting", accounts.balanced, accounts.describe()
        )
    ]
    opened = {m.incident: m for m in trace.messages(IncidentOpened)}
    resolved_at: dict[str, float] = {}
    for env in trace.of(IncidentResolved):
        resolved_at.setdefault(env.msg.incident, env.t)  # type: ignore[attr-defined]
    still_open = [i for i in opened if i not in resolved_at]
    out.append(Invariant("every incident resolved or flagged open", True,
                         f"{len(resolved_at)} resolved, open (flagged): {', '.join(still_open) or 'none'}"))
    triggered = {m.incident for m in trace.messages(IncidentTriggered)}
    has_pager = any(e.sender == "pager" for e in trace)
    unpaged = [i for i, m in opened.items() if m.severity == "sev1" and m.action == "page" and i not in triggered]
    out.append(Invariant("every sev1 paged", not has_pager or not unpaged, f"unpaged sev1: {', '.join(unpaged) or 'none'}"))
    late = [f"{e.msg.incident}@{e.t:g}" for e in trace.of(Page) if e.msg.incident in resolved_at and e.t > resolved_at[e.msg.incident]]  # type: ignore[attr-defined]
    out.append(Invariant("no page after resolution", not late, f"late pages: {', '.join(late[:5]) or 'none'}"))
    backwards = [e.seq for prev, e in zip(trace.envelopes, trace.envelopes[1:]) if e.t < prev.t]
    out.append(Invariant("virtual time never goes backwards", not backwards, f"at seq {backwards[:5]}" if backwards else "monotonic"))
    orphans = [e.seq for e in trace if e.parent is not None and not (0 < e.parent < e.seq)]
    out.append(Invariant("every causal parent precedes its children", not orphans, f"bad parents at seq {orphans[:5]}" if orphans else "all precede"))
    seqs_ok = all(e.seq == i + 1 for i, e in enumerate(trace.envelopes))
    out.append(Invariant("sequence numbers are dense", seqs_ok, "1..N" if seqs_ok else "gaps"))
    return out
