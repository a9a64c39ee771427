"""Canary scoring: a candidate against the live release on the eval set, regression cases
included. Pure functions; no actor or bus imports.

The offline verdict promotes only if the candidate scores at least as well as live *and*
passes every regression case. Each stepped-canary analysis compares the service's SLI at
that step with two bounds: at or above ``success`` passes, below ``failure`` fails, in
between is inconclusive (it holds for a human).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Offline", "analyse", "answers_of", "offline_verdict", "score"]


def answers_of(overrides: Mapping[str, str], eval_set: Mapping[str, str]) -> dict[str, str]:
    """A release's answer to every question: the right one unless it overrides it."""
    return {q: overrides.get(q, a) for q, a in eval_set.items()}


def score(answers: Mapping[str, str], cases: Sequence[tuple[str, str]]) -> tuple[float, list[str]]:
    """Share of *cases* (question, expected) answered right, and the questions missed."""
    if not cases:
        return 1.0, []
    missed = [q for q, expected in cases if answers.get(q) != expected]
    return (len(cases) - len(missed)) / len(cases), missed


@dataclass(frozen=True)
class Offline:
    promote: bool
    candidate_score: float
    live_score: float
    failed_cases: list[str]
    reason: str


def offline_verdict(
    candidate: Mapping[str, str],
    live: Mapping[str, str],
    eval_set: Mapping[str, str],
    regressions: Sequence[tuple[str, str, str]],
) -> Offline:
    """Score *candidate* against *live* on the eval set plus regression cases
    (id, question, expected)."""
    cases = list(eval_set.items()) + [(q, a) for _, q, a in regressions]
    cand, cand_missed = score(candidate, cases)
    base, _ = score(live, cases)
    failed = [case_id for case_id, q, a in regressions if candidate.get(q) != a]
    failed += [f"eval: {q}" for q in cand_missed if q in eval_set]
    if failed and any(not f.startswith("eval: ") for f in failed):
        reason = f"fails {', '.join(f for f in failed if not f.startswith('eval: '))}"
        return Offline(False, cand, base, failed, reason)
    if cand < base:
        return Offline(False, cand, base, failed, f"scores {cand:.0%} against live {base:.0%}")
    return Offline(
        True, cand, base, failed, f"scores {cand:.0%} against live {base:.0%} and passes every regression case"
    )


def analyse(sli: float | None, success: float, failure: float) -> str:
    """``pass``, ``fail`` or ``inconclusive`` for one canary step."""
    if sli is None:
        return "inconclusive"
    if sli >= success - 1e-9:
        return "pass"
    if sli < failure:
        return "fail"
    return "inconclusive"
