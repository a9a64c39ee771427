"""Backstage catalogs (``catalog-info.yaml``, ``apiVersion: backstage.io/...``) as the
scenario's dependency graph.

A ``Component`` or ``Resource`` is a service (its ``owner`` its team, ``group:`` and the
namespace dropped); ``spec.dependsOn`` entity refs are dependencies; ``consumesApis``
depends on the component that ``providesApis`` it (an API nobody in the files provides
becomes a stub service of its name); the component a ``subcomponentOf`` names depends on
its subcomponents (its work needs them). Self-loops are dropped with a warning; targets no
file declares become stub services. ``API``, ``System``, ``Domain``, ``Group`` and ``User`` entities are read for
the links they make, not as services.
"""

from __future__ import annotations

from typing import Any

from scenarios.imports.common import Fragment

__all__ = ["finish", "read"]


def _ref(value: Any) -> str:
    """An entity ref's name: ``resource:default/artists-db`` -> ``artists-db``."""
    text = str(value)
    text = text.split(":", 1)[1] if ":" in text else text
    return text.rsplit("/", 1)[-1]


def read(doc: dict[str, Any], path: str, fragment: Fragment) -> None:
    """One entity; the graph is made once every file is read (refs cross files)."""
    fragment.backstage.append((doc, path))


def finish(fragment: Fragment) -> None:
    entities = fragment.backstage
    if not entities:
        return
    providers: dict[str, str] = {}
    for doc, _ in entities:
        if doc.get("kind") == "Component":
            for api in (doc.get("spec") or {}).get("providesApis") or []:
                providers.setdefault(_ref(api), str((doc.get("metadata") or {}).get("name")))
    edges: list[tuple[str, str, str, str]] = []  # (service, dependency, file, key)
    for doc, path in entities:
        edges += _service(doc, path, providers, fragment)
    for service, dep, path, key in edges:
        if service == dep:
            fragment.warn(path, key, f"{service} depends on itself: the self-loop is dropped")
            continue
        entry = fragment.services[fragment.service(service)]
        ident = fragment.service(dep)  # a target no file declares: a stub
        deps = entry.setdefault("depends_on", [])
        if ident not in deps:
            deps.append(ident)
    entities.clear()


def _service(
    doc: dict[str, Any], path: str, providers: dict[str, str], fragment: Fragment
) -> list[tuple[str, str, str, str]]:
    """A Component or Resource as a service (with its team); the edges it makes."""
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    name = str(meta.get("name") or "")
    if doc.get("kind") not in ("Component", "Resource") or not name:
        return []
    owner = spec.get("owner")
    ident = fragment.service(name, str(meta.get("title") or "") or None)
    if owner:
        fragment.services[ident].setdefault("team", fragment.service_ident(_ref(owner)))
    edges = [(name, _ref(dep), path, f"{name}.spec.dependsOn") for dep in spec.get("dependsOn") or []]
    edges += [
        (name, providers.get(_ref(api), _ref(api)), path, f"{name}.spec.consumesApis")
        for api in spec.get("consumesApis") or []
    ]
    parent = spec.get("subcomponentOf")
    if parent:
        edges.append((_ref(parent), name, path, f"{name}.spec.subcomponentOf"))
    return edges
