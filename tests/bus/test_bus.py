"""The bus: routing, publish order, the fault layer, accounting, JSON round trips."""

from __future__ import annotations

import random

import anyio
import pytest

from bus.bus import Bus, UnknownRecipient
from bus.clock import run_virtual
from bus.faults import FaultLayer, FaultRule
from bus.messages import ActorCrashed, DrillNote, Message, PageAcked
from bus.trace import Envelope


async def drain(bus: Bus, name: str) -> list[Envelope[Message]]:
    return bus.mailboxes[name].take_all()


def test_subscribers_get_copies_in_publish_order() -> None:
    async def main() -> tuple[list[int], list[int]]:
        bus = Bus()
        bus.subscribe("a", DrillNote)
        bus.subscribe("b", DrillNote, ActorCrashed)
        bus.publish("x", DrillNote(text="1"))
        bus.publish("x", ActorCrashed(actor="y", message_kind=None, message_seq=None, error="e", restart=False))
        await anyio.sleep(10)
        bus.publish("x", DrillNote(text="3"))
        a = [e.seq for e in await drain(bus, "a")]
        b = [e.seq for e in await drain(bus, "b")]
        assert bus.check_accounts().balanced
        return a, b

    (a, b), _ = run_virtual(main)
    assert a == [1, 3]
    assert b == [1, 2, 3]


def test_incident_subscriptions_filter_by_incident() -> None:
    async def main() -> list[str | None]:
        bus = Bus()
        bus.subscribe("scribe", DrillNote, incident="INC-002")
        for inc in ("INC-001", "INC-002", None):
            bus.publish("x", DrillNote(text="n"), incident=inc)
        return [e.incident for e in await drain(bus, "scribe")]

    got, _ = run_virtual(main)
    assert got == ["INC-002"]


def test_addressing_an_unknown_name_is_an_error() -> None:
    async def main() -> None:
        Bus().publish("x", DrillNote(text="n"), to="nobody")

    with pytest.raises(UnknownRecipient, match="nobody"):
        run_virtual(main)


def test_a_dropped_copy_is_traced_never_delivered_and_accounted() -> None:
    async def main() -> tuple[Bus, list[Envelope], list[Envelope]]:
        rule = FaultRule(name="lose-notes-to-b", action="drop", kinds=("DrillNote",), recipients=("b",))
        bus = Bus(FaultLayer([rule]))
        bus.subscribe("a", DrillNote)
        bus.subscribe("b", DrillNote)
        env = bus.publish("x", DrillNote(text="hello"))
        assert env is not None
        return bus, await drain(bus, "a"), await drain(bus, "b")

    (bus, a, b), _ = run_virtual(main)
    assert len(a) == 1 and b == []
    env = bus.trace.get(1)
    assert env.dropped_for == ("b",)
    assert env.faults[0].rule == "lose-notes-to-b"
    accounts = bus.check_accounts()
    assert (accounts.addressed, accounts.delivered, accounts.dropped, accounts.pending) == (2, 1, 1, 0)


def test_delay_and_duplicate_rules() -> None:
    async def main() -> tuple[list[float], int, Bus]:
        rules = [
            FaultRule(name="slow", action="delay", recipients=("a",), delay=30.0),
            FaultRule(name="twice", action="duplicate", recipients=("b",)),
        ]
        bus = Bus(FaultLayer(rules))
        bus.subscribe("a", DrillNote)
        bus.subscribe("b", DrillNote)
        bus.publish("x", DrillNote(text="n"))
        assert not bus.mailboxes["a"].items and not bus.idle
        pending_before = bus.accounts().pending
        await anyio.sleep(30)
        arrived = [anyio.current_time() for _ in bus.mailboxes["a"].items]
        await drain(bus, "a")
        dupes = len(await drain(bus, "b"))
        assert pending_before == 3
        return arrived, dupes, bus

    (arrived, dupes, bus), _ = run_virtual(main)
    assert arrived == [30.0]
    assert dupes == 2
    assert bus.check_accounts().duplicated == 1


def test_pending_copies_are_counted_at_cut_off() -> None:
    async def main() -> Bus:
        bus = Bus()
        bus.subscribe("a", DrillNote)
        bus.publish("x", DrillNote(text="n"))
        return bus

    bus, _ = run_virtual(main)
    accounts = bus.check_accounts()
    assert (accounts.delivered, accounts.pending) == (0, 1)


