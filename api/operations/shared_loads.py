"""One load per key at a time: callers that miss a cache together share the first caller's load.

The API's caches (keys, workflow definitions) expire every few seconds. Under a burst of
concurrent requests, every request in flight used to miss at the same moment and each ran the same
queries (32 concurrent triggers: 32 identical look-ups every expiry, a quarter of the API's CPU per
trigger). The first miss now loads; the others wait for its value. If that load fails or its
request is cancelled, each waiter loads for itself, so one caller's trouble is never another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedLoads(Generic[K, V]):
    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def load(self, key: K, loader: Callable[[], Awaitable[V]]) -> V:
        """``loader()``'s value, or the value of the load of ``key`` already under way."""
        running = self._running.get(key)
        if running is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this caller was cancelled, not the load it waited for
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await loader()
        except BaseException:
            future.cancel()  # the waiters load for themselves
            raise
        finally:
            if self._running.get(key) is future:
                del self._running[key]
        future.set_result(value)
        return value
