"""Importers: the SLO specs and rule files teams already have, as scenario fragments.

One set of conventions for every format (``../DESIGN`` of the project, "Importers"):

- ``python -m scenarios.imports KIND FILE...`` (KIND ``sloth``, ``pyrra``, ``openslo``,
  ``rules``) prints the fragment as YAML: ordinary scenario keys (``services``, ``slos``,
  ``severities``), a stub entry for every service it references, every tier written out
  with its ``factor``, so the fragment loads on its own and a person can read and edit it.
  Several files merge in order; a name defined twice is an error naming both files.
- A scenario's ``imports: {slos: [...], rules: [...]}`` names files relative to itself; the
  format is detected from the content (``version: prometheus/v1``, ``kind:
  PrometheusServiceLevel`` or ``AlertWindows``, ``apiVersion: pyrra.dev/...``,
  ``apiVersion: openslo/...``, ``groups:`` for rule files); a file that is none of them is
  an error saying which formats are accepted.
- What cannot be mapped is skipped with one warning line each (file, key, why);
  ``--strict`` makes warnings exit 2. An unreadable or malformed file is exit 2. The same
  files give the same fragment, byte for byte.
- Names become safe identifiers (:func:`slug`); the original is kept as ``display_name``.
  Nothing is evaluated: PromQL is parsed, never run.
"""

from __future__ import annotations

import os
from typing import Any

from bus.text import printable
from scenarios.files import MAX_BYTES, ScenarioError, read_text
from scenarios.imports import alertmanager, backstage, oncall, openslo, opsgenie, pagerduty, pyrra, rules, sloth
from scenarios.imports.common import ACCEPTED, KINDS, Fragment, detect, prom_duration, read_documents, slug
from scenarios.imports.hcl import Resource, is_terraform, read_terraform

__all__ = [
    "KINDS",
    "Fragment",
    "detect",
    "import_files",
    "merge_imports",
    "prom_duration",
    "read_documents",
    "slug",
]


def import_files(paths: list[str], kind: str | None = None) -> Fragment:
    """The fragment of *paths*, in order (*kind* given: every document must be of it)."""
    readers = {
        "sloth": sloth.read,
        "pyrra": pyrra.read,
        "openslo": openslo.read,
        "rules": rules.read,
        "alertmanager": alertmanager.read,
        "pagerduty": pagerduty.read_api,
        "opsgenie": opsgenie.read,
        "backstage": backstage.read,
    }
    fragment = Fragment()
    for path in paths:
        if is_terraform(read_text(path, "file to import", MAX_BYTES)):
            resources = read_terraform(path)
            found = terraform_kind(resources)
            if found is None:  # providers, variables, modules: Terraform, but nothing on call
                fragment.warn(path, "resource", "no pagerduty_ or grafana_oncall_ resource in it: nothing imported")
                continue
            if kind is not None and found != kind:
                raise ScenarioError(f"{path}: holds {found} resources, not {kind} (name the right kind)")
            fragment.terraform.extend(resources)
            continue
        docs = read_documents(path)
        if not docs:
            raise ScenarioError(f"{path}: holds no document to import")
        # Sloth's AlertWindows and OpenSLO's AlertPolicies serve the specs that refer to them: read them first.
        order = sorted(range(len(docs)), key=lambda i: not _serves_others(docs[i]))
        for i in order:
            doc = docs[i]
            found = detect(doc)
            if found is None:
                raise ScenarioError(f"{path}: document {i + 1} is not a format we import (accepted: {ACCEPTED})")
            if kind is not None and found != kind:
                raise ScenarioError(f"{path}: document {i + 1} is {found}, not {kind} (name the right kind)")
            readers[found](doc, path, fragment)
    if fragment.terraform:  # references cross files: mapped once every file is in
        pagerduty.read_terraform_resources(fragment.terraform, fragment)
        oncall.read_terraform_resources(fragment.terraform, fragment)
    pagerduty.finish_api(fragment)
    opsgenie.finish(fragment)
    backstage.finish(fragment)
    return fragment


def terraform_kind(resources: list[Resource]) -> str | None:
    """``pagerduty`` or ``oncall``, by the resources a Terraform file holds."""
    if any(r.kind.startswith("pagerduty_") for r in resources):
        return "pagerduty"
    if any(r.kind.startswith("grafana_oncall_") for r in resources):
        return "oncall"
    return None


