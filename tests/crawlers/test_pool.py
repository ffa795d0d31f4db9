"""The CPU pool's wall-clock limit kills the worker (not just abandons it); shutdown never hangs."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from app.crawlers.pool import CpuPool, PoolTimeout


def spin(seconds: list[float]) -> list[int]:
    """Burn CPU for the given seconds; returns the worker's pid."""
    end = time.monotonic() + seconds[0]
    while time.monotonic() < end:
        pass
    return [os.getpid()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_batch_past_its_limit_has_its_worker_killed_and_replaced() -> None:
    pool = CpuPool(workers=1)
    try:
        (pid,) = await pool.map_batch(spin, [0.0])
        started = time.monotonic()
        with pytest.raises(PoolTimeout, match="worker was stopped"):
            await pool.map_batch(spin, [60.0], time_limit=1.0)
        assert time.monotonic() - started < 10
        for _ in range(100):  # up to 10 s for the kill to land
            if not _alive(pid):
                break
            await asyncio.sleep(0.1)
        assert not _alive(pid)  # the process that ran it is gone, not left spinning
        (fresh,) = await pool.map_batch(spin, [0.0], time_limit=30.0)
        assert fresh != pid  # a new worker took its place, and works
    finally:
        pool.shutdown()


async def test_shutdown_with_a_stuck_batch_returns_within_its_grace() -> None:

    pool = CpuPool(workers=1)
    stuck = asyncio.ensure_future(pool.map_batch(spin, [120.0]))
    await asyncio.sleep(1.0)
    started = time.monotonic()
    pool.shutdown(grace=1.0)
    assert time.monotonic() - started < 10
    with pytest.raises(BaseException):  # noqa: B017, PT011 - cancelled or a broken pool, either way it ended
        await asyncio.wait_for(stuck, 10)
