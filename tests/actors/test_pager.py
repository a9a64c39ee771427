"""The escalation ladder on the virtual clock, with exact virtual times."""

from __future__ import annotations

from pathlib import Path

from actors.engine.runtime import RunResult
from actors.pipeline import Options, build
from bus.messages import (
    AckTimedOut,
    Escalated,
    EscalationExhausted,
    HandedOff,
    IncidentAcknowledged,
    IncidentResolved,
    IncidentTriggered,
    LadderRepeated,
    Page,
    PageAcked,
    StepTaken,
    TicketQueued,
)
from scenarios.loader import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
MIN = 60.0
TRIGGER = 11 * MIN + 30  # fault at 10m, first sample after it at 11m, group_wait 30s


def drill(
    *,
    ack: tuple[str, str, str] = ("2m", "3m", "4m"),
    runbook: str = "- {name: restart, action: mitigate, sli: 1.0, takes: 1m}",
    repeat: int = 1,
    extra_events: str = "",
    phone: str = "on",
) -> str:
    return f"""
name: ladder
until: 6h
services: [{{name: api}}]
slos: [{{name: api-errors, service: api, objective: 0.99}}]
responders:
  - {{name: alice, level: L1, ack_after: {ack[0]}, phone: {phone}}}
  - {{name: bob, level: L2, ack_after: {ack[1]}}}
  - {{name: carol, level: L3, ack_after: {ack[2]}}}
escalation:
  levels:
    - {{name: L1, targets: [alice], escalate_after: 5m}}
    - {{name: L2, targets: [bob], escalate_after: 5m}}
    - {{name: L3, targets: [carol], escalate_after: 5m}}
  repeat: {repeat}
  ack_timeout: 30m
runbooks:
  crashloop:
    {runbook}
events:
  - {{at: 10m, fault: {{service: api, health: 0.5, signature: crashloop}}}}
  - {{at: 5h, recover: {{service: api}}}}
{extra_events}
"""


def run(text: str, **options: object) -> RunResult:
    return build(parse_scenario(text), Options(**options)).run()  # type: ignore[arg-type]


def timeline(result: RunResult, *kinds: type) -> list[tuple[float, str, str]]:
    out = []
    for env in result.trace.of(*kinds):
        m = env.msg
        who = getattr(m, "responder", None) or getattr(m, "by", None) or getattr(m, "to_level", None) or ""
        out.append((env.t, m.kind, who))
    return out


def test_no_drops_l1_acks_after_its_delay_and_nothing_escalates() -> None:
    result = run(drill())
    assert timeline(result, IncidentTriggered, Page, IncidentAcknowledged, Escalated) == [
        (TRIGGER, "IncidentTriggered", ""),
        (TRIGGER, "Page", "alice"),
        (TRIGGER + 2 * MIN, "IncidentAcknowledged", "alice"),
    ]
    resolved = result.trace.first(IncidentResolved, by="alice")
    assert resolved is not None


def test_drop_ack_l1_pages_l2_exactly_escalate_after_later_and_l2_acks() -> None:
    result = run(drill(), drop_ack=["L1"])
    dropped = [e for e in result.trace.of(PageAcked) if e.faults]
    assert [(e.t, e.msg.responder, e.faults[0].rule) for e in dropped] == [(TRIGGER + 2 * MIN, "alice", "drop-ack-L1")]
    assert timeline(result, Page, Escalated, IncidentAcknowledged) == [
        (TRIGGER, "Page", "alice"),
        (TRIGGER + 5 * MIN, "Escalated", "L2"),
        (TRIGGER + 5 * MIN, "Page", "bob"),
        (TRIGGER + 8 * MIN, "IncidentAcknowledged", "bob"),
    ]


def test_l1_and_l2_dropped_l3_acks() -> None:
    result = run(drill(), drop_ack=["L1", "L2"])
    acked = result.trace.of(IncidentAcknowledged)
    assert [(e.t, e.msg.by, e.msg.level, e.msg.after) for e in acked] == [(TRIGGER + 14 * MIN, "carol", "L3", 14 * MIN)]


