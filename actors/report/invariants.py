"""Invariants checked at the end of every run, on the trace: reported as failed checks,
never as an assertion crash. A failed invariant is a bug in the simulator (exit 3)."""

from __future__ import annotations

from dataclasses import dataclass

from actors.report.digest import Digest
from bus.bus import Accounts

__all__ = ["Invariant", "check_invariants"]


@dataclass(frozen=True)
class Invariant:
    """One invariant: its name, whether it held, and what was seen."""

    name: str
    held: bool
    detail: str


def check_invariants(d: Digest, accounts: Accounts) -> list[Invariant]:
    """Every invariant of the run, from its digested trace and its message accounts."""
    out = [Invariant("message accounting", accounts.balanced, accounts.describe())]
    resolved_at = d.resolved_at
    still_open = [i for i in d.opened if i not in resolved_at]
    out.append(
        Invariant(
            "every incident resolved or flagged open",
            True,
            f"{len(resolved_at)} resolved, open (flagged): {', '.join(still_open) or 'none'}",
        )
    )
    unpaged = [
        i
        for i, env in d.opened.items()
        if env.msg.severity == "sev1" and env.msg.action == "page" and i not in d.triggered
    ]
    out.append(
        Invariant("every sev1 paged", not d.pager_spoke or not unpaged, f"unpaged sev1: {', '.join(unpaged) or 'none'}")
    )
    late = [
        f"{e.msg.incident}@{e.t:g}"
        for e in d.pages
        if e.msg.incident in resolved_at and e.t > resolved_at[e.msg.incident]
    ]
    out.append(Invariant("no page after resolution", not late, f"late pages: {', '.join(late[:5]) or 'none'}"))
    backwards = d.time_backwards
    out.append(
        Invariant(
            "virtual time never goes backwards", not backwards, f"at seq {backwards[:5]}" if backwards else "monotonic"
        )
    )
    orphans = d.bad_parents
    out.append(
        Invariant(
            "every causal parent precedes its children",
            not orphans,
            f"bad parents at seq {orphans[:5]}" if orphans else "all precede",
        )
    )
    out.append(Invariant("sequence numbers are dense", d.dense, "1..N" if d.dense else "gaps"))
    return out
