"""The hub of one API node: routes bus events to local sockets, keeps the registry, checks credentials.

Each event is serialised once and offered to the queues of the matching sockets; the index is
environment → subscription (a type, ``prefix.*`` or ``*``) → client ids, so routing costs a few
dictionary look-ups per event, whatever the number of sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any

from api.parallels.hub import catalogue
from api.parallels.hub.client import HubClient, frame
from core import metrics
from core.settings import HubSettings
from store import ws_clients
from store.base import utcnow
from store.engine import Sessions
from store.models import WsClient
from store.realtime import MemoryBus, RealtimeBus, RealtimeEvent

log = logging.getLogger("clarion.hub")
DEDUPE_SECONDS = 300.0
_SUB_TYPES = frozenset(catalogue.OWN)


class Hub:
    def __init__(self, *, bus: RealtimeBus, sessions: Sessions, settings: HubSettings) -> None:
        self.bus, self.sessions, self.settings = bus, sessions, settings
        self.node = uuid.uuid4().hex[:16]
        self.started_at: datetime = utcnow()
        self.clients: dict[str, HubClient] = {}
        self._index: dict[uuid.UUID, dict[str, set[str]]] = {}
        self._seen: OrderedDict[str, float] = OrderedDict()
        # Totals of sockets already closed, per environment: (messages sent, messages dropped).
        self._closed: dict[uuid.UUID, tuple[int, int]] = {}
        # The registry is shared through the database unless the bus is in-process (one node).
        self.shared = not isinstance(bus, MemoryBus)
        self.draining = False
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: list[Any] = []

    @property
    def ready(self) -> bool:
        return not self.draining and self.bus.connected

    async def start(self) -> None:
        self._unsubscribe = [self.bus.subscribe(self.on_event), self.bus.subscribe_control(self.on_control)]
        self._tasks = [asyncio.create_task(self._loop(self.settings.credential_check_seconds, self._check_credentials)),
                       asyncio.create_task(self._loop(min(1.0, self.settings.write_timeout_seconds / 4),
                                                      self._stalled))]
        if self.shared:
            self._tasks.append(asyncio.create_task(self._loop(self.settings.registry_refresh_seconds, self._refresh)))

    async def close(self) -> None:
        self.draining = True
        for stop in self._unsubscribe:
            stop()
        for client in list(self.clients.values()):
            client.close(1001)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.shared:
            with contextlib.suppress(Exception):
                async with self.sessions() as session, session.begin():
                    await ws_clients.replace_node(session=session, node=self.node, rows=[])

    # -- clients -----------------------------------------------------------------------------

    def count_for(self, credential: uuid.UUID) -> int:
        return sum(1 for c in self.clients.values() if c.credential == credential and c.close_code is None)

    async def add(self, client: HubClient) -> None:
        self.clients[client.id] = client
        metrics.WEBSOCKETS.labels(client.kind).inc()
        self._reindex(client, [], client.subscriptions)
        await self._write(client)

    async def remove(self, client: HubClient) -> None:
        if self.clients.pop(client.id, None) is None:
            return
        metrics.WEBSOCKETS.labels(client.kind).dec()
        self._reindex(client, client.subscriptions, [])
        sent, dropped = self._closed.get(client.environment_id, (0, 0))
        self._closed[client.environment_id] = (sent + client.messages_sent, dropped + client.dropped)
        if self.shared:
            with contextlib.suppress(Exception):
                async with self.sessions() as session, session.begin():
                    await ws_clients.remove(session=session, client_id=client.id)

    def unsubscribe_local(self, client: HubClient, types: list[str]) -> None:
        remaining = [s for s in client.subscriptions if s not in types or s == catalogue.GLOBAL]
        self._reindex(client, client.subscriptions, remaining)
        client.subscriptions = remaining

    def _reindex(self, client: HubClient, old: list[str], new: list[str]) -> None:
        by_type = self._index.setdefault(client.environment_id, {})
        for sub in old:
            ids = by_type.get(sub)
            if ids is not None:
                ids.discard(client.id)
                if not ids:
                    del by_type[sub]
        for sub in new:
            by_type.setdefault(sub, set()).add(client.id)

    async def _write(self, client: HubClient) -> None:
        if not self.shared:
            return
        async with self.sessions() as session, session.begin():
            await ws_clients.put(session=session, node=self.node, row=client.row(self.started_at))

    # -- the bus -----------------------------------------------------------------------------

    def _duplicate(self, event_id: str) -> bool:
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return True
        self._seen[event_id] = now + DEDUPE_SECONDS
        return False

    async def on_event(self, event: RealtimeEvent) -> None:
        env = _environment(event.env)
        by_type = self._index.get(env) if env is not None else None
        if not by_type or self._duplicate(event.id):
            return
        kind = event.type.lower()
        if event.message == "EVENT_PUBLISHED" and catalogue.is_reserved(kind):
            log.warning("event type %r collides with a reserved hub name; not sent", event.type)
            return
        targets: set[str] = set()
        for key in catalogue.lookup_keys(kind):
            targets |= by_type.get(key, set())
        if not targets:
            return
        text = frame(kind, event.message, event.body, frame_id=event.id, timestamp=event.ts or None)
        for client_id in targets:
            client = self.clients.get(client_id)
            if client is None or client.close_code is not None:
                continue
            if client.subscriber_id is not None and not _for_subscriber(client.subscriber_id, kind, event):
                continue
            client.deliver(text)

    async def on_control(self, body: dict[str, Any]) -> None:
        client = self.clients.get(str(body.get("client_id")))
        if client is None or body.get("node") != self.node:
            return
        if body.get("op") == "unsubscribe":
            self.unsubscribe_local(client, [str(t) for t in body.get("event_types") or []])
        elif body.get("op") == "close":
            client.close(int(body.get("code") or 1000))

    # -- background work ---------------------------------------------------------------------

    async def _loop(self, every: float, job: Any) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await job()
            except Exception:
                log.warning("hub housekeeping failed", exc_info=True)

    async def _stalled(self) -> None:
        """Close (1011) every socket whose current frame has waited longer than the write timeout: a
        client that stopped reading would otherwise hold its writer and its queue forever."""
        limit = asyncio.get_running_loop().time() - self.settings.write_timeout_seconds
        for client in list(self.clients.values()):
            since = client.sending_since
            if since is not None and since < limit and client.close_code is None:
                client.close(1011, "write timeout")
                if client.writer is not None:
                    client.writer.cancel()

    async def _refresh(self) -> None:
        rows = [c.row(self.started_at) for c in self.clients.values()]
        async with self.sessions() as session, session.begin():
            await ws_clients.replace_node(session=session, node=self.node, rows=rows)

    async def _check_credentials(self) -> None:
        """Close sockets whose key or token was revoked or expired (or whose subscriber is gone) with 4001."""
        live: list[HubClient] = [c for c in self.clients.values() if c.close_code is None]
        if not live:
            return
        async with self.sessions() as session:
            for client in live:
                if client.subscriber_id is not None:
                    ok = await ws_clients.subscriber_token_is_live(
                        session=session, token_id=client.credential, environment_id=client.environment_id,
                        subscriber_id=client.subscriber_id,
                    )
                else:
                    ok = await ws_clients.key_is_live(session=session, key_id=client.credential)
                if not ok:
                    client.close(4001)

    # -- listings ----------------------------------------------------------------------------

    async def listing(self, environment_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every socket of the environment on every live node (this node's figures are the freshest)."""
        mine = [c.view(self.node) for c in self.clients.values() if c.environment_id == environment_id]
        if not self.shared:
            return mine
        async with self.sessions() as session:
            rows = await ws_clients.list_for(session=session, environment_id=environment_id)
        return mine + [_row_view(r) for r in rows if r.node != self.node]

    async def find(self, client_id: str) -> tuple[uuid.UUID, str, str, list[str]] | None:
        """(environment, owner, node, subscriptions) of a socket on any node."""
        if (client := self.clients.get(client_id)) is not None:
            return client.environment_id, client.owner, self.node, list(client.subscriptions)
        if not self.shared:
            return None
        async with self.sessions() as session:
            row = await ws_clients.get(session=session, client_id=client_id)
        return None if row is None else (row.environment_id, row.owner, row.node, list(row.subscriptions))

    async def unsubscribe(self, client_id: str, node: str, types: list[str], remaining: list[str]) -> None:
        if (client := self.clients.get(client_id)) is not None:
            self.unsubscribe_local(client, types)
            return
        async with self.sessions() as session, session.begin():
            await ws_clients.set_subscriptions(session=session, client_id=client_id, subscriptions=remaining)
        await self.bus.control({"op": "unsubscribe", "client_id": client_id, "node": node, "event_types": types})

    async def stats(self, environment_id: uuid.UUID) -> dict[str, Any]:
        clients = await self.listing(environment_id)
        type_stats: dict[str, int] = {}
        for c in clients:
            for sub in c["event_subscriptions"]:
                type_stats[sub] = type_stats.get(sub, 0) + 1
        sent, dropped = self._closed.get(environment_id, (0, 0))
        uptime = int((utcnow() - self.started_at).total_seconds())
        hours, rest = divmod(uptime, 3600)
        return {
            "total_clients": len(clients), "total_subscriptions": sum(type_stats.values()), "type_stats": type_stats,
            "clients": clients, "messages_sent": sent + sum(c["messages_sent"] for c in clients),
            "messages_dropped": dropped + sum(c["dropped"] for c in clients),
            "start_time": self.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "uptime": f"{hours}h{rest // 60}m{rest % 60}s", "uptime_seconds": uptime,
        }


@functools.lru_cache(maxsize=4096)
def _environment(text: str) -> uuid.UUID | None:
    """The environment an event names (parsed once per environment, not once per event)."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _for_subscriber(subscriber_id: str, kind: str, event: RealtimeEvent) -> bool:
    """A subscriber socket gets only its own events, and of messages only in-app ones (§3.4)."""
    if kind not in _SUB_TYPES or event.sub != subscriber_id:
        return False
    return not kind.startswith("message.") or event.ch == "in_app"


def _row_view(row: WsClient) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    return {
        "id": row.client_id, "user_id": row.owner, "username": row.username, "connected_at": iso(row.connected_at),
        "last_ping_at": iso(row.last_ping_at), "last_pong_at": iso(row.last_pong_at),
        "event_subscriptions": list(row.subscriptions), "is_alive": True, "queue_depth": row.queue_depth,
        "dropped": row.dropped, "messages_sent": row.messages_sent, "node": row.node,
    }
