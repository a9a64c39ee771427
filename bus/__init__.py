"""The typed in-process bus: messages, envelopes, fault rules, the trace and the virtual clock.

Exceptions: :class:`AccountingError` (copies lost silently), :class:`UnknownRecipient`
(addressed to no mailbox), :class:`VirtualDeadlock` (nothing can ever happen again),
:class:`DurationError` (not a duration).
"""

from bus.bus import AccountingError, Accounts, Bus, Mailbox, UnknownRecipient
from bus.clock import VirtualClockLoop, VirtualDeadlock, run_virtual
from bus.faults import FaultLayer, FaultRule, FaultVerdict
from bus.messages import MESSAGE_TYPES, Message, parse_message
from bus.trace import Envelope, Trace, read_jsonl
from bus.vtime import DurationError, format_duration, format_vtime, parse_duration

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
