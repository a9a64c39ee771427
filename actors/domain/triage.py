"""Ticket triage: a documented, deterministic rule from a user's words and reach to a
severity and a route. No actor or bus imports.

The rule, in order (the first that matches decides the base severity):

1. sev1 words: down, outage, nobody can, all users, cannot log in, data loss, security,
   breach;
2. sev2 words: wrong, incorrect, error, failing, failed, broken, refund, charged;
3. sev3 words: slow, sometimes, intermittent, flaky, delay;
4. otherwise sev4 (a question or a request).

Then reach raises it: 100 or more users affected make it at least sev2, 1000 or more
sev1. Words match whole words, case-insensitively.

Routes (the lab's): sev1 pages the ladder from L1, sev2 routes to L2, sev3 and sev4 go
to the ticket queue and never page.
"""

from __future__ import annotations

import re

from bus.vocab import Severity, worst

__all__ = ["ROUTES", "RULES", "triage"]

RULES: list[tuple[Severity, tuple[str, ...]]] = [
    ("sev1", ("down", "outage", "nobody can", "all users", "cannot log in", "data loss", "security", "breach")),
    ("sev2", ("wrong", "incorrect", "error", "failing", "failed", "broken", "refund", "charged")),
    ("sev3", ("slow", "sometimes", "intermittent", "flaky", "delay")),
]
ROUTES: dict[Severity, str | None] = {"sev1": "L1", "sev2": "L2", "sev3": None, "sev4": None}


def triage(text: str, users_affected: int = 1) -> tuple[Severity, str | None, str]:
    """``(severity, route, rule)`` for a ticket; *rule* says why, in words."""
    lowered = text.lower()
    severity: Severity = "sev4"
    why = "no keyword: a question or a request"
    for level, words in RULES:
        hit = next((w for w in words if re.search(rf"\b{re.escape(w)}\b", lowered)), None)
        if hit is not None:
            severity, why = level, f"keyword {hit!r}"
            break
    floor: Severity | None = "sev1" if users_affected >= 1000 else "sev2" if users_affected >= 100 else None
    if floor is not None and worst(floor, severity) != severity:
        severity, why = floor, f"{why}; {users_affected} users affected raise it to {floor}"
    return severity, ROUTES[severity], why
