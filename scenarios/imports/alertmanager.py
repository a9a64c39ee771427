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

__all__ = ["alertmanager_mapping", "load_alertmanager"]

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
