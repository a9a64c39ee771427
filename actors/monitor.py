"""The SLO monitor: samples every SLO, reports SLIs and burns, fires and resolves alerts.

Every ``sample_every`` it reads each service's health from the service model, turns the
minute's traffic into good and total requests (exact fractions, or drawn from its seeded
RNG), feeds each SLO's windows, asks the SLO's policy for ok / ticket / page, publishes an
``SliReported`` per SLO, and an ``AlertFired`` / ``AlertResolved`` on state changes only:
no re-firing while firing (but a ticket that becomes a page fires again, as a page), and
resolved once the policy says ok again. It is busy while any alert fires, so a drill runs
on until its alerts have cleared.

The service model changes through messages: ``FaultStarted`` / ``FaultCleared`` (the
scenario), ``ReleaseLive`` (the release manager) and ``MitigationApplied`` (responders).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.domain.slo import SLO, CountWindow, Decision, TimeWindow, TwoWindowPolicy, WorkbookPolicy, window_name
from actors.domain.world import Fault, ServiceModel, draw_good
from actors.engine.actor import Actor, Host
from bus.messages import (
    AlertFired,
    AlertResolved,
    FaultCleared,
    FaultStarted,
    FixApplied,
    Message,
    MitigationApplied,
    ReleaseLive,
    SliReported,
)
from bus.trace import Envelope
from bus.vocab import AlertSeverity, PolicyAction, action_rank
from scenarios.schema import SloDef

__all__ = ["Monitor", "SloState", "make_slo_states"]


@dataclass
class SloState:
    """One SLO on one service, its windows, and whether its alert fires."""

    name: str
    service: str
    symptom: str
    slo: SLO
    policy: TwoWindowPolicy | WorkbookPolicy
    windows: dict[str, CountWindow | TimeWindow]
    sensitivity: float = 1.0
    requests_per_minute: float = 100.0
    action: PolicyAction = "ok"
    severity: AlertSeverity | None = None
    alert_id: str | None = None
    longest: str = "slow"
    _time_windows: list[tuple[str, TimeWindow]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._time_windows = [(k, w) for k, w in self.windows.items() if isinstance(w, TimeWindow)]

    def reset(self) -> None:
        """Empty windows of the same lengths, and no alert firing."""
        self.windows = {
            k: CountWindow(w.size) if isinstance(w, CountWindow) else TimeWindow(w.length, w.step)
            for k, w in self.windows.items()
        }
        self.__post_init__()
        self.action, self.severity, self.alert_id = "ok", None, None

    def add(self, t: float, good: float, total: float) -> None:
        for window in self.windows.values():
            if isinstance(window, TimeWindow):
                window.add(t, good, total)
            else:
                window.add(good, total)

    def burns(self) -> dict[str, float]:
        return {name: window.burn(self.slo) for name, window in self.windows.items()}

    def decide(self, burns: dict[str, float]) -> Decision:
        if isinstance(self.policy, WorkbookPolicy):
            return self.policy.decide({w.length: burns[k] for k, w in self._time_windows})
        return self.policy.decide(burns["fast"], burns["slow"])


def _window(spec: int | str, step: float) -> CountWindow | TimeWindow:
    if isinstance(spec, int):
        return CountWindow(spec)
    return TimeWindow(float(spec.removesuffix("s")), step)


def make_slo_states(defs: list[SloDef], step: float, rpm: dict[str, float]) -> list[SloState]:
    """One :class:`SloState` per SLO and service, in file order."""
    states = []
    for d in defs:
        for service in d.service:
            name = d.name if len(d.service) == 1 else f"{service}:{d.name}"
            policy: TwoWindowPolicy | WorkbookPolicy
            windows: dict[str, CountWindow | TimeWindow]
            if d.policy == "sre-workbook":
                policy = WorkbookPolicy(period=d.period)
                windows = {window_name(length): TimeWindow(length, step) for length in policy.windows}
            else:
                t = d.thresholds
                policy = TwoWindowPolicy(t.page_fast, t.page_slow, t.ticket_slow, t.confirm)
                windows = {"fast": _window(d.windows.fast, step), "slow": _window(d.windows.slow, step)}
            states.append(
                SloState(
                    name=name,
                    service=service,
                    symptom=d.symptom,
                    slo=SLO(name, d.objective),
                    policy=policy,
                    windows=windows,
                    sensitivity=d.sensitivity,
                    requests_per_minute=rpm[service],
                    longest=list(windows)[-1],
                )
            )
    return states


class Monitor(Actor):
    """Samples the service model on virtual time; publishes SLIs and alerts."""

    family = "monitor"
    subscribes = (FaultStarted, FaultCleared, MitigationApplied, FixApplied, ReleaseLive)

    def __init__(
        self,
        name: str,
        host: Host,
        model: ServiceModel,
        slos: list[SloState],
        sample_every: float = 60.0,
        exact: bool = True,
        labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.model = model
        self.slos = slos
        self.sample_every = sample_every
        self.exact = exact
        self.labels = labels or {}
        super().__init__(name, host)

    def setup(self) -> None:
        if getattr(self, "_set_up", False):  # a restart: back to the state it was made in
            self.model.reset()
            for state in self.slos:
                state.reset()
        self._set_up = True
        self.alert_count = 0
        self.firing = 0
        self.unsampled = False
        health = self.model.health()
        for state in self.slos:
            baseline = 1.0 - state.sensitivity * (1.0 - health[state.service])
            per_step = state.requests_per_minute * self.sample_every / 60.0
            for window in state.windows.values():
                if isinstance(window, TimeWindow):
                    window.prefill(baseline, per_step)
                else:
                    window.prefill(baseline)

    def on_start(self) -> None:
        self.call_later(self.sample_every, self._sample)

    def busy(self) -> str | None:
        """Busy while alerts fire, while a fault is active (a drill runs until its faults are
        cleared, or until ``until``), and until a change to the service model is sampled."""
        if self.firing:
            return f"{self.firing} alert(s) firing"
        if self.model.faults:
            return f"fault(s) active on {', '.join(self.model.faults)}"
        return "a change not sampled yet" if self.unsampled else None

    # --- the service model -----------------------------------------------------------

    def on_fault_started(self, msg: FaultStarted, env: Envelope[FaultStarted]) -> None:
        self.unsampled = True
        self.model.start_fault(msg.service, Fault(msg.fault, msg.health, msg.signature))

    def on_fault_cleared(self, msg: FaultCleared, env: Envelope[FaultCleared]) -> None:
        self.model.clear_fault(msg.service, msg.fault)

    def on_mitigation_applied(self, msg: MitigationApplied, env: Envelope[MitigationApplied]) -> None:
        self.model.mitigate(msg.service, msg.sli)

    def on_release_live(self, msg: ReleaseLive, env: Envelope[ReleaseLive]) -> None:
        self.unsampled = True
        self.model.set_quality(msg.service, msg.quality)

    def on_fix_applied(self, msg: FixApplied, env: Envelope[FixApplied]) -> None:
        self.model.clear_signature(msg.service, msg.signature)

    # --- sampling --------------------------------------------------------------------

    def _sample(self) -> None:
        now = self.now
        self.call_later(self.sample_every, self._sample)
        health = self.model.health()
        self.unsampled = False
        rng = None if self.exact else self.rng
        said: list[Message] = []  # everything this sample says, sent together at the end
        for state in self.slos:
            total = state.requests_per_minute * self.sample_every / 60.0
            level = 1.0 - state.sensitivity * (1.0 - health[state.service])
            good = draw_good(rng, total, level)
            state.add(now, good, total)
            burns = state.burns()
            action, severity, reason = state.decide(burns)
            sli = good / total if total else 1.0
            said.append(
                SliReported(
                    slo=state.name,
                    service=state.service,
                    symptom=state.symptom,
                    objective=state.slo.objective,
                    sli=round(sli, 6),
                    budget_remaining=round(1.0 - burns[state.longest], 6),
                    burns={k: round(v, 4) for k, v in burns.items()},
                    action=action,
                    severity=severity,
                ),
            )
            self._transition(state, action, severity, reason, sli, burns, said)
        self.send_many(said)

    def _transition(
        self,
        state: SloState,
        action: PolicyAction,
        severity: AlertSeverity | None,
        reason: str,
        sli: float,
        burns: dict[str, float],
        said: list[Message],
    ) -> None:
        """Fire or resolve *state*'s alert as the sample decided (appended to *said*)."""
        fingerprint = f"{state.service}/{state.symptom}"
        if action != "ok" and action_rank(action) > action_rank(state.action):
            assert severity is not None, "a policy that says ticket or page names a severity"
            if state.alert_id is None:
                self.firing += 1
                self.alert_count += 1
                state.alert_id = f"A-{self.alert_count:03d}"
            state.action, state.severity = action, severity
            labels = dict(self.labels.get(state.service, {}))
            signatures = self.model.signatures(state.service)
            if signatures:
                labels["error"] = ",".join(signatures)
            said.append(
                AlertFired(
                    alert=state.alert_id,
                    fingerprint=fingerprint,
                    service=state.service,
                    symptom=state.symptom,
                    slo=state.name,
                    action=action,
                    severity=severity,
                    sli=round(sli, 6),
                    burns={k: round(v, 4) for k, v in burns.items()},
                    reason=reason,
                    labels=labels,
                ),
            )
        elif action == "ok" and state.action != "ok":
            assert state.alert_id is not None
            said.append(
                AlertResolved(
                    alert=state.alert_id,
                    fingerprint=fingerprint,
                    service=state.service,
                    symptom=state.symptom,
                    slo=state.name,
                    sli=round(sli, 6),
                    reason=reason,
                ),
            )
            state.action, state.severity, state.alert_id = "ok", None, None
            self.firing -= 1
