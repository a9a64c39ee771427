"""SLO arithmetic: the lab's examples, the SRE Workbook table, windows, properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain.slo import (
    SLO,
    CountWindow,
    TimeWindow,
    TwoWindowPolicy,
    WorkbookPolicy,
    alert,
    budget_remaining,
    burn_rate,
    describe_budget,
    sli,
)

SLO99 = SLO("answer-success", 0.99)


# --- the lab's examples, exactly ------------------------------------------------------


def test_lab_a_healthy_is_a_number() -> None:
    window = [True] * 997 + [False] * 3
    assert SLO99.error_budget == 0.01
    assert sli(window) == pytest.approx(0.997)
    assert f"{budget_remaining(SLO99, window):.0%}" == "70%"
    assert f"{burn_rate(SLO99, window):.2f}x" == "0.30x"
    assert alert(SLO99, window, window)[0] == "ok"


def test_lab_b_fast_50x_slow_8x_pages_sev1() -> None:
    fast = [True] * 50 + [False] * 50
    slow = [True] * 920 + [False] * 80
    assert burn_rate(SLO99, fast) == pytest.approx(50.0)
    assert burn_rate(SLO99, slow) == pytest.approx(8.0)
    assert alert(SLO99, fast, slow) == ("page", "sev1", "fast burn 50.0x (error budget gone in hours)")


def test_lab_a_brief_blip_does_not_page() -> None:
    action, severity, reason = alert(SLO99, [True] * 98 + [False] * 2, [True] * 999 + [False] * 1)
    assert (action, severity) == ("ok", None)
    assert "2.0x" in reason and "0.1x" in reason


def test_lab_a_sustained_slow_burn_pages_sev2() -> None:
    action, severity, reason = alert(SLO99, [True] * 970 + [False] * 30, [True] * 920 + [False] * 80)
    assert (action, severity) == ("page", "sev2")
    assert "slow burn 8.0x" in reason and "fast 3.0x" in reason


def test_lab_a_mild_slow_burn_with_a_cool_fast_window_opens_a_ticket() -> None:
    action, severity, reason = alert(SLO99, [True] * 100, [True] * 980 + [False] * 20)
    assert (action, severity) == ("ticket", "sev3")
    assert "slow burn 2.0x" in reason


def test_windows_may_be_counts() -> None:
    assert alert(SLO99, (50, 100), (920, 1000))[:2] == ("page", "sev1")
    assert sli((0, 0)) == 1.0 and burn_rate(SLO99, (0, 0)) == 0.0


def test_overspent_budget_is_negative_and_says_so() -> None:
    remaining = budget_remaining(SLO99, (920, 1000))
    assert remaining == pytest.approx(-7.0)
    assert describe_budget(remaining) == "overspent by 700%"
    assert describe_budget(0.7) == "70% remaining"


def test_thresholds_are_configurable() -> None:
    strict = TwoWindowPolicy(page_fast=60.0)
    assert alert(SLO99, (50, 100), (920, 1000), strict)[:2] == ("page", "sev2")


def test_bad_objectives_and_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        SLO("x", 1.0)
    with pytest.raises(ValueError, match="good <= total"):
        sli((5, 3))


# --- the SRE Workbook policy over virtual time -----------------------------------------

SLO999 = SLO("api", 0.999)  # error budget 0.1%
MINUTE = 60.0


def run_workbook(profile: list[tuple[float, float]], rpm: float = 1000.0) -> list[tuple[float, str, str | None]]:
    """Feed minute samples of (duration, error rate) pieces; return the decision changes."""
    policy = WorkbookPolicy()
    windows = {length: TimeWindow(length, MINUTE) for length in policy.windows}
    for w in windows.values():
        w.prefill(1.0, rpm)
    t, last, changes = 0.0, "ok", []
    for duration, error_rate in profile:
        for _ in range(int(duration // MINUTE)):
            t += MINUTE
            for w in windows.values():
                w.add(t, rpm * (1 - error_rate), rpm)
            action, severity, _ = policy.decide({k: w.burn(SLO999) for k, w in windows.items()})
            if action != last:
                changes.append((t, action, severity))
                last = action
    return changes


def test_workbook_thresholds_derive_from_budget_fraction_and_period() -> None:
    policy = WorkbookPolicy()
    assert [round(t.threshold(policy.period), 6) for t in policy.tiers] == [14.4, 6.0, 1.0]
    assert round(WorkbookPolicy(period=28 * 86400).tiers[0].threshold(28 * 86400), 6) == 13.44


def test_workbook_1_44_percent_for_an_hour_pages_on_the_1h_5m_tier() -> None:
    # 1.44% errors / 0.1% budget = 14.4x. The 5m window reaches it after 5 minutes; the 1h
    # window only once the whole hour is at 1.44% (60 minutes in).
    changes = run_workbook([(3600, 0.0144)])
    assert changes == [(3600.0, "page", "sev1")]


def test_workbook_0_6_percent_for_six_hours_pages_on_the_6h_30m_tier() -> None:
    # 0.6% / 0.1% = 6x: under 14.4x on the 1h window, so only the 6h/30m tier can page,
    # and the 6h window is at 6x only after six full hours.
    changes = run_workbook([(6 * 3600, 0.006)])
    assert changes == [(6 * 3600.0, "page", "sev2")]


def test_workbook_0_1_percent_for_three_days_opens_a_ticket() -> None:
    # 0.1% / 0.1% = 1x: the 3d window reaches 1x after three full days.
    changes = run_workbook([(3 * 86400, 0.001)], rpm=100.0)
    assert changes == [(3 * 86400.0, "ticket", "sev3")]


def test_workbook_a_5_minute_total_outage_after_a_clean_hour_pages_because_1h_exceeds_14_4x() -> None:
    # 5 minutes at 100% errors: the 5m window burns 100% / 0.1% = 1000x. The 1h window holds
    # 55 clean minutes and 5 failing ones: (5/60) * 100% / 0.1% = 83.3x >= 14.4x, so it pages.
    assert run_workbook([(3600, 0.0), (300, 1.0)]) == [(3660.0, "page", "sev1")]
    # Under 14.4x on the 1h window it would not: one minute at 1.44% errors / 60 = 0.24x.
    assert run_workbook([(3600, 0.0), (60, 0.0144)]) == []


# --- windows ---------------------------------------------------------------------------


def test_count_window_keeps_the_last_n_requests() -> None:
    w = CountWindow(1000)
    w.add(997, 1000)
    w.add(50, 100)  # the last 100 requests fail at 50%
    assert w.total == 1000
    assert w.burn(SLO99) == pytest.approx((900 * 0.003 + 50) / 1000 / 0.01)


def test_time_window_forgets_what_fell_out_of_it() -> None:
    w = TimeWindow(300, 60)
    for minute in range(1, 6):
        w.add(minute * 60, 0, 10)
    assert (w.good, w.total) == (0, 50)
    w.add(360, 10, 10)  # the sample at minute 1 falls out
    assert (w.good, w.total) == (10, 50)
    w.add(3600, 10, 10)  # a long gap empties it
    assert (w.good, w.total) == (10, 10)


# --- properties ------------------------------------------------------------------------

objectives = st.sampled_from([0.9, 0.99, 0.995, 0.999])


@given(objective=objectives, total=st.integers(100, 100_000))
def test_burn_1_means_the_budget_is_exactly_spent(objective: float, total: int) -> None:
    slo = SLO("p", objective)
    bad = slo.error_budget * total
    assert burn_rate(slo, (total - bad, total)) == pytest.approx(1.0)
    assert budget_remaining(slo, (total - bad, total)) == pytest.approx(0.0, abs=1e-9)


@given(
    fast_bad=st.integers(0, 100),
    slow_bad=st.integers(0, 1000),
    more_fast=st.integers(0, 100),
    more_slow=st.integers(0, 1000),
)
def test_more_bad_outcomes_never_lower_the_severity(
    fast_bad: int, slow_bad: int, more_fast: int, more_slow: int
) -> None:
    rank = {"ok": 0, "ticket": 1, "page": 2}
    sev = {None: 0, "sev3": 1, "sev2": 2, "sev1": 3}
    before = alert(SLO99, (100 - fast_bad, 100), (1000 - slow_bad, 1000))
    worse_fast = min(100, fast_bad + more_fast)
    worse_slow = min(1000, slow_bad + more_slow)
    after = alert(SLO99, (100 - worse_fast, 100), (1000 - worse_slow, 1000))
    assert rank[after[0]] >= rank[before[0]]
    assert sev[after[1]] >= sev[before[1]]


@given(
    st.lists(st.tuples(st.integers(1, 3), st.floats(0, 100, allow_nan=False), st.booleans()), min_size=1, max_size=120)
)
def test_a_window_set_sums_as_one_time_window_per_length(samples: list[tuple[int, float, bool]]) -> None:
    """Running totals for windows of 1, 5, 30 and 60 buckets give each window the sums a
    TimeWindow of its own gives (within rounding), across skipped buckets too; a window
    with no bad request reads exactly 0 bad; and it is clean exactly when none of its
    buckets took a bad request."""
    from actors.domain.slo import WindowSet

    lengths = [60.0, 300.0, 1800.0, 3600.0]
    ws = WindowSet(lengths, MINUTE)
    single = [TimeWindow(length, MINUTE) for length in lengths]
    ws.prefill(0.999, 100.0)
    for w in single:
        w.prefill(0.999, 100.0)
    index, bad_at = 0, 0
    for gap, total, bad in samples:
        index += gap
        good = total * (0.5 if bad else 1.0)
        if good < total:
            bad_at = index
        ws.add(index * MINUTE, good, total)
        for w in single:
            w.add(index * MINUTE, good, total)
        for k, w in enumerate(single):
            got_good, got_bad, got_total = ws.sums(k)
            assert got_good == pytest.approx(w.good, abs=1e-6)
            assert got_total == pytest.approx(w.total, abs=1e-6)
            assert ws.clean(k) == (bad_at <= index - ws.slots[k])
            if ws.clean(k):
                assert got_bad == 0.0
            else:
                assert got_bad == pytest.approx(w.total - w.good, abs=1e-6)


def test_a_window_set_after_a_jump_longer_than_its_longest_window() -> None:
    """A sample 100 buckets after the last, with windows of at most 30: every window holds
    only the new sample."""
    from actors.domain.slo import WindowSet

    ws = WindowSet([300.0, 1800.0], MINUTE)
    ws.add(MINUTE, 90.0, 100.0)
    ws.add(101 * MINUTE, 40.0, 50.0)
    assert [ws.sums(k) for k in (0, 1)] == [(40.0, 10.0, 50.0), (40.0, 10.0, 50.0)]
    fresh = WindowSet([300.0, 1800.0], MINUTE)
    fresh.add(5000 * MINUTE, 50.0, 50.0)  # the very first sample, far from 0
    assert fresh.sums(1) == (50.0, 0.0, 50.0) and fresh.clean(1)