def test_all_dropped_the_ladder_repeats_then_is_exhausted_at_the_computed_time() -> None:
    result = run(drill(), drop_ack=["L1", "L2", "L3"])
    pages = [(e.t, e.msg.responder, e.msg.loop) for e in result.trace.of(Page)]
    assert pages == [(TRIGGER + i * 5 * MIN, who, i // 3) for i, who in enumerate(["alice", "bob", "carol"] * 2)]
    repeated = result.trace.of(LadderRepeated)
    assert [(e.t, e.msg.loop) for e in repeated] == [(TRIGGER + 15 * MIN, 1)]
    exhausted = result.trace.of(EscalationExhausted)
    # 3 levels x 5m x (1 + repeat 1) after the trigger
    assert [e.t for e in exhausted] == [TRIGGER + 3 * 5 * MIN * 2]
    assert result.trace.of(IncidentAcknowledged) == []


def test_acked_but_unresolved_goes_back_to_triggered_after_ack_timeout() -> None:
    slow = "- {name: rebuild the cluster, action: mitigate, sli: 1.0, takes: 2h}"
    result = run(drill(runbook=slow))
    timed_out = result.trace.of(AckTimedOut)
    assert (timed_out[0].t, timed_out[0].msg.by) == (TRIGGER + 2 * MIN + 30 * MIN, "alice")
    repage = [e for e in result.trace.of(Page) if e.t == timed_out[0].t]
    assert [e.msg.responder for e in repage] == ["alice"]
    # alice (still working) acks the re-page after her delay: escalation halts again
    reacked = [e.t for e in result.trace.of(IncidentAcknowledged)]
    assert reacked[:2] == [TRIGGER + 2 * MIN, timed_out[0].t + 2 * MIN]


def test_an_ack_at_exactly_the_deadline_escalates_first_then_still_acknowledges() -> None:
    result = run(drill(ack=("5m", "3m", "4m")))
    deadline = TRIGGER + 5 * MIN
    at_deadline = [
        (e.msg.kind, getattr(e.msg, "responder", "") or getattr(e.msg, "by", ""))
        for e in result.trace
        if e.t == deadline
    ]
    # The rule: the deadline wins the tie (L2 is paged), and alice's ack of the same
    # instant still acknowledges the incident, so bob's later ack changes nothing.
    assert at_deadline[:4] == [
        ("Escalated", ""),
        ("Page", "bob"),
        ("PageAcked", "alice"),
        ("IncidentAcknowledged", "alice"),
    ]
    assert [e.msg.by for e in result.trace.of(IncidentAcknowledged)][:1] == ["alice"]
    assert len([e for e in result.trace.of(IncidentAcknowledged) if e.t < TRIGGER + 30 * MIN]) == 1


def test_sev3_never_pages_and_a_sev2_ticket_starts_at_l2() -> None:
    tickets = """
  - {at: 1m, ticket: {id: T-1, reporter: ann, text: "export is a bit slow", service: api}}
  - {at: 2m, ticket: {id: T-2, reporter: ben, text: "the invoice total is wrong", service: api}}
"""
    text = drill(extra_events=tickets).replace(
        "  - {at: 10m, fault: {service: api, health: 0.5, signature: crashloop}}\n", ""
    )
    result = run(text)
    queued = result.trace.of(TicketQueued)
    assert [(e.t, e.msg.incident) for e in queued] == [(MIN, "INC-001")]
    assert {e.msg.incident for e in result.trace.of(Page)} == {"INC-002"}
    triggered = result.trace.first(IncidentTriggered, incident="INC-002")
    assert triggered is not None and (triggered.t, triggered.msg.level) == (2 * MIN, "L2")
    assert result.trace.first(Page, incident="INC-002").msg.responder == "bob"


STORMY = """
name: many
until: 8h
services: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}]
slos: [{name: errors, service: [a, b, c, d, e, f], objective: 0.99}]
responders:
  - {name: alice, level: L1, ack_after: {min: 1m, max: 4m}}
  - {name: bob, level: L2, ack_after: {min: 1m, max: 4m}}
escalation:
  levels:
    - {name: L1, targets: [alice], escalate_after: 5m}
    - {name: L2, targets: [bob], escalate_after: 5m}
  repeat: 2
runbooks:
  broken: [{name: restart, action: fix, signature: broken, takes: 1m, service: a}]
events:
""" + "".join(
    f"  - {{at: {10 + 20 * i}m, fault: {{service: {s}, health: 0.5, signature: broken}}}}\n"
    for i, s in enumerate("abcdef")
)


def test_ack_loss_is_drawn_from_the_seed() -> None:
    def trace(seed: int) -> str:
        return run(STORMY, seed=seed, ack_loss=0.3).trace.to_jsonl()

    assert trace(7) == trace(7)
    assert trace(7) != trace(8)
    assert any(e.faults for e in run(STORMY, seed=7, ack_loss=0.3).trace.of(PageAcked))


def test_the_lab_runbook_takes_the_sli_from_50_to_85_to_95_to_100_and_resolves_after_3_steps() -> None:
    result = build(load_scenario(str(ROOT / "scenarios" / "provider_outage.yaml"))).run()
    steps = result.trace.of(StepTaken)
    assert [e.msg.step for e in steps] == [
        "switch to the fallback model",
        "serve cached answers where possible",
        "shed low-priority traffic",
    ]
    slis = {s.t: s.sli for s in result.trace.series.samples()}
    after = [slis[min(t for t in slis if t > s.t)] for s in steps]
    before = slis[max(t for t in slis if t <= steps[0].t)]
    assert [round(x, 2) for x in [before, *after]] == [0.5, 0.85, 0.95, 1.0]
    resolved = result.trace.first(IncidentResolved, incident="INC-001")
    assert resolved is not None and resolved.msg.by == "alice"
    assert "after 3 step(s)" in resolved.msg.reason


def test_a_rollback_step_at_l1_hands_off_to_l2() -> None:
    rollback = "- {name: roll back the deploy, action: mitigate, sli: 1.0, min_level: L2, takes: 1m}"
    result = run(drill(runbook=rollback))
    handed = result.trace.of(HandedOff)
    assert [(e.t, e.msg.responder, e.msg.reason) for e in handed] == [
        (TRIGGER + 2 * MIN, "alice", "'roll back the deploy' needs L2 or above")
    ]
    assert timeline(result, Escalated, IncidentAcknowledged, StepTaken)[1:] == [
        (TRIGGER + 2 * MIN, "Escalated", "L2"),
        (TRIGGER + 5 * MIN, "IncidentAcknowledged", "bob"),
        (TRIGGER + 6 * MIN, "StepTaken", "bob"),
    ]
    assert result.trace.first(IncidentResolved, by="bob") is not None


def test_a_phone_that_is_off_never_answers() -> None:
    result = run(drill(phone="off"))
    assert [e.msg.by for e in result.trace.of(IncidentAcknowledged)][:1] == ["bob"]
    assert result.trace.first(Escalated) is not None and result.trace.first(Escalated).t == TRIGGER + 5 * MIN
