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

from scenarios.imports.common import Fragment, mapping, text

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
            for api in _refs(mapping(doc.get("spec")).get("providesApis")):
                providers.setdefault(api, text(mapping(doc.get("metadata")).get("name")))
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
    meta, spec = mapping(doc.get("metadata")), mapping(doc.get("spec"))
    name = text(meta.get("name"))
    if doc.get("kind") not in ("Component", "Resource") or not name:
        return []
    ident = fragment.service(name, text(meta.get("title")) or None)
    owner = _refs(spec.get("owner"))
    if owner:
        fragment.services[ident].setdefault("team", fragment.service_ident(owner[0]))
    edges = [(name, dep, path, f"{name}.spec.dependsOn") for dep in _refs(spec.get("dependsOn"))]
    edges += [
        (name, providers.get(api, api), path, f"{name}.spec.consumesApis") for api in _refs(spec.get("consumesApis"))
    ]
    edges += [(parent, name, path, f"{name}.spec.subcomponentOf") for parent in _refs(spec.get("subcomponentOf"))]
    return edges


def _refs(value: Any) -> list[str]:
    """The names of an entity ref or a list of them (other values: none)."""
    listed = value if isinstance(value, list) else [value]
    return [name for v in listed if isinstance(v, str) and (name := _ref(v))]
