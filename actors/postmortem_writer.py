"""The postmortem writer: a blameless postmortem and a regression case per paged incident.

On an incident's resolution it reads the trace (every message of the incident, and the
causal chain behind it: :func:`actors.report.postmortem.gather`), renders the Google SRE
template (:func:`actors.report.postmortem.render`) and publishes it as
``PostmortemWritten``. It also emits ``regression-INC-00N``, which the release manager adds
to its eval set so the fix's canary must pass it. Nothing is written to disk here: the CLI
writes the Markdown and the cases under ``--out``.
"""

from __future__ import annotations

from actors.engine.actor import Actor, Host
from actors.report.digest import Digest, digest
from actors.report.postmortem import SECTIONS, gather, regression_case, render
from bus.messages import IncidentResolved, PostmortemWritten, RegressionCaseAdded
from bus.trace import Envelope
from topology import Topology

__all__ = ["PostmortemWriter"]


class PostmortemWriter(Actor):
    """Writes a postmortem and a regression case when a paged incident resolves."""

    family = "postmortem"
    subscribes = (IncidentResolved,)

    def __init__(self, name: str, host: Host, topology: Topology, eval_set: dict[str, str]) -> None:
        self.topology = topology
        self.eval_set = eval_set
        super().__init__(name, host)

    def setup(self) -> None:
        self.written: set[str] = set()
        #: the trace read so far (each envelope once, however many incidents resolve)
        self.digest: Digest | None = None

    def on_incident_resolved(self, msg: IncidentResolved, env: Envelope[IncidentResolved]) -> None:
        if msg.incident in self.written:
            return
        trace = self.bus.trace
        d = self.digest = digest(trace, self.digest)
        if msg.incident not in d.triggered:
            return  # tickets that never paged get no postmortem
        self.written.add(msg.incident)
        facts = gather(trace, msg.incident, self.topology, d)
        title, markdown = render(facts)
        self.send(PostmortemWritten(incident=msg.incident, title=title, sections=list(SECTIONS), markdown=markdown))
        self.send(RegressionCaseAdded(case=regression_case(facts, self.eval_set)))
