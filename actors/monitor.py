"""The SLO monitor: samples every SLO, reports SLIs and burns, fires and resolves alerts.

Every ``sample_every`` (the rules' evaluation interval) it reads each service's health
from the service model, turns the interval's traffic into good and total requests (exact
fractions, or one binomial draw from its seeded RNG), feeds each SLO's windows and budget,
and publishes an ``SliReported`` per SLO. Then, by policy:

- the tool presets and custom tiers (:class:`TieredSlo`): every alerting rule is
  evaluated as Prometheus evaluates it (``actors/domain/rules.py``): each rule is its own
  alert, with its own fingerprint (``service/symptom/rule``) and labels, going pending
  (``AlertPending``), firing (``AlertFired``) and resolved (``AlertResolved``) on its own;
  the budget is counted over the SLO period;
- the lab's ``two-window`` (:class:`SloState`): one alert per SLO, as the seeds define it:
  no re-firing while firing (but a ticket that becomes a page fires again, as a page),
  resolved once the policy says ok again; its budget is counted over its slow window.

It is busy while any alert fires, so a drill runs on until its alerts have cleared.

The service model changes through messages: ``FaultStarted`` / ``FaultCleared`` (the
scenario), ``ReleaseLive`` (the release manager) and ``MitigationApplied`` (responders).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo

from actors.domain.rules import (
    AlertRule,
    BudgetWindow,
    RuleState,
    alert_labels,
    rules_of,
    severity_of,
)
from actors.domain.slo import SLO, CountWindow, Decision, TimeWindow, TwoWindowPolicy, WindowSet, window_name
from actors.domain.world import Fault, ServiceModel, draw_good
from actors.engine.actor import Actor, Host
from bus.messages import (
    AlertFired,
    AlertPending,
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
from bus.vtime import format_duration
from scenarios.schema import Diurnal, SloDef
from scenarios.tiers import tier_specs

__all__ = ["Monitor", "SloState", "TieredSlo", "make_slo_states"]

#: what a quiet SLO's report says: a perfect sample, nothing firing, nothing paging
_QUIET: tuple[float, PolicyAction, AlertSeverity | None, bool] = (1.0, "ok", None, False)
_NO_RATES: dict[float, float] = {}


@dataclass
class SloState:
    """One SLO of the lab's two-window policy on one service: its windows, and whether its
    one alert fires."""

    name: str
    service: str
    symptom: str
    slo: SLO
    policy: TwoWindowPolicy
    windows: dict[str, CountWindow | TimeWindow]
    sensitivity: float = 1.0
    requests_per_minute: float = 100.0
    action: PolicyAction = "ok"
    severity: AlertSeverity | None = None
    alert_id: str | None = None
    longest: str = "slow"
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def page_at(self) -> float:
        """The lowest burn rate the policy pages at."""
        return min(self.policy.page_fast, self.policy.page_slow)

    def reset(self) -> None:
        """Empty windows of the same lengths, and no alert firing."""
        self.windows = {k: _fresh(w) for k, w in self.windows.items()}
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
        return self.policy.decide(burns["fast"], burns["slow"])


@dataclass
class TieredSlo:
    """One SLO on one service under burn-rate rules: a time window per distinct length, the
    budget over the period, and each rule's state (see ``actors/domain/rules.py``)."""

    name: str
    service: str
    symptom: str
    slo: SLO
    rules: list[AlertRule]
    #: (our severity, its action) per rule
    severities: list[tuple[AlertSeverity, PolicyAction]]
    #: a window per distinct length of the rules, in one ring
    windows: WindowSet
    budget: BudgetWindow
    labels: dict[str, str]
    sensitivity: float = 1.0
    requests_per_minute: float = 100.0
    states: list[RuleState] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.states = [RuleState() for _ in self.rules]
        self._names = [window_name(length) for length in self.windows.lengths]
        factors = [
            tier.factor
            for rule, (_, action) in zip(self.rules, self.severities, strict=True)
            if action == "page"
            for tier in rule.tiers
            if not tier.absent
        ]
        #: the lowest burn rate a paging rule pages at (None: no rule pages)
        self.page_at: float | None = min(factors) if factors else None
        # For quiet(): a burn tier cannot hold while one of its windows is clean, and a
        # window of n buckets is clean once the last bad bucket is n or more behind the
        # newest; so every tier is held back once that gap reaches the largest, over the
        # tiers, of each tier's smallest window. A tier whose bad-ratio threshold is under
        # 1e-9 could be passed by the running sums' rounding residue: then never quiet.
        tiers = [tier for rule in self.rules for tier in rule.tiers if not tier.absent]
        exact = all(tier.factor * self.slo.error_budget >= 1e-9 for tier in tiers)
        ws = self.windows
        slots = dict(zip(ws.lengths, ws.slots, strict=True))
        needed = [min(slots[tier.long], slots[tier.short or tier.long]) for tier in tiers]
        self._quiet_gap: int | None = max(needed, default=0) if exact else None
        #: (window, factor) of each burn tier of a paging rule: what "paging" reads
        self.paging_tiers = [
            (tier.short if tier.short is not None else tier.long, tier.factor)
            for rule, (_, action) in zip(self.rules, self.severities, strict=True)
            if action == "page"
            for tier in rule.tiers
            if not tier.absent
        ]
        #: whether a rule is pending or firing (set by the monitor after each evaluation)
        self.active = False
        self._error_budget = self.slo.error_budget
        #: whether a rule reads request rates (an absent-data tier, a min_rate)
        self.reads_rates = any(tier.absent or tier.min_rate is not None for rule in self.rules for tier in rule.tiers)

    def quiet(self) -> bool:
        """Whether no rule is pending or firing and none can hold now: every tier has a
        window without a bad request (its burn is 0, not above a threshold), or is an
        absent-data tier (the caller has just added requests). Tiers whose threshold is
        within rounding of 0 never count as quiet (``_quiet_gap`` is None)."""
        gap = self._quiet_gap
        if gap is None or self.active:
            return False
        ws = self.windows
        return ws.head is None or ws.head - ws.bad_at >= gap

    def reset(self) -> None:
        self.windows = WindowSet(list(self.windows.lengths), self.windows.step)
        b = self.budget
        self.budget = BudgetWindow(b.period, b.step, 1.0 - b.budget, b.history_rate, b.history_good, b.until)
        self.__post_init__()

    def add(self, t: float, good: float, total: float) -> None:
        self.windows.add(t, good, total)
        self.budget.add(t, good, total)

    def burns(self) -> dict[float, float | None]:
        """Burn per window length; None where the window saw no request (no ratio). The
        arithmetic of :meth:`WindowSet.burn` on its running totals, inlined: the monitor's
        hot path."""
        ws, budget = self.windows, self._error_budget
        head = ws.head
        if head is None:
            return dict.fromkeys(ws.lengths)
        at = ws.at
        _, bad_now, total_now = at(head)
        out: dict[float, float | None] = {}
        for length, slots in zip(ws.lengths, ws.slots, strict=True):
            _, bad_back, total_back = at(head - slots)
            total = total_now - total_back
            if total > 0:
                bad = bad_now - bad_back
                out[length] = (min(total, bad) if bad > 0 else 0.0) / total / budget
            else:
                out[length] = None
        return out

    def rates(self) -> dict[float, float]:
        """Requests per second per window length."""
        ws = self.windows
        return {length: ws.sums(k)[2] / length for k, length in enumerate(ws.lengths)}

    def named(self, burns: dict[float, float | None]) -> dict[str, float]:
        return {name: round(v or 0.0, 4) for name, v in zip(self._names, burns.values(), strict=True)}