def test_probabilistic_rules_draw_from_the_seed() -> None:
    def dropped(seed: str) -> list[int]:
        async def main() -> list[int]:
            rule = FaultRule(name="flaky", action="drop", probability=0.5)
            bus = Bus(FaultLayer([rule], random.Random(seed)))
            bus.subscribe("a", DrillNote)
            for i in range(64):
                bus.publish("x", DrillNote(text=str(i)))
            return [e.seq for e in bus.trace if e.faults]

        return run_virtual(main)[0]

    assert dropped("1:faults") == dropped("1:faults")
    assert dropped("1:faults") != dropped("2:faults")
    assert 10 < len(dropped("1:faults")) < 54


def test_time_windows_bound_a_rule() -> None:
    rule = FaultRule(name="w", action="drop", start=60.0, end=120.0)
    assert [rule.matches("K", "s", "r", t) for t in (59.0, 60.0, 119.0, 120.0)] == [False, True, True, False]


def test_envelopes_round_trip_through_json_exactly() -> None:
    async def main() -> Bus:
        bus = Bus(FaultLayer([FaultRule(name="d", action="drop", recipients=("b",))]))
        bus.subscribe("a", DrillNote)
        bus.subscribe("b", DrillNote)
        bus.publish("x", DrillNote(text="héllo"), incident="INC-001", parent=None)
        bus.publish(
            "y",
            ActorCrashed(actor="y", message_kind="DrillNote", message_seq=1, error="e", restart=True),
            to=["a"],
            parent=1,
        )
        return bus

    bus, _ = run_virtual(main)
    for env in bus.trace:
        line = env.to_json()
        again = Envelope.from_json(line)
        assert again == env
        assert again.to_json() == line


def test_the_public_surface_is_what_it_claims() -> None:
    import bus as package

    # sorted as the linter sorts it (RUF022): constants, then classes, then functions
    def style(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert package.__all__ == sorted(package.__all__, key=style)
    assert len(set(package.__all__)) == len(package.__all__)
    for name in package.__all__:
        assert getattr(package, name) is not None


def _mixed_batch() -> list[object]:
    crash = ActorCrashed(actor="y", message_kind=None, message_seq=None, error="e", restart=False)
    acked = PageAcked(incident="INC-001", responder="alice", level="L1")
    return [DrillNote(text="1"), crash, acked, DrillNote(text="2"), acked, crash, DrillNote(text="3")]


def _batch_bus() -> Bus:
    # DrillNote: plain subscribers; PageAcked: a drop rule; ActorCrashed: a per-incident
    # subscription. The last two must take publish()'s path, one by one.
    bus = Bus(FaultLayer([FaultRule("no-acks", "drop", kinds=("PageAcked",), recipients=("b",))]))
    bus.subscribe("a", DrillNote, PageAcked)
    bus.subscribe("b", DrillNote, PageAcked)
    bus.subscribe("c", ActorCrashed, incident="INC-001")
    bus.subscribe("x", DrillNote)  # the sender: never its own recipient
    return bus


def test_publish_many_is_one_publish_each() -> None:
    async def main(many: bool) -> tuple[list[str], dict[str, list[int]], object]:
        bus = _batch_bus()
        await anyio.sleep(30)
        bus.bind_clock(anyio.current_time)
        if many:
            bus.publish_many("x", _mixed_batch(), parent=7, incident="INC-001")  # type: ignore[arg-type]
        else:
            for msg in _mixed_batch():
                bus.publish("x", msg, parent=7, incident="INC-001")  # type: ignore[arg-type]
        boxes = {name: [e.seq for e in await drain(bus, name)] for name in ("a", "b", "c", "x")}
        return bus.trace.to_jsonl().splitlines(), boxes, bus.check_accounts()

    (batched, boxes, accounts), _ = run_virtual(main, True)
    (single, boxes_single, accounts_single), _ = run_virtual(main, False)
    assert batched == single
    assert boxes == boxes_single == {"a": [1, 3, 4, 5, 7], "b": [1, 4, 7], "c": [2, 6], "x": []}
    assert accounts == accounts_single
    assert '"t":30.0' in batched[0] and '"parent":7' in batched[0]
