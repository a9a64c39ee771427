"""Readers of a trace: what a run did, asked after (or, for postmortems, during) the run.

``digest`` reads the trace once; ``gate`` (the eval gate), ``invariants``, ``postmortem``
and ``placements`` answer from it. Imports no actor, no engine, no rich.
"""