def _fresh(window: CountWindow | TimeWindow) -> CountWindow | TimeWindow:
    return CountWindow(window.size) if isinstance(window, CountWindow) else TimeWindow(window.length, window.step)


def _window(spec: int | str, step: float) -> CountWindow | TimeWindow:
    if isinstance(spec, int):
        return CountWindow(spec)
    return TimeWindow(float(spec.removesuffix("s")), step)


def make_slo_states(
    defs: list[SloDef],
    step: float,
    rpm: dict[str, float],
    *,
    until: float = 86400.0,
    severities: dict[str, str] | None = None,
) -> list[SloState | TieredSlo]:
    """One state per SLO and service, in file order."""
    states: list[SloState | TieredSlo] = []
    for d in defs:
        for service in d.service:
            name = d.name if len(d.service) == 1 else f"{service}:{d.name}"
            if d.policy == "two-window":
                t = d.thresholds
                windows = {"fast": _window(d.windows.fast, step), "slow": _window(d.windows.slow, step)}
                states.append(
                    SloState(
                        name=name,
                        service=service,
                        symptom=d.symptom,
                        slo=SLO(name, d.objective),
                        policy=TwoWindowPolicy(t.page_fast, t.page_slow, t.ticket_slow, t.confirm),
                        windows=windows,
                        sensitivity=d.sensitivity,
                        requests_per_minute=rpm[service],
                        longest=list(windows)[-1],
                        labels=dict(d.labels),
                    )
                )
                continue
            rules = rules_of(tier_specs(d))
            lengths = sorted({length for rule in rules for length in rule.windows})
            sevs: list[tuple[AlertSeverity, PolicyAction]] = []
            for rule in rules:
                sev = cast("AlertSeverity", severity_of(rule.severity, severities))
                sevs.append((sev, "page" if sev in ("sev1", "sev2") else "ticket"))
            states.append(
                TieredSlo(
                    name=name,
                    service=service,
                    symptom=d.symptom,
                    slo=SLO(name, d.objective),
                    rules=rules,
                    severities=sevs,
                    windows=WindowSet(lengths, step),
                    budget=BudgetWindow(d.period, step, d.objective, rpm[service] / 60.0, 1.0, until),
                    labels=dict(d.labels),
                    sensitivity=d.sensitivity,
                    requests_per_minute=rpm[service],
                )
            )
    return states


