"""The release manager: deploys, rollbacks, regression cases and the canary.

- A deploy without a canary goes live at once (``Deployed``); the live release's quality
  drives the service model (``ReleaseLive``).
- A rollback returns to the last good release at once and marks the bad one (``RolledBack``,
  naming the eval questions the bad release gets wrong).
- Regression cases from postmortems join the eval set.
- A canaried deploy is first scored against live on the eval set with every regression case
  (:func:`actors.domain.canary.offline_verdict`, the pre-deploy gate): rejected unless it
  does at least as well and passes them all. Then it steps through traffic weights (10% ->
  50% -> 100%), as Argo Rollouts and Flagger do: each step runs ``analysis`` long and is
  judged on the SLI of the candidate's own slice of traffic over that window (the monitor
  samples the slices apart), against ``success_sli`` and ``failure_sli`` (and, with
  ``compare_stable``, against the stable slice, as Kayenta does). A failed analysis beyond
  ``failure_limit`` (Argo's failureLimit: failures tolerated, default 0) rejects the
  candidate; a tolerated one runs the step again; an inconclusive one pauses the rollout at
  its weight (hold) and a pause longer than ``hold_timeout`` aborts it; the last step
  promotes (``CanaryVerdict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.domain.canary import analyse, answers_of, offline_verdict
from actors.engine.actor import Actor, Host
from bus.messages import (
    CanaryStep,
    CanaryVerdict,
    Deployed,
    DeployRequested,
    RegressionCase,
    RegressionCaseAdded,
    ReleaseLive,
    RequestRollback,
    RolledBack,
    SliReported,
)
from bus.trace import Envelope
from bus.vocab import CanaryDecision
from scenarios.schema import CanaryDef, ReleaseDef

__all__ = ["ReleaseManager"]


@dataclass
class Canary:
    release: str
    service: str
    step: int = 0
    failures: int = 0
    started: float = 0.0
    scores: tuple[float, float] = (1.0, 1.0)
    failed_cases: list[str] = field(default_factory=list)
    #: paused by an inconclusive analysis
    held: bool = False


class ReleaseManager(Actor):
    family = "release"
    #: SliReported too, but only while a canary runs (``_watch``)
    subscribes = (DeployRequested, RequestRollback, RegressionCaseAdded)

    def __init__(
        self,
        name: str,
        host: Host,
        releases: dict[str, ReleaseDef],
        eval_set: dict[str, str],
        live: dict[str, str],
        canary: CanaryDef,
        objectives: dict[str, float],
    ) -> None:
        self.releases = releases
        self.eval_set = eval_set
        self.initial = live
        self.canary_def = canary
        self.objectives = objectives
        super().__init__(name, host)

    def setup(self) -> None:
        self.live = dict(self.initial)
        self.good: dict[str, list[str]] = {s: [r] for s, r in self.initial.items()}
        self.bad: set[str] = set()
        self.regressions: list[RegressionCase] = []
        self.canaries: dict[str, Canary] = {}
        #: per service, during its canary: (time, canary slice SLI, stable slice SLI) samples
        self.slices: dict[str, list[tuple[float, float, float]]] = {}

    def on_start(self) -> None:
        for service in self.live:
            self._publish_live(service)

    def busy(self) -> str | None:
        return f"canary of {', '.join(self.canaries)} in progress" if self.canaries else None

    def answers(self, release: str) -> dict[str, str]:
        return answers_of(self.releases[release].answers, self.eval_set)

    def _publish_live(self, service: str, canary: Canary | None = None, weight: float = 0.0) -> None:
        release = self.live[service]
        stable = self.releases[release].quality
        quality = stable
        extra = {}
        if canary is not None:
            candidate = self.releases[canary.release].quality
            quality = (1 - weight) * stable + weight * candidate
            extra = {"stable_quality": stable, "candidate_quality": candidate}
        self.send(
            ReleaseLive(
                service=service,
                release=release,
                quality=round(quality, 6),
                candidate=canary.release if canary else None,
                weight=weight,
                **extra,
            )
        )

    # --- deploys and rollbacks ---------------------------------------------------------

    def on_deploy_requested(self, msg: DeployRequested, env: Envelope[DeployRequested]) -> None:
        service = self.releases[msg.release].service
        if msg.canary:
            self._start_canary(msg.release, service)
            return
        previous = self.live.get(service, "none")
        self.live[service] = msg.release
        self.send(Deployed(service=service, release=msg.release, previous=previous))
        self._publish_live(service)

    def on_request_rollback(self, msg: RequestRollback, env: Envelope[RequestRollback]) -> None:
        current = self.live.get(msg.service)
        good = [r for r in self.good.get(msg.service, []) if r != current and r not in self.bad]
        if current is None or not good:
            return  # nothing to go back to: the responder sees no recovery and hands off
        target = good[-1]
        self.bad.add(current)
        self.live[msg.service] = target
        right = self.eval_set
        wrong = [q for q, a in self.answers(current).items() if right.get(q) != a]
        self.send(RolledBack(service=msg.service, bad=current, to=target, reason=msg.reason, regressed=wrong))
        self._publish_live(msg.service)

    def on_regression_case_added(self, msg: RegressionCaseAdded, env: Envelope[RegressionCaseAdded]) -> None:
        self.regressions.append(msg.case)

    def on_sli_reported(self, msg: SliReported, env: Envelope[SliReported]) -> None:
        if msg.canary_sli is None:
            return
        samples = self.slices.setdefault(msg.service, [])
        if samples and samples[-1][0] == env.t:  # several SLOs of one service: the worst
            t, canary, stable = samples[-1]
            samples[-1] = (t, min(canary, msg.canary_sli), min(stable, msg.stable_sli or 1.0))
        else:
            samples.append((env.t, msg.canary_sli, msg.stable_sli if msg.stable_sli is not None else 1.0))

    # --- the canary ----------------------------------------------------------------------

    def _start_canary(self, release: str, service: str) -> None:
        live = self.live.get(service)
        regressions = [(c.id, c.question, c.answer) for c in self.regressions if c.question and c.answer]
        offline = offline_verdict(
            self.answers(release),
            self.answers(live) if live else {},
            self.eval_set,
            regressions,
        )
        canary = Canary(
            release, service, scores=(offline.candidate_score, offline.live_score), failed_cases=offline.failed_cases
        )
        if not offline.promote:
            self._verdict(canary, "reject", offline.reason)
            return
        self.canaries[release] = canary
        self._watch()
        self._step(canary)

    def _step(self, canary: Canary) -> None:
        weight = self.canary_def.steps[canary.step]
        canary.started = self.now
        self.slices.pop(canary.service, None)
        self._publish_live(canary.service, canary, weight)
        self.call_later(self.canary_def.analysis, self._analyse, canary)

    def _analyse(self, canary: Canary) -> None:
        spec = self.canary_def
        weight = spec.steps[canary.step]
        success = spec.success_sli or self.objectives.get(canary.service, 0.99)
        failure = spec.failure_sli or success - 0.05
        window = [s for s in self.slices.get(canary.service, []) if s[0] > canary.started]
        sli = round(sum(s[1] for s in window) / len(window), 6) if window else None
        stable = round(sum(s[2] for s in window) / len(window), 6) if window else None
        result = analyse(sli, success, failure)
        why = f"canary SLI {sli:.2%} over {len(window)} sample(s)" if sli is not None else "no sample of the canary"
        trails = sli is not None and stable is not None and stable - sli > spec.stable_tolerance
        if result != "fail" and spec.compare_stable and trails:
            result = "fail"
            why = f"{why} trails the stable slice's {stable:.2%} by more than {spec.stable_tolerance:.1%}"
        self.send(
            CanaryStep(release=canary.release, weight=weight, sli=sli, result=result, stable_sli=stable, reason=why)
        )
        if result == "fail":
            canary.failures += 1
            if canary.failures > spec.failure_limit:
                self.bad.add(canary.release)
                reason = f"{why}, under {failure:.1%}" if sli is not None and sli < failure else why
                self._verdict(canary, "reject", f"{reason} at {weight:.0%} of traffic")
                return
            self._step(canary)  # a failure tolerated: the step runs again
        elif result == "inconclusive":
            canary.held = True
            self._verdict(canary, "hold", f"{why}, between {failure:.1%} and {success:.1%} at {weight:.0%}: paused")
            self.call_later(spec.hold_timeout, self._hold_timeout, canary)
        elif canary.step + 1 < len(spec.steps):
            canary.step += 1
            self._step(canary)
        else:
            self.live[canary.service] = canary.release
            self.good.setdefault(canary.service, []).append(canary.release)
            self._verdict(canary, "promote", f"passed {len(spec.steps)} steps up to 100% of traffic")

    def _hold_timeout(self, canary: Canary) -> None:
        if self.canaries.get(canary.release) is canary and canary.held:
            self._verdict(
                canary, "abort", f"paused longer than {self.canary_def.hold_timeout:g}s: aborted, stable only"
            )

    def _watch(self) -> None:
        """Take the SLI reports only while a canary runs (they carry its slices)."""
        self.bus.watch(self.name, SliReported, bool(self.canaries), {c.service for c in self.canaries.values()})

    def _verdict(self, canary: Canary, verdict: CanaryDecision, reason: str) -> None:
        if verdict != "hold":  # a held canary keeps its weight (and its place) until it is decided
            self.canaries.pop(canary.release, None)
            self.slices.pop(canary.service, None)
            self._publish_live(canary.service)
            self._watch()
        self.send(
            CanaryVerdict(
                release=canary.release,
                service=canary.service,
                verdict=verdict,
                candidate_score=canary.scores[0],
                live_score=canary.scores[1],
                failed_cases=canary.failed_cases,
                live_after=self.live[canary.service],
                reason=reason,
            )
        )
