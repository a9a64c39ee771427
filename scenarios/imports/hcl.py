"""Terraform files as the on-call importers read them: resources by (type, name), their
values with python-hcl2's quoting undone, and references resolved within the files.

python-hcl2 parses the real grammar (blocks, expressions, heredocs) and hands strings back
quoted (``'"Support (EP)"'``) and references as ``${pagerduty_user.ann.id}``; nothing here
evaluates Terraform: a value that is an expression (a variable, a function, a ``for``) is
reported by the importer that needed it, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scenarios.files import MAX_BYTES, ScenarioError, read_text

__all__ = ["Resource", "is_terraform", "read_terraform", "reference"]

_REF = re.compile(r"^\$\{(data\.)?([A-Za-z0-9_]+)\.([A-Za-z0-9_-]+)\.id\}$")
_HCL_START = re.compile(r"^\s*(resource|data|variable|module|terraform|provider|locals|output)\s*[\"{]", re.M)


@dataclass(frozen=True)
class Resource:
    """One ``resource`` (or ``data``) block: its type, name, values and file."""

    kind: str
    name: str
    values: dict[str, Any]
    path: str
    data: bool = False


def is_terraform(text: str) -> bool:
    """Whether *text* reads as Terraform (HCL) rather than YAML or JSON."""
    return bool(_HCL_START.search(text)) and not text.lstrip().startswith(("{", "["))


def _unquote(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            return re.sub(r'\\(["\\])', r"\1", value[1:-1])
        return value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def read_terraform(path: str) -> list[Resource]:
    """The resources and data sources of one ``.tf`` file, in order."""
    text = read_text(path, "file to import", MAX_BYTES)
    try:
        import hcl2
    except ImportError:
        raise ScenarioError(f"{path}: reading Terraform needs python-hcl2 (pip install '.[imports]')") from None
    try:
        doc = hcl2.loads(text)
    except Exception as exc:  # noqa: BLE001 - the parser raises several kinds; each is a malformed file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"{path}: malformed Terraform: {first[:200]}") from None
    out: list[Resource] = []
    for section, data in (("resource", False), ("data", True)):
        for block in doc.get(section, []) or []:
            for kind, named in _unquote(block).items():
                for name, values in (named or {}).items():
                    out.append(Resource(kind, name, values if isinstance(values, dict) else {}, path, data))
    return out


def reference(value: Any) -> tuple[bool, str, str] | None:
    """``${[data.]TYPE.NAME.id}`` as (is data, TYPE, NAME); None for anything else."""
    if not isinstance(value, str):
        return None
    m = _REF.match(value)
    return (bool(m.group(1)), m.group(2), m.group(3)) if m else None


def is_expression(value: Any) -> bool:
    """A value Terraform would compute (a variable, a function call, a ``for``)."""
    return isinstance(value, str) and "${" in value
