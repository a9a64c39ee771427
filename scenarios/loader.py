"""Reading a scenario file: plain YAML (safe loader only), then the schema.

Every problem becomes one :class:`ScenarioError` line naming the file, the field path, the
problem and the fix, e.g. ``x.yaml: events[1].at: '5 minutes' is not a duration (use 90s,
5m, 1h30m or 3d)``. Nothing in the file is ever executed: YAML tags such as
``!!python/object/apply`` are refused, and alias bombs and deep nesting are bounded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bus.text import printable
from scenarios.files import MAX_BYTES, ScenarioError, StrictLoader, read_text, show
from scenarios.schema import Scenario
from scenarios.vary import Assignment, apply_assignments

__all__ = [
    "MAX_BYTES",
    "MAX_NODES",
    "ScenarioError",
    "StrictLoader",
    "format_loc",
    "load_scenario",
    "parse_scenario",
    "read_text",
    "read_yaml",
]

MAX_NODES = 100_000  # YAML nodes after expanding aliases
MAX_DEPTH = 64


def load_scenario(
    path: str,
    overrides: dict[str, Any] | None = None,
    sources: list[str] | None = None,
    warnings: list[str] | None = None,
    assignments: Sequence[Assignment] = (),
    where: str = "--set",
) -> Scenario:
    """Read, parse and validate the scenario at *path*; append the real path of every file
    read (the scenario and its bases) to *sources*, and what its ``imports:`` could not
    map to *warnings*. *assignments* change fields by path before validation
    (``scenarios/vary.py``; errors name *where*, the option that gave them)."""
    text = read_text(path, "scenario")
    if sources is not None:
        sources.append(os.path.realpath(path))
    return parse_scenario(text, path, overrides, sources, warnings, assignments, where)


def parse_scenario(
    text: str,
    path: str = "<scenario>",
    overrides: dict[str, Any] | None = None,
    sources: list[str] | None = None,
    warnings: list[str] | None = None,
    assignments: Sequence[Assignment] = (),
    where: str = "--set",
) -> Scenario:
    data = _read_mapping(text, path)
    data = _extend(data, path, depth=0, sources=sources)
    if "imports" in data:
        from scenarios.imports import merge_imports

        data = merge_imports(data, path, warnings)
    if overrides:
        data = {**data, **overrides}
    if assignments:
        data = apply_assignments(data, assignments, f"{path}: {where}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        shown = f"{path} ({where} {', '.join(a[0] for a in assignments)})" if assignments else path
        raise ScenarioError(_first_error(exc, shown)) from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply to be a scenario") from None


def _read_mapping(text: str, path: str) -> dict[str, Any]:
    data = _read_yaml(text, path)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(f"{path}: a scenario is a mapping of fields (name:, events:, ...), got {got}")
    return data


def _extend(data: dict[str, Any], path: str, depth: int, sources: list[str] | None = None) -> dict[str, Any]:
    """``extends: base.yaml``: the base scenario (a file beside this one), with this file's
    fields laid over it: mappings merge key by key, everything else replaces.

    The base must be a file in the same folder once symbolic links are resolved: a link
    that leads out of the folder is refused, and the base's size is limited as the
    scenario's is."""
    base_name = data.get("extends")
    if base_name is None:
        return data
    if (
        not isinstance(base_name, str)
        or not base_name
        or "/" in base_name
        or "\\" in base_name
        or base_name.startswith(".")
        or not base_name.isprintable()
    ):
        raise ScenarioError(
            f"{path}: extends: {show(base_name)} must name a scenario file in the same folder (e.g. bad_deploy.yaml)"
        )
    if depth >= 4:
        raise ScenarioError(f"{path}: extends: more than 4 levels of extends (is there a loop?)")
    folder = os.path.dirname(path)
    base_path = os.path.join(folder, base_name)
    if not os.path.lexists(base_path):
        raise ScenarioError(f"{path}: extends: no scenario file {base_path} (check the name)")
    real_folder = os.path.realpath(folder or ".")
    if os.path.dirname(os.path.realpath(base_path)) != real_folder:
        raise ScenarioError(
            f"{path}: extends: {base_path} leads out of the scenario's folder through a symbolic link "
            "(copy the base beside the scenario)"
        )
    text = read_text(base_path, "scenario")
    if sources is not None:
        sources.append(os.path.realpath(base_path))
    base = _extend(_read_mapping(text, base_path), base_path, depth + 1, sources)
    own = {k: v for k, v in data.items() if k != "extends"}
    merged: dict[str, Any] = _merge(base, own)
    return merged


