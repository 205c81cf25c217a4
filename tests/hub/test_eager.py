"""``eager.start``: a coroutine runs in place until it first waits, then in a task, as if awaited."""

from __future__ import annotations

import asyncio

import pytest

from api.parallels.hub import eager


async def test_a_coroutine_that_never_waits_finishes_in_place() -> None:
    done: list[str] = []

    async def quick() -> None:
        done.append("sent")

    assert eager.start(quick()) is None
    assert done == ["sent"]


async def test_what_it_raises_before_waiting_is_raised_in_place() -> None:
    async def broken() -> None:
        raise ConnectionResetError("gone")

    with pytest.raises(ConnectionResetError):
        eager.start(broken())


async def test_a_coroutine_that_waits_goes_on_in_a_task_with_what_it_waited_for() -> None:
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def slow() -> None:
        steps.append("before")
        steps.append(await gate)
        await asyncio.sleep(0)  # and it may wait again
        steps.append("after")

    rest = eager.start(slow())
    assert rest is not None and steps == ["before"]  # the part before the wait ran in place
    gate.set_result("opened")
    await asyncio.wait_for(rest, 5)
    assert steps == ["before", "opened", "after"]


async def test_an_error_or_a_cancel_reaches_the_coroutine_where_it_waits() -> None:
    loop = asyncio.get_running_loop()
    failing: asyncio.Future[None] = loop.create_future()
    seen: list[str] = []

    async def handles() -> None:
        try:
            await failing
        except OSError as exc:
            seen.append(f"caught {exc}")

    rest = eager.start(handles())
    assert rest is not None
    failing.set_exception(OSError("reset"))
    await rest
    assert seen == ["caught reset"]

    async def cleans_up() -> None:
        try:
            await loop.create_future()  # never done
        finally:
            seen.append("cleaned up")

    waiting = eager.start(cleans_up())
    assert waiting is not None
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert seen[-1] == "cleaned up"
