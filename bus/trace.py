"""The trace: every message published, in order, with its envelope.

Sinks see each envelope as it is recorded: the in-memory :class:`Trace` (which tests, the
postmortem writer and the readers of a finished run query), a JSONL file (written through
``actors/outputs.py``, whole or not at all), and the console
view (``actors/console/view.py``), which reads the same envelopes and lives apart from the
simulation.

``Envelope`` is generic over its message: ``trace.of(Page)`` is a list of
``Envelope[Page]``, so ``env.msg.responder`` is known to the type checker.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar, cast

from bus.faults import FaultVerdict
from bus.messages import Message, parse_message
from bus.series import Series

__all__ = ["Envelope", "Trace", "envelopes_of", "read_jsonl"]

M = TypeVar("M", bound=Message)
#: The message type an envelope carries (covariant: an ``Envelope[Page]`` is an
#: ``Envelope[Message]``).
M_co = TypeVar("M_co", bound=Message, covariant=True)


class Envelope(NamedTuple, Generic[M_co]):
    """A message as the bus carried it (immutable; a named tuple because the bus makes one
    per publish and that is the hot path)."""

    #: Publish order, from 1, dense.
    seq: int
    #: Virtual time of the publish, in seconds from the run's start.
    t: float
    #: The actor that published it.
    sender: str
    #: Every recipient addressed (copies the fault layer dropped included).
    to: tuple[str, ...]
    #: The sequence number of the message whose handling caused this one.
    parent: int | None
    #: The incident it belongs to, if any.
    incident: str | None
    #: The message itself.
    msg: M_co
    #: What the fault layer did to individual copies (dropped, delayed, duplicated).
    faults: tuple[FaultVerdict, ...] = ()

    @property
    def kind(self) -> str:
        return self.msg.kind

    @property
    def dropped_for(self) -> tuple[str, ...]:
        return tuple(f.recipient for f in self.faults if f.action == "drop")

    def to_json(self) -> str:
        """One JSONL line; the same envelope always gives the same bytes."""
        data: dict[str, Any] = {
            "seq": self.seq,
            "t": self.t,
            "from": self.sender,
            "to": list(self.to),
            "parent": self.parent,
            "incident": self.incident,
            "msg": self.msg.model_dump(mode="json"),
        }
        if self.faults:
            data["faults"] = [f.to_json() for f in self.faults]
        line = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if not line.isprintable():  # JSON escapes C0 controls; bidi and other invisibles too
            line = "".join(ch if ch.isprintable() else _json_escape(ch) for ch in line)
        return line

    @classmethod
    def from_json(cls, line: str) -> Envelope[Message]:
        data = json.loads(line)
        faults = tuple(
            FaultVerdict(f["to"], f["action"], f["rule"], f.get("delay", 0.0)) for f in data.get("faults", ())
        )
        return Envelope(
            seq=data["seq"],
            t=data["t"],
            sender=data["from"],
            to=tuple(data["to"]),
            parent=data["parent"],
            incident=data["incident"],
            msg=parse_message(data["msg"]),
            faults=faults,
        )


def _json_escape(ch: str) -> str:
    """A JSON ``\\u`` escape of one character (a surrogate pair above the BMP)."""
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def envelopes_of(envelopes: Iterable[Envelope[Message]], *types: type[M]) -> list[Envelope[M]]:
    """Those of *envelopes* whose message is one of *types*, typed as such."""
    # isinstance narrows the message, not its envelope: the cast says what the test proved
    return cast("list[Envelope[M]]", [e for e in envelopes if isinstance(e.msg, types)])


@dataclass
class Trace:
    """The in-memory record of a run: every envelope in publish order, and the SLI series
    (every SLO at every evaluation, ``bus/series.py``).

    Kinds made transient (:meth:`pass_through`) go to the sinks (a ``--trace-out`` file, the
    console) but are not kept: a long run's memory then stays bounded by what is open, the
    summaries and the series. Sequence numbers stay those the bus gave; :meth:`get` finds
    a kept envelope by its number, and a causal chain stops at one not kept.
    """

    envelopes: list[Envelope[Message]] = field(default_factory=list)
    sinks: list[Callable[[Envelope[Message]], None]] = field(default_factory=list)
    series: Series = field(default_factory=Series)
    #: kinds given to the sinks but not kept
    transient: frozenset[type[Message]] = frozenset()
    #: envelopes of transient kinds passed through, and the last one's number
    passed: int = 0
    last_passed: int = 0
    #: keep (or pass through) one envelope: what the bus calls for each, before the sinks
    add: Callable[[Envelope[Message]], None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._bind()

    def pass_through(self, *kinds: type[Message]) -> None:
        """Give *kinds* to the sinks only, from now on (not kept in memory)."""
        self.transient = frozenset(kinds)
        self._bind()

    def _bind(self) -> None:
        append = self.envelopes.append
        transient = self.transient
        if not transient:
            self.add = append
            return

        shared: dict[tuple[type[Message], frozenset[str]], set[str]] = {}

        def add(env: Envelope[Message]) -> None:
            msg = env.msg
            cls = type(msg)
            if cls in transient:
                self.passed += 1
                self.last_passed = env.seq
                return
            # A long run keeps thousands of messages: those of one class with the same
            # fields set share one set (a frozen message never changes it).
            fields = msg.__pydantic_fields_set__
            key = (cls, frozenset(fields))
            one = shared.setdefault(key, fields)
            if one is not fields:
                object.__setattr__(msg, "__pydantic_fields_set__", one)
            append(env)

        self.add = add

    def record(self, env: Envelope[Message]) -> None:
        self.add(env)
        if self.sinks:
            for sink in self.sinks:
                sink(env)

    def __iter__(self) -> Iterator[Envelope[Message]]:
        return iter(self.envelopes)

    def __len__(self) -> int:
        return len(self.envelopes)

    def get(self, seq: int) -> Envelope[Message]:
        """The envelope numbered *seq* (KeyError: not kept, or never published)."""
        envelopes = self.envelopes
        if not self.passed:
            if 0 < seq <= len(envelopes):
                return envelopes[seq - 1]
            raise KeyError(seq)
        i = bisect_left(envelopes, seq, key=_seq)
        if i < len(envelopes) and envelopes[i].seq == seq:
            return envelopes[i]
        raise KeyError(seq)

    def of(self, *types: type[M]) -> list[Envelope[M]]:
        """Envelopes whose message is one of *types*."""
        return envelopes_of(self.envelopes, *types)

    def messages(self, kind: type[M]) -> list[M]:
        return [e.msg for e in self.envelopes if isinstance(e.msg, kind)]

    def first(self, kind: type[M], **fields: Any) -> Envelope[M] | None:
        """The first envelope of *kind* whose message has all the given field values."""
        for env in self.envelopes:
            if isinstance(env.msg, kind) and all(getattr(env.msg, k) == v for k, v in fields.items()):
                return cast("Envelope[M]", env)
        return None

    def for_incident(self, incident: str) -> list[Envelope[Message]]:
        return [e for e in self.envelopes if e.incident == incident]

    def ancestors(self, env: Envelope[Message]) -> list[Envelope[Message]]:
        """The causal chain that led to *env*, oldest first."""
        chain = []
        parent = env.parent
        while parent is not None:
            try:
                up = self.get(parent)
            except KeyError:  # a transient kind (not kept): the chain starts after it
                break
            chain.append(up)
            parent = up.parent
        return chain[::-1]

    def to_jsonl(self) -> str:
        return "".join(e.to_json() + "\n" for e in self.envelopes)


def _seq(env: Envelope[Message]) -> int:
    return env.seq


def read_jsonl(path: str) -> list[Envelope[Message]]:
    with open(path, encoding="utf-8") as fh:
        return [Envelope.from_json(line) for line in fh if line.strip()]
