"""The message vocabulary: the static union, the field docs, the shared words."""

from __future__ import annotations

import ast
import inspect
from typing import get_args

from bus import messages
from bus.messages import MESSAGE_TYPES, AnyMessage, Message, Page, parse_message
from bus.vocab import SEVERITIES, worst


def test_the_static_union_is_every_registered_message() -> None:
    """A message class added without joining ``AnyMessage`` (or the reverse) fails here."""
    union = get_args(get_args(AnyMessage)[0])
    assert set(union) == set(MESSAGE_TYPES.values())
    assert len(union) == len(MESSAGE_TYPES)


def test_every_message_field_has_a_line_of_doc() -> None:
    """Each field of each message has a ``#:`` comment above it (or a ``description``)."""
    source = inspect.getsource(messages)
    lines = source.splitlines()
    undocumented = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
                continue
            name = statement.target.id
            if name in ("family", "model_config") or (name == "kind" and node.name != "Message"):
                continue  # a subclass's kind is its class name: documented once, on Message
            described = isinstance(statement.value, ast.Call) and any(
                k.arg == "description" for k in statement.value.keywords
            )
            if not lines[statement.lineno - 2].strip().startswith("#:") and not described:
                undocumented.append(f"{node.name}.{name}")
    assert undocumented == []


def test_a_message_reads_back_through_the_union() -> None:
    page = Page(incident="INC-1", responder="ann", level="L1", severity="sev2", title="t", service="s", symptom="x")
    again = parse_message(page.model_dump_json())
    assert again == page and type(again) is Page
    assert isinstance(again, Message)


def test_worst_severity_is_the_lowest_number() -> None:
    assert SEVERITIES == ("sev1", "sev2", "sev3", "sev4")
    assert worst("sev3", "sev2", "sev4") == "sev2"
    assert worst("sev4") == "sev4"
