"""The serve command's GC policy: full collections on a timer, not on the allocation heuristic."""

from __future__ import annotations

import asyncio
import gc
import itertools

import pytest

from mockserver.core import tuning


@pytest.fixture
def collections(monkeypatch) -> list[float]:
    """The loop times at which a full collection ran, with the policy's periods shrunk."""
    monkeypatch.setattr(tuning, "QUIET_CHECK_EVERY", 0.01)
    monkeypatch.setattr(tuning, "FULL_COLLECTION_EVERY", 0.1)
    ran: list[float] = []
    monkeypatch.setattr(gc, "collect", lambda *a: ran.append(asyncio.get_running_loop().time()) or 0)
    return ran


async def run_for(seconds: float, activity) -> None:
    task = asyncio.create_task(tuning.collect_periodically(activity))
    await asyncio.sleep(seconds)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_server_that_goes_quiet_is_collected_once_and_then_left_alone(collections):
    served = [0]

    async def traffic() -> None:
        for _ in range(5):
            served[0] += 1
            await asyncio.sleep(0.005)

    await asyncio.gather(traffic(), run_for(0.2, lambda: served[0]))
    assert len(collections) == 1  # once after the burst, not again while idle


async def test_an_idle_server_is_never_collected(collections):
    await run_for(0.15, lambda: 0)
    assert collections == []


async def test_continuous_load_is_collected_at_the_longest_period_not_at_every_check(collections):
    counter = iter(range(1, 10**6))
    await run_for(0.45, lambda: next(counter))  # the count moves at every check: never quiet
    assert 2 <= len(collections) <= 5  # about every 0.1 s, not every 0.01 s
    gaps = [b - a for a, b in itertools.pairwise(collections)]
    assert all(gap >= 0.09 for gap in gaps)
