"""The Redis bus across a lost connection: a publish is retried on a fresh one, a lost subscription is told."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import redis.asyncio as aioredis

from store.realtime import RealtimeEvent
from store.realtime.redis import RedisBus

REDIS_URL = "redis://127.0.0.1:6379/0"


async def kill_clients(name: str, kind: str) -> int:
    """Close, from the Redis side, the ``kind`` ("normal" or "pubsub") connections named ``name``."""
    admin = aioredis.from_url(REDIS_URL)
    try:
        ids = [c["id"] for c in await admin.client_list(_type=kind) if c.get("name") == name]
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
        return len(ids)
    finally:
        await admin.aclose()


async def test_a_publish_on_a_connection_redis_closed_is_not_lost() -> None:
    name = f"clarion-test-{uuid.uuid4().hex[:8]}"
    bus = RedisBus(REDIS_URL, client_name=name)
    heard: list[RealtimeEvent] = []
    resumed: list[datetime] = []

    async def listen(event: RealtimeEvent) -> None:
        heard.append(event)

    async def told(lost_at: datetime) -> None:
        resumed.append(lost_at)

    bus.subscribe(listen)
    bus.subscribe_resumed(told)
    await bus.start()
    env = uuid.uuid4()
    try:
        await bus.publish(env, "probe", {"n": 1}, message="PROBE")  # the publisher's pooled connection exists
        assert await kill_clients(name, "normal") == 1  # as a Redis restart leaves it: closed under the pool
        await bus.publish(env, "probe", {"n": 2}, message="PROBE")
        assert await kill_clients(name, "pubsub") == 1
        for _ in range(100):
            if resumed and {e.body["n"] for e in heard if e.env == str(env)} == {1, 2}:
                break
            await asyncio.sleep(0.05)
    finally:
        await bus.close()
    assert sorted(e.body["n"] for e in heard if e.env == str(env)) == [1, 2]
    assert len(resumed) == 1