def _report(
    state: SloState | TieredSlo,
    sli: float,
    budget: float,
    burns: dict[str, float],
    action: PolicyAction,
    severity: AlertSeverity | None,
    paging: bool = False,
    slices: tuple[float | None, float | None] = (None, None),
    requests: float | None = None,
) -> SliReported:
    """One sample of one SLO, as the trace records it."""
    extra: dict[str, float | None] = {"canary_sli": slices[0], "stable_sli": slices[1]} if slices[0] is not None else {}
    if requests is not None:
        extra["requests"] = round(requests, 6)
    return SliReported(
        **extra,
        paging=paging,
        page_at=state.page_at,
        slo=state.name,
        service=state.service,
        symptom=state.symptom,
        objective=state.slo.objective,
        sli=round(sli, 6),
        budget_remaining=round(budget, 6),
        burns=burns,
        action=action,
        severity=severity,
    )


class Monitor(Actor):
    """Samples the service model on virtual time; publishes SLIs and alerts."""

    family = "monitor"
    subscribes = (FaultStarted, FaultCleared, MitigationApplied, FixApplied, ReleaseLive)

    def __init__(
        self,
        name: str,
        host: Host,
        model: ServiceModel,
        slos: list[SloState | TieredSlo],
        sample_every: float = 60.0,
        exact: bool = True,
        labels: dict[str, dict[str, str]] | None = None,
        start: datetime | None = None,
        diurnal: Diurnal | None = None,
        noise: float = 0.0,
        reports: Literal["changes", "every"] = "changes",
        skip_quiet: bool = True,
    ) -> None:
        self.model = model
        self.slos = slos
        self.sample_every = sample_every
        self.exact = exact
        self.labels = labels or {}
        self.start = start or datetime(2026, 1, 1, tzinfo=UTC)
        #: the day's traffic curve (None: flat) and the noise on each sample's requests
        self.diurnal = diurnal
        self.noise = noise
        #: "changes": an SLO's SliReported only when someone subscribes to them or its
        #: (SLI, action, severity, paging) changed; "every": one per SLO per evaluation
        self.every_report = reports == "every"
        self.skip_quiet = skip_quiet
        super().__init__(name, host)

    def setup(self) -> None:
        if getattr(self, "_set_up", False):  # a restart: back to the state it was made in
            self.model.reset()
            for state in self.slos:
                state.reset()
        self._set_up = True
        #: service -> (candidate weight, stable quality, candidate quality, blend) during a canary
        self.canaries: dict[str, tuple[float, float, float, float]] = {}
        self.alert_count = 0
        self.firing = 0
        self.pending = 0  # rules holding for their for: (they may yet fire)
        self.unsampled = False
        series = self.series = self.bus.trace.series
        self.columns = [
            series.columns[series.declare(st.name, st.service, st.symptom, st.slo.objective)] for st in self.slos
        ]
        #: each SLO's last published (SLI, action, severity, paging): a report is said again
        #: only when it changes (or when someone listens)
        self.said: list[tuple[float, PolicyAction, AlertSeverity | None, bool] | None] = [None] * len(self.slos)
        health = self.model.health()
        for state in self.slos:
            baseline = 1.0 - state.sensitivity * (1.0 - health[state.service])
            per_step = state.requests_per_minute * self.sample_every / 60.0
            if isinstance(state, TieredSlo):
                state.windows.prefill(baseline, per_step)
                continue
            windows: list[CountWindow | TimeWindow] = list(state.windows.values())
            for window in windows:
                if isinstance(window, TimeWindow):
                    window.prefill(baseline, per_step)
                else:
                    window.prefill(baseline)

    def on_start(self) -> None:
        self.call_later(self.sample_every, self._sample)

    def busy(self) -> str | None:
        """Busy while alerts fire or are pending, while a fault is active (a drill runs until its faults are
        cleared, or until ``until``), and until a change to the service model is sampled."""
        if self.firing:
            return f"{self.firing} alert(s) firing"
        if self.pending:
            return f"{self.pending} alert(s) pending"
        if self.model.faults:
            return f"fault(s) active on {', '.join(self.model.faults)}"
        return "a change not sampled yet" if self.unsampled else None

    # --- the service model -----------------------------------------------------------

    def on_fault_started(self, msg: FaultStarted, env: Envelope[FaultStarted]) -> None:
        self.unsampled = True
        self.model.start_fault(
            msg.service, Fault(msg.fault, msg.health, msg.signature, msg.traffic, ramp=msg.ramp, began=env.t)
        )

    def on_fault_cleared(self, msg: FaultCleared, env: Envelope[FaultCleared]) -> None:
        self.model.clear_fault(msg.service, msg.fault)

    def on_mitigation_applied(self, msg: MitigationApplied, env: Envelope[MitigationApplied]) -> None:
        self.model.mitigate(msg.service, msg.sli)

    def on_release_live(self, msg: ReleaseLive, env: Envelope[ReleaseLive]) -> None:
        self.unsampled = True
        self.model.set_quality(msg.service, msg.quality)
        if msg.candidate and msg.stable_quality is not None and msg.candidate_quality is not None:
            self.canaries[msg.service] = (msg.weight, msg.stable_quality, msg.candidate_quality, msg.quality)
        else:
            self.canaries.pop(msg.service, None)

    def on_fix_applied(self, msg: FixApplied, env: Envelope[FixApplied]) -> None:
        self.model.clear_signature(msg.service, msg.signature)

    # --- sampling --------------------------------------------------------------------

    def _sample(self) -> None:
        now = self.now
        self.call_later(self.sample_every, self._sample)
        health = self.model.health(now)
        self.unsampled = False
        rng = None if self.exact else self.rng
        shape = self._traffic_shape(now)
        self.series.tick(now)
        listening = None if self.every_report else self.bus.listening(SliReported)  # None: all
        said: list[Message] = []  # everything this sample says, sent together at the end
        model, canaries, columns, skip = self.model, self.canaries, self.columns, self.skip_quiet
        per_minute = self.sample_every / 60.0 * shape
        for i, state in enumerate(self.slos):
            service = state.service
            total = state.requests_per_minute * per_minute * model.traffic(service)
            canary = canaries.get(service)
            slices: tuple[float | None, float | None] = (None, None)
            if canary is None:
                level = 1.0 - state.sensitivity * (1.0 - health[service])
                good = draw_good(rng, total, level)
            else:
                good, slices = self._slices(state, total, health[service], canary, rng)
            state.add(now, good, total)
            sli = good / total if total else 1.0
            listened = listening is None or service in listening
            if isinstance(state, TieredSlo):
                if skip and good >= total > 0 and state.quiet():
                    # No rule can change state and none is active: the sample's figures are
                    # known without evaluating a rule (the same as _evaluate would find).
                    columns[i].add(sli, state.budget.remaining(now), total)
                    if not listened and self.said[i] == _QUIET:
                        continue
                    self._evaluate(state, now, sli, said, slices, total, i, listened, record=False)
                    continue
                self._evaluate(state, now, sli, said, slices, total, i, listened)
                continue
            burns = state.burns()
            action, severity, reason = state.decide(burns)
            budget = 1.0 - burns[state.longest]
            columns[i].add(sli, budget, total)
            key = (round(sli, 6), action, severity, action == "page")
            if listened or self.said[i] != key:
                self.said[i] = key
                shown = {k: round(v, 4) for k, v in burns.items()}
                said.append(_report(state, sli, budget, shown, action, severity, action == "page", slices, total))
            self._transition(state, action, severity, reason, sli, burns, said)
        self.send_many(said)

    def _traffic_shape(self, now: float) -> float:
        """The share of the full rate this sample sees: the day's curve at ``start`` +
        *now* in its zone, times the seeded noise (1.0 when neither is set)."""
        shape = 1.0
        curve = self.diurnal
        if curve is not None:
            local = (self.start + timedelta(seconds=now)).astimezone(ZoneInfo(curve.time_zone))
            hour = local.hour + local.minute / 60 + local.second / 3600
            shape = curve.trough + (1 - curve.trough) * (1 + math.cos(2 * math.pi * (hour - curve.peak_hour) / 24)) / 2
        if self.noise > 0:
            shape *= max(0.0, 1.0 + self.noise * self.rng.gauss(0.0, 1.0))
        return shape

    @staticmethod
    def _slices(
        state: SloState | TieredSlo,
        total: float,
        health: float,
        canary: tuple[float, float, float, float],
        rng: random.Random | None,
    ) -> tuple[float, tuple[float | None, float | None]]:
        """A sample of a canaried service, drawn slice by slice: the candidate serves
        ``weight`` of the requests at its own quality, the stable release the rest at its
        own (each slice's health: the service's, with the slice's quality in place of the
        blend). Exact outcomes add up to the blended sample."""
        weight, q_stable, q_candidate, q_blend = canary
        out: list[float | None] = []
        good = 0.0
        for share, quality in ((weight, q_candidate), (1.0 - weight, q_stable)):
            requests = total * share
            own = health * quality / q_blend if q_blend > 0 else 0.0
            level = 1.0 - state.sensitivity * (1.0 - min(1.0, own))
            drawn = draw_good(rng, requests, level)
            good += drawn
            out.append(round(drawn / requests, 6) if requests else None)
        return good, (out[0], out[1])

    def _evaluate(
        self,
        state: TieredSlo,
        now: float,
        sli: float,
        said: list[Message],
        slices: tuple[float | None, float | None],
        total: float,
        index: int,
        listened: bool,
        record: bool = True,
    ) -> None:
        """Evaluate every rule of *state* at *now*, as Prometheus does: its row of the
        series (unless *record* is False: the caller wrote it), its report when someone
        listens or it changed, and its rules' changes (appended to *said*)."""
        burns = state.burns()
        rates = state.rates() if state.reads_rates else _NO_RATES
        shown: dict[str, float] | None = None
        worst: tuple[AlertSeverity, PolicyAction] | None = None
        changes: list[Message] = []
        active = False
        for rule, rs, (severity, action) in zip(state.rules, state.states, state.severities, strict=True):
            change = rs.step(rule, now, rule.holds(burns, rates))
            if rs.status != "inactive":
                active = True
                if rs.status == "firing" and (worst is None or severity < worst[0]):
                    worst = (severity, action)
            if change is not None:
                shown = shown or state.named(burns)
                changes.append(self._rule_message(state, rule, rs, change, severity, action, sli, shown))
        state.active = active
        budget = state.budget.remaining(now)
        if record:
            self.columns[index].add(sli, budget, total)
        paging = False
        for window, factor in state.paging_tiers:
            burn = burns[window]
            if burn is not None and burn > factor:
                paging = True
                break
        key = (round(sli, 6), worst[1] if worst else "ok", worst[0] if worst else None, paging)
        if listened or self.said[index] != key:
            self.said[index] = key
            shown = shown or state.named(burns)
            said.append(_report(state, sli, budget, shown, key[1], key[2], paging, slices, total))
        said.extend(changes)

    def _rule_message(
        self,
        state: TieredSlo,
        rule: AlertRule,
        rs: RuleState,
        change: str,
        severity: AlertSeverity,
        action: PolicyAction,
        sli: float,
        shown: dict[str, float],
    ) -> Message:
        """The message of one rule's state change: pending, inactive, firing, resolved."""
        fingerprint = f"{state.service}/{state.symptom}/{rule.name}"
        conditions = " or ".join(
            f"no request reported for {window_name(t.long)}"
            if t.absent
            else f"burn {shown[window_name(t.long)]:.1f}x over {window_name(t.long)}"
            + (f" and {shown[window_name(t.short)]:.1f}x over {window_name(t.short)}" if t.short is not None else "")
            + f" > {t.factor:g}x"
            for t in rule.tiers
        )
        if rs.alert is None:
            self.alert_count += 1
            rs.alert = f"A-{self.alert_count:03d}"
        alert = rs.alert
        if change in ("pending", "inactive"):
            self.pending += 1 if change == "pending" else -1
            if change == "inactive":
                rs.alert = None
            return AlertPending(
                alert=alert,
                fingerprint=fingerprint,
                service=state.service,
                slo=state.name,
                rule=rule.name,
                state="pending" if change == "pending" else "inactive",
                hold=rule.for_,
                reason=conditions if change == "pending" else f"no longer: {conditions}",
            )
        if change == "firing":
            self.firing += 1
            if rule.for_ > 0:  # it was pending
                self.pending -= 1
            reason = conditions + (f" for {format_duration(rule.for_)}" if rule.for_ else "")
            labels = (dict(rule.labels), rule.name, rule.severity)
            return self._fired(state, alert, fingerprint, action, severity, sli, shown, reason, labels)
        self.firing -= 1
        rs.alert = None
        return AlertResolved(
            alert=alert,
            fingerprint=fingerprint,
            service=state.service,
            symptom=state.symptom,
            slo=state.name,
            sli=round(sli, 6),
            reason=f"no longer: {conditions}",
        )

    def _fired(
        self,
        state: SloState | TieredSlo,
        alert: str,
        fingerprint: str,
        action: PolicyAction,
        severity: AlertSeverity,
        sli: float,
        burns: dict[str, float],
        reason: str,
        rule: tuple[dict[str, str], str, str],
    ) -> AlertFired:
        """An alert firing, with its labels (*rule*: its own labels, alertname, severity
        word) and ``error``: the fault signatures its service's logs show."""
        rule_labels, alertname, word = rule
        labels = alert_labels(
            self.labels.get(state.service, {}), state.labels, rule_labels,
            alertname=alertname, severity=word, slo=state.name, service=state.service,
        )  # fmt: skip
        signatures = self.model.signatures(state.service)
        if signatures:
            labels["error"] = ",".join(signatures)
        return AlertFired(
            alert=alert,
            fingerprint=fingerprint,
            service=state.service,
            symptom=state.symptom,
            slo=state.name,
            action=action,
            severity=severity,
            sli=round(sli, 6),
            burns=burns,
            reason=reason,
            labels=labels,
        )

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
            shown = {k: round(v, 4) for k, v in burns.items()}
            labels: tuple[dict[str, str], str, str] = ({}, state.name, severity)
            said.append(self._fired(state, state.alert_id, fingerprint, action, severity, sli, shown, reason, labels))
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
