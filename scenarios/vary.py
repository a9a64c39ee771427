"""Change one field of a scenario by its path: ``--vary`` and ``--compare`` of the sweep,
``--set`` of a run (the replay of a variant).

A path names fields as the schema does, from the top of the scenario: mapping keys
joined by dots, list items by index in brackets (or as a dotted number)::

    escalation.levels[0].escalate_after=3m
    faults[0].probability=0.1
    pagerduty.escalation_policies.web.rules[0].escalation_delay_in_minutes=10

The value is read as a YAML scalar (``3m`` stays text, ``0.1`` is a number, ``true`` a
boolean); the changed scenario is validated as a whole, as the file would be. A path that
leads nowhere is refused in one line naming the path, the step that failed, and the
nearest name there (the scenario's own keys and the schema's fields both count, so a
field left at its default can be set).
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

import yaml
from pydantic import BaseModel

from bus.text import printable
from scenarios.files import ScenarioError

__all__ = ["Assignment", "apply_assignments", "parse_assignment", "parse_path"]

#: (the path as written, its steps, the value)
Assignment = tuple[str, tuple[str | int, ...], Any]

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
MAX_PATH = 200


def parse_path(text: str) -> tuple[str | int, ...]:
    """``a.b[0].c`` -> ("a", "b", 0, "c"); ValueError when it is not a path."""
    if not text or len(text) > MAX_PATH:
        raise ValueError("a path is a few field names (e.g. escalation.levels[0].escalate_after)")
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
        m = _STEP.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read the path at {printable(repr(text[pos : pos + 20]))}")
        name, index = m.group(1), m.group(2)
        if index is not None:
            steps.append(int(index))
        elif name.isdigit():
            steps.append(int(name))
        else:
            steps.append(name)
        pos = m.end()
    if not steps or isinstance(steps[0], int):
        raise ValueError("a path starts with a field name (e.g. escalation)")
    return tuple(steps)


def parse_assignment(text: str, many: bool) -> tuple[str, tuple[str | int, ...], list[Any]]:
    """``PATH=V`` (or ``PATH=V1,V2,...`` when *many*): (path, steps, values)."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not raw.strip():
        shape = "PATH=V1,V2" if many else "PATH=VALUE"
        raise ValueError(f"give {shape} (e.g. escalation.levels[0].escalate_after=3m{',10m' if many else ''})")
    steps = parse_path(path)
    parts = [p.strip() for p in raw.split(",")] if many else [raw.strip()]
    if any(not p for p in parts):
        raise ValueError("an empty value (values are separated by commas)")
    values = []
    for part in parts:
        try:
            value = yaml.safe_load(part)
        except yaml.YAMLError:
            value = part
        if isinstance(value, (dict, list)) or value is None:
            value = part  # a scalar only: a mapping or list is not a value of one field
        values.append(value)
    return path, steps, values


def apply_assignments(data: dict[str, Any], assignments: Sequence[Assignment], where: str) -> dict[str, Any]:
    """A copy of *data* with each assignment made; ScenarioError naming the path, the
    step that failed and the nearest valid name."""
    if not assignments:
        return data
    out = copy.deepcopy(data)
    from scenarios.schema import Scenario

    for text, steps, value in assignments:
        node: Any = out
        model: Any = Scenario
        for i, step in enumerate(steps):
            said = f"{where} {printable(text)}"
            done = _show(steps[:i]) or "the scenario"
            if isinstance(step, int):
                node, model = _list_step(node, model, step, value if i == len(steps) - 1 else _GO, said, done)
            else:
                node, model = _map_step(node, model, step, value if i == len(steps) - 1 else _GO, said, done)
    return out


#: "not the last step: go in" (a value no field holds)
_GO = object()


def _list_step(node: Any, model: Any, step: int, value: Any, said: str, done: str) -> tuple[Any, Any]:
    if not isinstance(node, list):
        raise ScenarioError(f"{said}: {printable(done)} is not a list (no [{step}] there)")
    if not step < len(node):
        shown = "none" if not node else f"[0] to [{len(node) - 1}]"
        raise ScenarioError(f"{said}: {printable(done)} has {len(node)} item(s) ({shown})")
    if value is not _GO:
        node[step] = value
        return None, None
    return node[step], _item(model)


def _map_step(node: Any, model: Any, step: str, value: Any, said: str, done: str) -> tuple[Any, Any]:
    if not isinstance(node, dict):
        raise ScenarioError(f"{said}: {printable(done)} is not a mapping (no {printable(step)} there)")
    by_name = _dict_value(model)  # runbooks, releases: any name, but only those there
    if step not in node:
        names = sorted(map(str, node)) if by_name is not None else sorted(set(map(str, node)) | _fields(model))
        if by_name is not None or step not in names:
            near = difflib.get_close_matches(step, names, n=1, cutoff=0.5)
            hint = (
                f"did you mean {printable(near[0])}?"
                if near
                else f"names there: {printable(', '.join(names[:12]) or 'none')}"
            )
            raise ScenarioError(f"{said}: no {printable(repr(step))} in {printable(done)} ({hint})")
    if value is not _GO:
        node[step] = value
        return None, None
    if node.get(step) is None:
        node[step] = {}
    return node[step], by_name if by_name is not None else _field_model(model, step)


def _show(steps: Sequence[str | int]) -> str:
    out = ""
    for s in steps:
        out += f"[{s}]" if isinstance(s, int) else (f".{s}" if out else s)
    return out


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, unions, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _fields(model: Any) -> set[str]:
    out: set[str] = set()
    for m in _models(model):
        for name, info in m.model_fields.items():
            out.add(name)
            if isinstance(info.alias, str):
                out.add(info.alias)
    return out


def _field_model(model: Any, name: str) -> Any:
    for m in _models(model):
        for field_name, info in m.model_fields.items():
            if name in (field_name, info.alias):
                return info.annotation
    return None


def _unwrapped(annotation: Any, pick: Any) -> Any:
    """*pick* of the annotation, looked for through Annotated and Optional/unions."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrapped(typing.get_args(annotation)[0], pick)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _unwrapped(arg, pick)
            if found is not None:
                return found
        return None
    return pick(origin, typing.get_args(annotation))


def _item(annotation: Any) -> Any:
    """The item type of a list annotation."""
    return _unwrapped(
        annotation, lambda origin, args: (args[0] if args else None) if origin in (list, tuple, Sequence) else None
    )


def _dict_value(annotation: Any) -> Any:
    """The value type when *annotation* is a mapping by name (runbooks, releases), else None."""
    return _unwrapped(annotation, lambda origin, args: (args[1] if len(args) == 2 else Any) if origin is dict else None)
