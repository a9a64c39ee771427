"""The actors of an on-call shift, and the layers around them.

- ``actors/engine/``: the actor base class, the run's timers, the runtime (supervision,
  the end of a run).
- ``actors/domain/``: pure logic, no actor, engine or UI import: SLO math, canary scoring,
  ticket triage, the world (services, releases, faults, health).
- ``actors/report/``: readers of a trace: the one-pass digest, the eval gate, the
  invariants, the postmortem, the alerts' placements.
- ``actors/console/``: the rich view of a trace (live lines, status panel, report tables).
- one module per actor: ``drill``, ``monitor``, ``correlator``, ``pager``, ``responder``,
  ``release_manager``, ``postmortem_writer``; none imports another (they talk by messages).
- ``actors/pipeline.py``: the wiring; ``actors/run.py`` and ``actors/sweep.py``: the
  command line.

``tests/test_layers.py`` enforces who may import whom; ``docs/ARCHITECTURE.md`` is the map.
"""
