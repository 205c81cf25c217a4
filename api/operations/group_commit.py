"""Group commit: per key, one run in flight; what arrives meanwhile runs together in the next one.

A caller that finds its key idle runs alone and at once, so a quiet system waits for nothing; under
load, one run (a workflow start, a store transaction) serves every caller that queued behind the
previous one. Each caller gets its own item's result only once its group's run has finished, and an
error of that run reaches every caller of the group.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Pending(Generic[T, R]):
    item: T
    size: int
    answer: asyncio.Future[R]


@dataclass
class _Lane(Generic[T, R]):
    """One key's callers: whether a run is in flight, and who waits for the next."""

    busy: bool = False
    waiting: list[_Pending[T, R]] = field(default_factory=list)


class GroupCommit(Generic[K, T, R]):
    """``run(key, items)`` answers one result per item, in order."""

    def __init__(
        self, run: Callable[[K, list[T]], Awaitable[Sequence[R]]], *, max_items: int, max_bytes: int = sys.maxsize
    ) -> None:
        self._run = run
        self._max_items, self._max_bytes = max_items, max_bytes
        self._lanes: dict[K, _Lane[T, R]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: K, item: T, size: int = 0) -> R:
        """``item``'s result: run now if ``key`` is idle, else with the next group of ``key``."""
        lane = self._lanes.setdefault(key, _Lane())
        if lane.busy:
            pending: _Pending[T, R] = _Pending(item, size, asyncio.get_running_loop().create_future())
            lane.waiting.append(pending)
            # Shielded: a caller that goes away must not cancel the run of the others in its group.
            return await asyncio.shield(pending.answer)
        lane.busy = True
        try:
            return (await self._run(key, [item]))[0]
        finally:
            self._next(key, lane)

    def _next(self, key: K, lane: _Lane[T, R]) -> None:
        """Run the next group of ``lane``, or mark it idle."""
        if not lane.waiting:
            lane.busy = False
            self._lanes.pop(key, None)
            return
        group: list[_Pending[T, R]] = []
        used = 0
        while lane.waiting and len(group) < self._max_items and (
            not group or used + lane.waiting[0].size <= self._max_bytes
        ):
            group.append(lane.waiting.pop(0))
            used += group[-1].size
        task = asyncio.get_running_loop().create_task(self._run_group(key, lane, group))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_group(self, key: K, lane: _Lane[T, R], group: list[_Pending[T, R]]) -> None:
        try:
            results = list(await self._run(key, [p.item for p in group]))
            if len(results) != len(group):
                raise RuntimeError(f"a group of {len(group)} got {len(results)} result(s)")
        except Exception as exc:  # every caller of the group gets the error its run had
            for p in group:
                if not p.answer.done():
                    p.answer.set_exception(exc)
        except BaseException:
            for p in group:
                p.answer.cancel()
            raise
        else:
            for p, result in zip(group, results, strict=True):
                if not p.answer.done():
                    p.answer.set_result(result)
        finally:
            self._next(key, lane)
