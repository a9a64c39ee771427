"""The virtual clock: time jumps, exact timeouts, deadlock detection."""

from __future__ import annotations

import anyio
import pytest

from bus.clock import VirtualClockLoop, VirtualDeadlock, run_virtual


def test_a_24_hour_sleep_jumps_without_waiting() -> None:
    async def shift() -> float:
        await anyio.sleep(24 * 3600)
        return anyio.current_time()

    now, loop = run_virtual(shift)
    assert now == 86400.0
    assert loop.real_wait_seconds == 0.0  # never blocked in real time
    assert loop.jumps == 1


def test_move_on_after_fires_at_exactly_t_plus_300() -> None:
    async def main() -> tuple[bool, float]:
        with anyio.move_on_after(300) as scope:
            await anyio.sleep(3600)
        return scope.cancelled_caught, anyio.current_time()

    (caught, now), _ = run_virtual(main)
    assert caught
    assert now == 300.0


def test_fail_after_raises_at_its_deadline() -> None:
    async def main() -> float:
        try:
            with anyio.fail_after(90):
                await anyio.Event().wait()
        except TimeoutError:
            return anyio.current_time()
        return -1.0

    now, _ = run_virtual(main)
    assert now == 90.0


def test_timers_fire_in_virtual_time_order_and_ties_in_start_order() -> None:
    log: list[tuple[float, str]] = []

    async def sleeper(name: str, delay: float) -> None:
        await anyio.sleep(delay)
        log.append((anyio.current_time(), name))

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for name, delay in [("c", 30), ("a", 10), ("b", 10), ("d", 20)]:
                tg.start_soon(sleeper, name, delay)

    run_virtual(main)
    assert log == [(10.0, "a"), (10.0, "b"), (20.0, "d"), (30.0, "c")]


def test_a_deadlock_ends_with_an_error_naming_the_blocked_tasks() -> None:
    async def main() -> None:
        never = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(never.wait, name="waiter")
            await anyio.sleep(5)

    with pytest.raises(VirtualDeadlock) as info:
        run_virtual(main)
    assert info.value.now == 5.0
    assert any(line.startswith("waiter awaits Event.wait") for line in info.value.blocked)
    assert "virtual deadlock at T+00:00:05" in str(info.value)


def test_speed_paces_jumps_in_real_time() -> None:
    async def main() -> None:
        await anyio.sleep(60)

    waits: list[float] = []
    wall = [100.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        wall[0] += seconds

    _, loop = run_virtual(main, speed=600.0, pacer=(lambda: wall[0], sleep))
    assert waits == [pytest.approx(0.1)]  # 60 virtual seconds at 600x: a tenth of a wall second
    assert loop.real_wait_seconds == pytest.approx(0.1)


@pytest.mark.anyio
async def test_the_pytest_fixture_runs_on_virtual_time() -> None:
    assert anyio.current_time() == 0.0
    await anyio.sleep(3600)
    assert anyio.current_time() == 3600.0


def test_the_alarm_fires_at_its_time_before_the_loops_own_timers_of_that_instant() -> None:
    import asyncio

    log: list[tuple[float, str]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualClockLoop)
        loop.call_at(50.0, lambda: log.append((loop.time(), "loop timer")))
        loop.set_alarm(80.0, lambda: log.append((loop.time(), "replaced alarm")))
        loop.set_alarm(50.0, lambda: log.append((loop.time(), "alarm")))  # replaces the one before
        await anyio.sleep(60)
        loop.set_alarm(70.0, lambda: log.append((loop.time(), "cleared alarm")))
        loop.clear_alarm()
        await anyio.sleep(60)

    _, loop = run_virtual(main)
    assert log == [(50.0, "alarm"), (50.0, "loop timer")]
    assert loop.jumps == 3  # 50, 60, 120: nothing at the cleared 70
