"""Pure domain logic: plain functions and classes that take ``now`` as a parameter.

``slo`` (SLIs, burn rates, alert policies), ``canary`` (scoring a release against live),
``triage`` (tickets), ``world`` (the services: releases, faults, mitigations and health).
Imports only ``bus/`` (the shared vocabulary) and ``topology/``; never an actor, the
engine or the console.
"""
