"""The in-process buses: memory (embedded mode) and null (tools and tests without listeners)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from store.realtime.bus import RealtimeBus, RealtimeEvent


class MemoryBus(RealtimeBus):
    """In-process fan-out: the embedded mode, where the API and the worker share one process."""

    def __init__(self) -> None:
        super().__init__()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def may_reach_listeners(self) -> bool:
        # Only this process listens: a standalone worker on SQLite has nobody to tell.
        return bool(self._callbacks)

    async def _send(self, event: RealtimeEvent) -> None:
        # Fan out on the loop, not inline, so a slow socket never blocks the producer.
        self._spawn(self._deliver(event))

    async def _send_many(self, events: list[RealtimeEvent]) -> None:
        self._spawn(self._deliver_all(events))  # one task for the lot, in order

    async def _deliver_all(self, events: list[RealtimeEvent]) -> None:
        for event in events:
            await self._deliver(event)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class NullBus(RealtimeBus):
    """Drops every event: for tools and tests that have no listeners."""

    async def _send(self, event: RealtimeEvent) -> None:
        return None

    @property
    def may_reach_listeners(self) -> bool:
        return False
