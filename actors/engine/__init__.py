"""The runtime machinery: the actor base class (``actor``), the run's one timer heap
(``timers``), and the runtime that starts, supervises and ends a run (``runtime``).

Imports only ``bus/``. An actor reaches its runtime through :class:`actors.engine.actor.Host`;
the runtime drives an actor through its public lifecycle (``serve``, ``restart``, ``kill``).
"""
