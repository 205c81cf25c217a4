"""``api.operations.group_commit``: results reach their own callers, and a broken run never leaves one waiting."""

from __future__ import annotations

import asyncio

import pytest

from api.operations.group_commit import GroupCommit


class Runs:
    def __init__(self, *, short: bool = False) -> None:
        self.groups: list[list[int]] = []
        self.gate = asyncio.Event()
        self.short = short

    async def run(self, key: str, items: list[int]) -> list[str]:
        self.groups.append(items)
        await self.gate.wait()
        answers = [f"{key}:{n}" for n in items]
        return answers[:-1] if self.short and len(items) > 1 else answers


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_each_caller_gets_its_own_items_result_and_big_items_still_run() -> None:
    runs = Runs()
    commit: GroupCommit[str, int, str] = GroupCommit(runs.run, max_items=10, max_bytes=100)
    first = asyncio.create_task(commit.submit("k", 0))
    await settle()
    rest = [asyncio.create_task(commit.submit("k", n, size=60)) for n in (1, 2, 3)]  # two don't fit 100 bytes
    await settle()
    runs.gate.set()
    assert await asyncio.gather(first, *rest) == ["k:0", "k:1", "k:2", "k:3"]
    assert runs.groups == [[0], [1], [2], [3]]
    assert await commit.submit("k", 9, size=500) == "k:9"  # larger than a group: alone, not stuck


async def test_a_run_that_answers_the_wrong_count_fails_its_callers_instead_of_leaving_them_waiting() -> None:
    runs = Runs(short=True)
    commit: GroupCommit[str, int, str] = GroupCommit(runs.run, max_items=10)
    first = asyncio.create_task(commit.submit("k", 0))
    await settle()
    rest = [asyncio.create_task(commit.submit("k", n)) for n in (1, 2)]
    await settle()
    runs.gate.set()
    assert await first == "k:0"
    for task in rest:
        with pytest.raises(RuntimeError, match="a group of 2 got 1 result"):
            await asyncio.wait_for(task, 5)
