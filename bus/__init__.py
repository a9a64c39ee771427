"""The typed in-process bus: messages, envelopes, fault rules, the trace and the virtual clock.

Exceptions: :class:`AccountingError` (copies lost silently), :class:`UnknownRecipient`
(addressed to no mailbox), :class:`VirtualDeadlock` (nothing can ever happen again),
:class:`DurationError` (not a duration).

The names below are imported on first use (PEP 562), so ``import bus.vtime`` does not
build every message schema: start-up pays only for what a path needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bus.bus import AccountingError, Accounts, Bus, Mailbox, UnknownRecipient
    from bus.clock import VirtualClockLoop, VirtualDeadlock, run_virtual
    from bus.faults import FaultLayer, FaultRule, FaultVerdict
    from bus.messages import MESSAGE_TYPES, Message, parse_message
    from bus.trace import Envelope, Trace, read_jsonl
    from bus.vtime import DurationError, format_duration, format_vtime, parse_duration

#: name -> the module that defines it
_WHERE = {
    **dict.fromkeys(("AccountingError", "Accounts", "Bus", "Mailbox", "UnknownRecipient"), "bus.bus"),
    **dict.fromkeys(("VirtualClockLoop", "VirtualDeadlock", "run_virtual"), "bus.clock"),
    **dict.fromkeys(("FaultLayer", "FaultRule", "FaultVerdict"), "bus.faults"),
    **dict.fromkeys(("MESSAGE_TYPES", "Message", "parse_message"), "bus.messages"),
    **dict.fromkeys(("Envelope", "Trace", "read_jsonl"), "bus.trace"),
    **dict.fromkeys(("DurationError", "format_duration", "format_vtime", "parse_duration"), "bus.vtime"),
}

__all__ = [
    "MESSAGE_TYPES",
    "AccountingError",
    "Accounts",
    "Bus",
    "DurationError",
    "Envelope",
    "FaultLayer",
    "FaultRule",
    "FaultVerdict",
    "Mailbox",
    "Message",
    "Trace",
    "UnknownRecipient",
    "VirtualClockLoop",
    "VirtualDeadlock",
    "format_duration",
    "format_vtime",
    "parse_duration",
    "parse_message",
    "read_jsonl",
    "run_virtual",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'bus' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value
