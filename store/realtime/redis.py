"""The Redis backend of the real-time bus: ``PUBLISH clarion:rt`` and one subscribing connection.

Chosen when ``CLARION_REDIS_URL`` is set. Redis has no payload limit worth an outbox. The reader
reconnects with exponential back-off; events published meanwhile are lost (at most once), and the
listeners are told when it is back (``subscribe_resumed``) to re-read what they missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from store.realtime.bus import RealtimeBus, RealtimeEvent

log = logging.getLogger("clarion.realtime")
EVENTS, CONTROL = "clarion:rt", "clarion:ctl"
MAX_BACKOFF_SECONDS = 30.0


class RedisBus(RealtimeBus):
    def __init__(self, url: str, *, client_name: str | None = None) -> None:
        super().__init__()
        self._url = url
        # Named connections (CLIENT LIST) tell an operator which process holds which subscription.
        self._client_name = client_name or f"clarion-{os.getpid()}"
        self._redis: aioredis.Redis | None = None  # the subscription: a loss must be seen, never retried away
        self._publisher: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._listening = False

    @property
    def connected(self) -> bool:
        return self._listening

    async def start(self) -> None:
        self._redis = aioredis.from_url(self._url, client_name=self._client_name)
        # A pooled connection is stale after a Redis restart; a publish retried on a fresh one is not
        # lost after the listeners have already caught up from the database.
        self._publisher = aioredis.from_url(self._url, client_name=self._client_name,
                                            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3))  # fmt: skip
        self._task = asyncio.create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), 10)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for client in (self._redis, self._publisher):
            if client is not None:
                await client.aclose()

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            assert self._redis is not None
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(EVENTS, CONTROL)
                self._listening, failures = True, 0
                self._up.set()
                self._subscription_up()
                async for message in pubsub.listen():
                    await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("real-time Redis subscription lost; reconnecting", exc_info=True)
                self._subscription_lost()
            finally:
                self._listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            failures += 1
            await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.2 * 2**failures))

    async def _handle(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
        try:
            data = json.loads(message["data"])
            if channel == CONTROL:
                await self._deliver_control(data)
            else:
                await self._deliver(RealtimeEvent.from_wire(data))
        except Exception:
            log.warning("real-time message on %s not delivered", channel, exc_info=True)

    async def _publish(self, channel: str, data: dict[str, Any]) -> None:
        if self._publisher is None:
            raise RuntimeError("the Redis bus is not started")
        await self._publisher.publish(channel, json.dumps(data, separators=(",", ":"), default=str))

    async def _send(self, event: RealtimeEvent) -> None:
        await self._publish(EVENTS, event.to_wire())

    async def _send_control(self, body: dict[str, Any]) -> None:
        await self._publish(CONTROL, body)