def _beside(folder: str, name: str, path: str, key: str) -> str:
    """A file named by ``imports.<key>``: inside the scenario's folder, links resolved."""
    full = os.path.join(folder, name)
    real_folder = os.path.realpath(folder or ".")
    if not os.path.realpath(full).startswith(real_folder + os.sep):
        raise ScenarioError(f"{path}: imports.{key}: {printable(name)} leads out of the scenario's folder")
    return full


def _serves_others(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") in ("AlertWindows", "AlertPolicy")


def merge_imports(data: dict[str, Any], path: str, warnings: list[str] | None = None) -> dict[str, Any]:
    """A scenario's ``imports:`` (files beside it) laid under its own keys: its own services
    and severities win, imported SLOs follow its own. What could not be mapped is appended
    to *warnings* (the command line prints each on stderr)."""
    imports = data.get("imports")
    if imports is None:
        return data
    if not isinstance(imports, dict) or set(imports) - {"slos", "rules", "alertmanager", "services", *ONCALL_KINDS}:
        raise ScenarioError(
            f"{path}: imports: give slos: [files], rules: [files], services: [Backstage catalogs], "
            "alertmanager: file, and/or pagerduty:, oncall:, opsgenie: [files]"
        )
    folder = os.path.dirname(path)
    merged = dict(data)
    am = imports.get("alertmanager")
    if am is not None:
        if not isinstance(am, str) or not am:
            raise ScenarioError(f"{path}: imports.alertmanager: a file name (relative to the scenario)")
        full = _beside(folder, am, path, "alertmanager")
        from scenarios.imports.alertmanager import alertmanager_mapping

        mapping = next((m for d in read_documents(full) if (m := alertmanager_mapping(d, full)) is not None), None)
        if mapping is None:
            raise ScenarioError(
                f"{full}: no Alertmanager config in it (a top-level route:, or a Secret with alertmanager.yaml)"
            )
        if "alertmanager" in merged:
            raise ScenarioError(f"{path}: alertmanager: given inline and imported (keep one)")
        merged["alertmanager"] = mapping
    files: list[str] = []
    for key in ("services", "slos", "rules"):
        names = imports.get(key) or []
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ScenarioError(f"{path}: imports.{key}: a list of file names (relative to the scenario)")
        files += [_beside(folder, name, path, key) for name in names]
    fragment = import_files(files)
    if warnings is not None:
        warnings.extend(fragment.warnings)
    merged = _merge_oncall(merged, imports, folder, path, warnings)
    own = {s.get("name") for s in merged.get("services", []) if isinstance(s, dict)}
    merged["services"] = [*merged.get("services", []), *(s for n, s in fragment.services.items() if n not in own)]
    merged["slos"] = [*merged.get("slos", []), *fragment.slos]
    if fragment.severities:
        merged["severities"] = {**fragment.severities, **merged.get("severities", {})}
    return merged


#: The on-call formats a scenario's ``imports:`` may name (each a list of files).
ONCALL_KINDS = ("pagerduty", "oncall", "opsgenie")


def _merge_oncall(
    merged: dict[str, Any], imports: dict[str, Any], folder: str, path: str, warnings: list[str] | None
) -> dict[str, Any]:
    """``imports: {pagerduty: [...], oncall: [...], opsgenie: [...]}``: the people join the
    scenario's responders (its own entries win), the services, policies and schedules
    become its ``pagerduty:`` (one given inline as well is an error)."""
    files: list[str] = []
    for key in ONCALL_KINDS:
        names = imports.get(key) or []
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ScenarioError(f"{path}: imports.{key}: a list of file names (relative to the scenario)")
        fragment_files = [_beside(folder, name, path, key) for name in names]
        if fragment_files:
            import_files(fragment_files, key)  # each list holds its own kind
        files += fragment_files
    if not files:
        return merged
    fragment = import_files(files)
    if warnings is not None:
        warnings.extend(fragment.warnings)
    scenario = fragment.as_scenario("imported")
    own = {p.get("name") for p in merged.get("responders", []) if isinstance(p, dict)}
    merged["responders"] = [
        *merged.get("responders", []),
        *(p for p in scenario.get("responders", []) if p["name"] not in own),
    ]
    if "pagerduty" in scenario:
        if "pagerduty" in merged:
            raise ScenarioError(f"{path}: pagerduty: given inline and imported (keep one)")
        merged["pagerduty"] = scenario["pagerduty"]
    return merged
