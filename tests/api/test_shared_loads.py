"""Concurrent cache misses share one load; a failed or cancelled load leaves each waiter to load alone."""

from __future__ import annotations

import asyncio

import pytest

from api.operations.shared_loads import SharedLoads


async def test_concurrent_loads_of_a_key_run_once_and_other_keys_run_apart() -> None:
    loads: SharedLoads[str, str] = SharedLoads()
    calls: list[str] = []
    gate = asyncio.Event()

    async def read(key: str) -> str:
        calls.append(key)
        await gate.wait()
        return key.upper()

    waiting = [asyncio.create_task(loads.load(k, lambda k=k: read(k))) for k in ["a"] * 32 + ["b"]]  # type: ignore[misc]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == ["A"] * 32 + ["B"]
    assert sorted(calls) == ["a", "b"]
    assert await loads.load("a", lambda: read("a")) == "A"  # done loads are not kept: a later miss reads again
    assert calls.count("a") == 2


async def test_a_failed_load_lets_each_waiter_load_for_itself() -> None:
    loads: SharedLoads[str, int] = SharedLoads()
    attempts = 0
    gate = asyncio.Event()

    async def flaky() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await gate.wait()
            raise ConnectionError("the store went away")
        return attempts

    first = asyncio.create_task(loads.load("k", flaky))
    await asyncio.sleep(0)
    others = [asyncio.create_task(loads.load("k", flaky)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(ConnectionError):
        await first
    assert sorted(await asyncio.gather(*others)) == [2, 3, 4]  # none got the failure; each read again
    assert attempts == 4


async def test_a_cancelled_first_caller_does_not_cancel_the_waiters() -> None:
    loads: SharedLoads[str, str] = SharedLoads()
    gate = asyncio.Event()

    async def slow() -> str:
        await gate.wait()
        return "value"

    first = asyncio.create_task(loads.load("k", slow))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(loads.load("k", slow))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    gate.set()
    assert await waiter == "value"
    assert first.cancelled()
