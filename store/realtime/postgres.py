"""The PostgreSQL backend of the real-time bus: NOTIFY to publish, one dedicated LISTEN connection.

A NOTIFY payload is limited to 8000 bytes, so a larger event is written to ``realtime_outbox`` and
the notice carries only its ``ref``; listeners read the row (rows older than 5 minutes are purged).
The listening connection reconnects with exponential back-off; events sent while it is down are
lost, which the bus allows (at most once, best effort); listeners are told when it is back
(``subscribe_resumed``) to re-read what they missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from store.realtime.bus import MAX_INLINE_BYTES, RealtimeBus, RealtimeEvent

log = logging.getLogger("clarion.realtime")
EVENTS, CONTROL = "clarion_rt", "clarion_ctl"
OUTBOX_KEEP_SECONDS = 300
MAX_BACKOFF_SECONDS = 30.0


class PostgresBus(RealtimeBus):
    """``schema`` pins the search_path where ``realtime_outbox`` lives (tests use a schema each)."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        super().__init__()
        self._dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        self._settings = {"search_path": schema} if schema else {}
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._inbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._up = asyncio.Event()
        self._closing = False
        self._last_purge = 0.0

    @property
    def connected(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=4, server_settings=self._settings)
        self._tasks = [asyncio.create_task(self._listen_forever()), asyncio.create_task(self._consume())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), 10)

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        if self._pool is not None:
            await self._pool.close()

    async def _listen_forever(self) -> None:
        failures = 0
        while not self._closing:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(self._dsn, server_settings=self._settings)
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(EVENTS, self._on_notice)
                await conn.add_listener(CONTROL, self._on_notice)
                self._listener, failures = conn, 0
                self._up.set()
                self._subscription_up()
                while not lost.is_set():
                    # asyncpg notices a dead socket only on use, so probe it now and then.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), 5)
                    if not lost.is_set():
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("real-time LISTEN connection lost; reconnecting", exc_info=True)
            self._subscription_lost()
            self._listener = None
            failures += 1
            await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.2 * 2**failures))

    def _on_notice(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self._inbox.put_nowait((channel, payload))

    async def _consume(self) -> None:
        """One consumer keeps the events in the order this node received them."""
        while True:
            channel, payload = await self._inbox.get()
            try:
                data = json.loads(payload)
                if "ref" in data:
                    data = await self._fetch(data["ref"])
                    if data is None:
                        continue
                if channel == CONTROL:
                    await self._deliver_control(data)
                else:
                    await self._deliver(RealtimeEvent.from_wire(data))
            except Exception:
                log.warning("real-time notice on %s not delivered", channel, exc_info=True)

    async def _fetch(self, ref: str) -> dict[str, Any] | None:
        assert self._pool is not None
        raw = await self._pool.fetchval("SELECT payload FROM realtime_outbox WHERE id = $1", uuid.UUID(ref))
        if raw is None:
            return None
        loaded: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
        return loaded

    async def _notify(self, channel: str, data: dict[str, Any]) -> None:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL bus is not started")
        text = json.dumps(data, separators=(",", ":"), default=str)
        async with self._pool.acquire() as conn:
            if len(text.encode()) > MAX_INLINE_BYTES:
                ref = uuid.uuid4()
                await conn.execute(
                    "INSERT INTO realtime_outbox (id, payload, created_at) VALUES ($1, $2::jsonb, now())", ref, text
                )
                text = json.dumps({"ref": str(ref)})
                await self._purge(conn)
            await conn.execute("SELECT pg_notify($1, $2)", channel, text)

    async def _purge(self, conn: asyncpg.Connection) -> None:
        if time.monotonic() - self._last_purge < 60:
            return
        self._last_purge = time.monotonic()
        await conn.execute(
            f"DELETE FROM realtime_outbox WHERE created_at < now() - interval '{OUTBOX_KEEP_SECONDS} seconds'"
        )

    async def _send(self, event: RealtimeEvent) -> None:
        await self._notify(EVENTS, event.to_wire())

    async def _send_control(self, body: dict[str, Any]) -> None:
        await self._notify(CONTROL, body)
