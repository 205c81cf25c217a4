"""Long-poll consumers waiting on a topic, woken by this process's publishes and by the real-time bus.

A publish in this process wakes its waiters directly; one in another process arrives as a
``stream.message.published`` event on the bus (PostgreSQL LISTEN/NOTIFY or Redis in production).
Waiters also re-read the database every second, so a bus that is down only adds latency.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from store.realtime import RealtimeBus, RealtimeEvent

STREAM_EVENT = "stream.message.published"


class StreamWaiters:
    """topic id → the events of the consumers waiting on it in this process."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = defaultdict(set)

    @contextmanager
    def waiting(self, topic_id: int) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiting[topic_id].add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(topic_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[topic_id]

    def waiting_on(self, topic_id: int) -> int:
        """How many consumers of this process wait on the topic now."""
        return len(self._waiting.get(topic_id, ()))

    def wake(self, topic_id: int) -> None:
        for event in self._waiting.get(topic_id, ()):
            event.set()

    async def on_bus_event(self, event: RealtimeEvent) -> None:
        if event.type == STREAM_EVENT and isinstance(event.body, dict):
            topic_id = event.body.get("topic_id")
            if isinstance(topic_id, int):
                self.wake(topic_id)


def waiters_of(app: Any) -> StreamWaiters:
    """The app's waiters, subscribed to its bus on first use (so the app factory needs no wiring)."""
    waiters: StreamWaiters | None = getattr(app.state, "stream_waiters", None)
    if waiters is None:
        waiters = app.state.stream_waiters = StreamWaiters()
        bus: RealtimeBus | None = getattr(getattr(app.state, "services", None), "bus", None)
        if bus is not None:
            bus.subscribe(waiters.on_bus_event)
    return waiters
