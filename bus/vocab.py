"""The words the messages, the scenario schema and the actors share, defined once.

Each is a ``Literal`` so the type checker knows every value, and pydantic validates it.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "SEVERITIES",
    "AlertAction",
    "AlertSeverity",
    "CanaryDecision",
    "CanaryResult",
    "FaultAction",
    "PolicyAction",
    "Role",
    "Severity",
    "StepAction",
    "action_rank",
    "worst",
]

#: How bad an incident is, worst first: sev1 pages at once, sev2 pages its route, sev3 and
#: sev4 go to the ticket queue.
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
#: The severities a burn-rate policy gives an alert (sev4 comes only from ticket triage).
AlertSeverity = Literal["sev1", "sev2", "sev3"]
#: What an SLO's policy says of a sample: nothing to do, open a ticket, or page.
PolicyAction = Literal["ok", "ticket", "page"]
#: What a firing alert or an incident asks for: the queue, or a person now.
AlertAction = Literal["ticket", "page"]
#: What a runbook step does.
StepAction = Literal["mitigate", "rollback", "fix"]
#: What a fault rule does to a copy of a message.
FaultAction = Literal["drop", "delay", "duplicate"]
#: One canary step's analysis.
CanaryResult = Literal["pass", "fail", "inconclusive"]
#: A canary's decision.
CanaryDecision = Literal["promote", "reject", "abort", "hold"]
#: Why an alert is where the correlator put it: ``root`` the cause's own alert;
#: ``grouped`` another symptom of the root service; ``inhibited`` a symptom above the root,
#: muted because its cause is alerting; ``duplicate`` of a firing alert; ``expired``
#: resolved before it was grouped.
Role = Literal["root", "inhibited", "grouped", "duplicate", "expired"]

#: Every severity, worst first.
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
_SEVERITY_RANK = {name: i for i, name in enumerate(SEVERITIES)}
_ACTION_RANK = {name: i for i, name in enumerate(get_args(PolicyAction))}


def worst(*severities: Severity) -> Severity:
    """The worst of *severities* (sev1 is worse than sev2)."""
    return min(severities, key=_SEVERITY_RANK.__getitem__)


def action_rank(action: PolicyAction) -> int:
    """ok < ticket < page."""
    return _ACTION_RANK[action]
