"""The real-time bus: events that cross processes to live sockets and long polls.

``bus`` holds the event and the abstract bus; ``memory`` the in-process buses; ``postgres`` and
``redis`` the cross-process ones, imported only when chosen so neither driver loads otherwise.
"""

from __future__ import annotations

from store.realtime.bus import MAX_INLINE_BYTES, RealtimeBus, RealtimeEvent, event_id_for
from store.realtime.memory import MemoryBus, NullBus

__all__ = [
    "MAX_INLINE_BYTES", "MemoryBus", "NullBus", "RealtimeBus", "RealtimeEvent", "event_id_for", "make_bus",
]


def make_bus(kind: str, *, database_url: str, redis_url: str = "") -> RealtimeBus:
    """The backend of event-apis.md §3.7: ``auto`` is redis when a URL is set, postgres on PostgreSQL, else memory."""
    if kind == "auto":
        kind = "redis" if redis_url else "postgres" if database_url.startswith("postgresql") else "memory"
    if kind == "redis":
        from store.realtime.redis import RedisBus

        return RedisBus(redis_url or "redis://127.0.0.1:6379/0")
    if kind == "postgres":
        from store.realtime.postgres import PostgresBus

        return PostgresBus(database_url)
    return MemoryBus()
