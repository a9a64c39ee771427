"""Alertmanager configs: a plain ``alertmanager.yml``, or a Kubernetes ``Secret`` holding
one (``stringData`` or base64 ``data``, key ``alertmanager.yaml`` or ``alertmanager.yml``).

:func:`load_alertmanager` reads and checks one (``actors/domain/routing.py`` has the
semantics); every problem is one line naming the file, the key and the fix. Secrets in the
file (routing keys, tokens, passwords) are never printed: only receiver names and the
kinds of their configs are kept.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml

from actors.domain.routing import ConfigError, RoutingConfig, parse_config
from scenarios.files import ScenarioError, StrictLoader
from scenarios.imports.common import read_documents

__all__ = ["alertmanager_mapping", "load_alertmanager", "read", "without_secrets"]

#: What a receiver's config may keep in a fragment: nothing that authenticates.
_KEEP = ("send_resolved",)

_KEYS = ("alertmanager.yaml", "alertmanager.yml")


def alertmanager_mapping(doc: Any, path: str) -> dict[str, Any] | None:
    """The alertmanager.yml mapping a document is or holds (None: it is neither)."""
    if isinstance(doc, dict) and "route" in doc:
        return doc
    if isinstance(doc, dict) and doc.get("kind") == "Secret":
        for section in ("stringData", "data"):
            for key in _KEYS:
                raw = (doc.get(section) or {}).get(key)
                if raw is None:
                    continue
                if section == "data":
                    try:
                        raw = base64.b64decode(str(raw), validate=True).decode("utf-8")
                    except (binascii.Error, UnicodeDecodeError):
                        raise ScenarioError(f"{path}: data.{key}: not base64 UTF-8 text") from None
                loader = StrictLoader(str(raw))
                try:
                    inner = loader.get_single_data()
                except yaml.YAMLError as exc:
                    raise ScenarioError(
                        f"{path}: {section}.{key}: malformed YAML ({getattr(exc, 'problem', exc)})"
                    ) from None
                finally:
                    loader.dispose()
                return inner if isinstance(inner, dict) else None
    return None


def load_alertmanager(path: str) -> RoutingConfig:
    """The routing config of the file at *path* (an alertmanager.yml or a Secret holding one)."""
    for doc in read_documents(path):
        mapping = alertmanager_mapping(doc, path)
        if mapping is not None:
            try:
                return parse_config(mapping)
            except ConfigError as exc:
                raise ScenarioError(f"{path}: {exc}") from None
    raise ScenarioError(
        f"{path}: no Alertmanager config in it (a top-level route:, or a Secret with alertmanager.yaml)"
    )


def without_secrets(mapping: dict[str, Any]) -> dict[str, Any]:
    """The routing part of a config, for a fragment: route, inhibition, intervals, and each
    receiver with the kinds of its configs and their ``send_resolved`` only (routing keys,
    tokens, URLs and passwords never leave the file)."""
    out: dict[str, Any] = {
        k: mapping[k] for k in ("route", "inhibit_rules", "time_intervals", "mute_time_intervals") if k in mapping
    }
    receivers = []
    for receiver in mapping.get("receivers") or []:
        if not isinstance(receiver, dict):
            continue
        kept: dict[str, Any] = {"name": receiver.get("name")}
        for key, configs in receiver.items():
            if key.endswith("_configs") and isinstance(configs, list):
                kept[key] = [{k: c[k] for k in _KEEP if isinstance(c, dict) and k in c} for c in configs]
        receivers.append(kept)
    out["receivers"] = receivers
    return out


def read(doc: dict[str, Any], path: str, fragment: Any) -> None:
    """The importer's entry: the config (secrets left out) becomes the fragment's ``alertmanager:``."""
    mapping = alertmanager_mapping(doc, path)
    if mapping is None:
        raise ScenarioError(
            f"{path}: no Alertmanager config in it (a top-level route:, or a Secret with alertmanager.yaml)"
        )
    try:
        parse_config(mapping)
    except ConfigError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if fragment.alertmanager is not None:
        raise ScenarioError(f"{path}: a second Alertmanager config (import one)")
    fragment.alertmanager = without_secrets(mapping)
