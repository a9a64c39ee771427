"""The trace for Perfetto and ``chrome://tracing``: ``--perfetto FILE``.

Chrome's trace-event format, the object form (``{"traceEvents": [...]}``), timestamps in
microseconds of virtual time since the scenario's start:

- process "actors": one track (thread) per actor; each message it published is an
  instant event on its track (name: the message kind; args: sequence number, recipients,
  incident, the console's one-line summary);
- process "people": one track per responder; each page to them is an instant event on
  their track, and what they publish (acks, hand-offs, steps) is on their track too;
- process "incidents": each incident as an async span (``b``/``e``, id: the incident)
  from its opening to its resolution (or the end of the run): incidents overlap, which
  async spans allow and thread slices do not.

SLI reports are not in it (the command line keeps them out of the trace; the run's SLI
series is in the HTML report). Strings are made printable; ``json.dumps`` escapes the rest.
"""

from __future__ import annotations

import json
from typing import Any

from bus.text import printable

__all__ = ["perfetto_trace"]

ACTORS, PEOPLE, INCIDENTS = 1, 2, 3


def perfetto_trace(trace: Any, people: list[str], end: float, title: str) -> str:
    """The JSON text of the trace events of one run."""
    from bus.messages import IncidentOpened, IncidentResolved, Page

    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": ACTORS, "tid": 0, "args": {"name": "actors"}},
        {"name": "process_name", "ph": "M", "pid": PEOPLE, "tid": 0, "args": {"name": "people"}},
        {"name": "process_name", "ph": "M", "pid": INCIDENTS, "tid": 0, "args": {"name": "incidents"}},
    ]
    tids: dict[tuple[int, str], int] = {}

    def track(pid: int, name: str) -> int:
        key = (pid, name)
        if key not in tids:
            tids[key] = len(tids) + 1
            events.append(
                {"name": "thread_name", "ph": "M", "pid": pid, "tid": tids[key], "args": {"name": printable(name)}}
            )
        return tids[key]

    for person in people:
        track(PEOPLE, person)
    everyone = set(people)
    opened: dict[str, float] = {}
    closed: dict[str, float] = {}
    for env in trace:
        msg = env.msg
        ts = round(env.t * 1e6)
        pid = PEOPLE if env.sender in everyone else ACTORS
        args: dict[str, Any] = {
            "seq": env.seq,
            "to": [printable(t) for t in env.to],
            "summary": printable(msg.summary()),
        }
        if env.incident:
            args["incident"] = printable(env.incident)
        if env.dropped_for:
            args["dropped_for"] = [printable(t) for t in env.dropped_for]
        events.append({"name": msg.kind, "cat": "message", "ph": "i", "s": "t", "ts": ts, "pid": pid,
                       "tid": track(pid, env.sender), "args": args})  # fmt: skip
        if isinstance(msg, Page):
            events.append({"name": f"paged: {printable(msg.incident)}", "cat": "page", "ph": "i", "s": "t", "ts": ts,
                           "pid": PEOPLE, "tid": track(PEOPLE, msg.responder),
                           "args": {"level": printable(msg.level), "seq": env.seq}})  # fmt: skip
        elif isinstance(msg, IncidentOpened):
            opened.setdefault(msg.incident, env.t)
        elif isinstance(msg, IncidentResolved):
            closed.setdefault(msg.incident, env.t)
    for incident, t in opened.items():
        name = printable(incident)
        common = {"name": name, "cat": "incident", "id": name, "pid": INCIDENTS, "tid": 0}
        events.append({**common, "ph": "b", "ts": round(t * 1e6)})
        events.append({**common, "ph": "e", "ts": round(closed.get(incident, end) * 1e6),
                       "args": {"resolved": incident in closed}})  # fmt: skip
    return json.dumps(
        {"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"title": printable(title)}},
        ensure_ascii=False,
        allow_nan=False,
    )
