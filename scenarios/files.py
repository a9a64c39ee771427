"""Reading the files a scenario is made of: bounded, UTF-8, strict YAML.

Shared by the scenario loader and the importers (``scenarios/imports``): every file read
is a regular file of at most :data:`MAX_BYTES`, and errors never echo its content.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any

import yaml

__all__ = ["MAX_BYTES", "ScenarioError", "StrictLoader", "read_text", "show"]

MAX_BYTES = 1 << 20  # a drill is a few kilobytes; a megabyte is generous


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message is the one line the user sees."""


def read_text(path: str, what: str, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of the regular file at *path*, at most *limit* bytes, or one
    :class:`ScenarioError` line saying why not (never the file's content)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file (check the path)") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"{path}: is a directory, not a {what} file (name a .yaml file)")
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(f"{path}: is not a regular file (a {what} is a .yaml file)")
    if info.st_size > limit:
        raise ScenarioError(f"{path}: {info.st_size} bytes is too large for a {what} (at most {limit})")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(raw) > limit:  # it grew while we looked
        raise ScenarioError(f"{path}: more than {limit} bytes is too large for a {what} (at most {limit})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}; save the file as UTF-8)"
        ) from None


#: libyaml's parser when PyYAML was built with it (about ten times faster), else PyYAML's own;
#: either way the safe constructor: no Python tags
if TYPE_CHECKING:  # the same interface either way
    _SafeBase = yaml.SafeLoader
else:
    _SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeBase):
    """PyYAML's safe loader, stricter: a key given twice in one mapping is an error (YAML
    1.2 says keys are unique; PyYAML keeps the last silently), and a value that does not
    construct (``2026-02-30``, an integer of 5000 digits) is an error at its line. Parsed by
    libyaml when PyYAML has it."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the constructor says so below
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {show(key)} is given twice in one mapping (keep one)", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _guarded(constructor: Any) -> Any:
    def construct(loader: StrictLoader, node: yaml.Node) -> Any:
        try:
            return constructor(loader, node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{show(node.value)} is not a valid {node.tag.rsplit(':', 1)[-1]} ({exc})", node.start_mark
            ) from None

    return construct


for _tag, _constructor in list(_SafeBase.yaml_constructors.items()):
    if _tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"):
        StrictLoader.add_constructor(_tag, _guarded(_constructor))


def show(value: Any) -> str:
    """A short quoted value for an error line: repr escapes control and bidi characters."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        text = "a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."