def _merge(base: Any, over: Any) -> Any:
    """*over* laid on *base*: mappings merge key by key, anything else replaces; a key
    written with a trailing ``+`` (``events+: [...]``) appends its list to the base's."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            if isinstance(key, str) and key.endswith("+") and isinstance(value, list):
                before = out.get(key[:-1], [])
                out[key[:-1]] = [*(before if isinstance(before, list) else []), *value]
                continue
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return over


def read_yaml(text: str, path: str) -> Any:
    """YAML text as data: the safe loader, stricter (unique keys, values that construct),
    with the size and depth limits; any problem is one :class:`ScenarioError` line."""
    return _read_yaml(text, path)


def _read_yaml(text: str, path: str) -> Any:
    try:
        loader = StrictLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters at once
        raise ScenarioError(f"{path}: {_yaml_problem(exc)} (scenarios are plain text)") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, path)
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        tag = getattr(exc, "problem", "") or ""
        where = _mark(exc.problem_mark)
        if "could not determine a constructor for the tag" in tag:
            name = tag.split("tag", 1)[-1].strip().strip("'")
            name = name.replace("tag:yaml.org,2002:", "!!")
            raise ScenarioError(
                f"{path}:{where} the tag {printable(name)} is not allowed (scenarios are plain YAML: remove the tag)"
            ) from None
        raise ScenarioError(f"{path}:{where} {printable(tag) or 'a value does not construct'}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}:{_mark(getattr(exc, 'problem_mark', None))} {_yaml_problem(exc)}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested too deeply to be a scenario (at most {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"a control character ({exc.character!r}) at offset {exc.position} is not allowed in YAML"
    problem = getattr(exc, "problem", None) or "cannot be parsed"
    return f"malformed YAML: {printable(problem)} (fix the syntax there)"


def _mark(mark: Any) -> str:
    return f"{mark.line + 1}:{mark.column + 1}:" if mark is not None else ""


def _check_size(root: yaml.Node, path: str) -> None:
    """Refuse alias bombs and deep nesting before anything is built from the nodes."""
    counts: dict[int, int] = {}

    def count(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ScenarioError(f"{path}:{_mark(node.start_mark)} nested deeper than {MAX_DEPTH} levels")
        known = counts.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(count(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(count(k, depth + 1) + count(v, depth + 1) for k, v in node.value)
        if total > MAX_NODES:
            raise ScenarioError(
                f"{path}:{_mark(node.start_mark)} expands to more than {MAX_NODES} values "
                "(an alias bomb? write the values out)"
            )
        counts[id(node)] = total
        return total

    count(root, 0)


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('events', 1, 'at')`` -> ``events[1].at``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _first_error(exc: ValidationError, path: str) -> str:
    err = exc.errors(include_url=False)[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    field = format_loc(loc) or "(top level)"
    kind, msg, given = err["type"], err["msg"], err.get("input")
    if kind == "missing":
        problem = "is required (add it)"
    elif kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        problem = f"unknown field (allowed here: {', '.join(allowed)})" if allowed else "unknown field (remove it)"
    elif kind == "value_error":
        problem = msg.removeprefix("Value error, ")
    elif kind == "assertion_error":
        problem = msg.removeprefix("Assertion failed, ")
    else:
        problem = f"{msg[0].lower()}{msg[1:]}, got {show(given)}"
    more = (
        f" (and {exc.error_count() - 1} more problem{'s' if exc.error_count() > 2 else ''})"
        if exc.error_count() > 1
        else ""
    )
    return f"{path}: {field}: {problem}{more}"


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found at *loc* in the scenario schema."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
