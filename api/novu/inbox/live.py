"""The Inbox's live socket: a socket.io v4 server at ``/socket.io/`` fed from the real-time bus.

A client connects with its session token in the query (``?token=sst_…``) and joins one room,
``<environment>:<subscriberId>``. Every API process subscribes to the bus, so a change made by a
worker, another process or another tab reaches the sockets of this one. Events are rebuilt from
the database before they are emitted (the stored-message shape the client maps, counts by severity),
so what a socket shows is what the HTTP routes answer. When the bus lost its subscription (or the
database could not build an event), the sockets catch up from the database once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import socketio
from sqlalchemy.ext.asyncio import AsyncSession

from api.cors import origin_allowed
from api.novu.inbox.schemas import socket_message
from api.novu.inbox.snooze_wake import RECEIVED, UNREAD, UNSEEN, wake_forever
from core import metrics
from core.settings import Settings
from store import inbox_counts, messages, session_tokens, subscribers, tenancy
from store.engine import Sessions
from store.models import Subscriber
from store.realtime import RealtimeBus, RealtimeEvent

log = logging.getLogger("clarion.inbox.live")
_SEEN_IDS = 4096  # a retried activity repeats its event ids; the last few thousand are remembered
# After the bus lost its subscription, messages created from this long before the loss are re-read:
# a producer's publish may fail a little before the listener notices (clocks of hosts differ too).
CATCH_UP_MARGIN = timedelta(seconds=10)
CATCH_UP_PER_ROOM = 50  # beyond this a socket gets the counts; the Inbox pages the rest in itself
# The label of live-inbox sockets (socket.io and the plain variant) in clarion_websocket_connections.
INBOX_SOCKETS = "inbox"


def room(env: uuid.UUID | str, subscriber_id: str) -> str:
    return f"{env}:{subscriber_id}"


class InboxSockets:
    """The socket.io server of one API process, its bus subscription and its snooze wake-up loop."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Origins are checked per environment at connect (the token names it), so engine.io lets any through.
        self.server = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", logger=False,
                                           engineio_logger=False)  # fmt: skip
        self.asgi = socketio.ASGIApp(self.server, socketio_path="socket.io")
        self._sessions: Sessions | None = None
        self._bus: RealtimeBus | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Messages announced to this process's sockets: a catch-up and a late event never announce one twice.
        self._announced: OrderedDict[str, None] = OrderedDict()
        self._rooms: dict[str, str] = {}  # socket.io session → its room
        self._behind_since: datetime | None = None  # the earliest moment not yet caught up
        self._catching_up: asyncio.Task[None] | None = None
        self.server.on("connect", self._connect)
        self.server.on("disconnect", self._disconnect)
        # Accepted socket.io sessions of this process, so a refused handshake is never counted down.
        self._counted: set[str] = set()
        # Novu's plain-WebSocket ("cloud") clients of this process, by room (api/novu/inbox/plain_socket.py).
        self._plain: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    # ---- connections -------------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        raw = (query.get("token") or [""])[0]
        if not raw and isinstance(auth, dict):
            raw = str(auth.get("token", ""))
        target = await self.authorize(raw, environ.get("HTTP_ORIGIN"))
        if target is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        await self.server.enter_room(sid, target)
        self._rooms[sid] = target
        self._counted.add(sid)
        metrics.WEBSOCKETS.labels(INBOX_SOCKETS).inc()

    async def _disconnect(self, sid: str, *_: Any) -> None:
        self._rooms.pop(sid, None)
        if sid in self._counted:
            self._counted.discard(sid)
            metrics.WEBSOCKETS.labels(INBOX_SOCKETS).dec()

    async def authorize(self, raw: str, origin: str | None) -> str | None:
        """The room of a live subscriber session token whose environment allows ``origin``, else None."""
        if self._sessions is None or not raw.startswith(session_tokens.SUBSCRIBER_PREFIX):
            return None
        async with self._sessions() as session:
            token = await session_tokens.find_live(session=session, raw=raw)
            if token is None or token.subscriber_id is None:
                return None
            env = await tenancy.get_environment(session=session, environment_id=token.environment_id)
        if env is None:
            return None
        if origin and not origin_allowed(origin, [*self._settings.default_cors_origins, *(env.cors_origins or [])]):
            return None
        return room(env.id, token.subscriber_id)

    def has_listeners(self, target: str) -> bool:
        return bool(self.server.manager.rooms.get("/", {}).get(target)) or bool(self._plain.get(target))

    def listening_rooms(self) -> set[str]:
        return {*self._rooms.values(), *self._plain}

    def attach(self, target: str) -> asyncio.Queue[dict[str, Any]]:
        """A queue that gets ``{event, data}`` for every event of the room (a plain WebSocket's feed)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._plain.setdefault(target, set()).add(queue)
        metrics.WEBSOCKETS.labels(INBOX_SOCKETS).inc()
        return queue

    def detach(self, target: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self._plain.get(target, set())
        if queue in queues:
            metrics.WEBSOCKETS.labels(INBOX_SOCKETS).dec()
        queues.discard(queue)
        if not queues:
            self._plain.pop(target, None)

    # ---- bus → sockets -----------------------------------------------------------------------

    async def _on_event(self, event: RealtimeEvent) -> None:
        if event.type not in (RECEIVED, UNSEEN, UNREAD) or not event.sub:
            return
        if not _first(self._seen, event.id):
            return
        target = room(event.env, event.sub)
        if not self.has_listeners(target) or self._sessions is None:
            return
        try:
            built = await self._build(event)
        except Exception:  # the database is unreachable: the catch-up re-reads it once it answers
            log.warning("live inbox event %s not built; catching up later", event.type, exc_info=True)
            self.catch_up_soon(datetime.now(UTC))
            return
        if built is not None:
            if built[0] == "notification_received":  # a catch-up then leaves it out (a wake-up announces it again)
                _first(self._announced, built[1]["message"]["_id"])
            await self.emit(target, *built)

    async def emit(self, target: str, name: str, data: dict[str, Any]) -> None:
        await self.server.emit(name, data, room=target)
        for queue in list(self._plain.get(target, ())):
            if not queue.full():  # a client that stopped reading loses events rather than memory
                queue.put_nowait({"event": name, "data": data})

    async def _build(self, event: RealtimeEvent) -> tuple[str, dict[str, Any]] | None:
        assert self._sessions is not None and event.sub is not None
        env = uuid.UUID(event.env)
        async with self._sessions() as session:
            subscriber = await subscribers.get(session=session, environment_id=env, subscriber_id=event.sub)
            if subscriber is None:
                return None
            if event.type == UNSEEN:
                return await _unseen_frame(session, env, subscriber)
            if event.type == UNREAD:
                return await _unread_frame(session, env, subscriber)
            body = event.body if isinstance(event.body, dict) else {}
            try:
                message_id = uuid.UUID(str(body.get("id") or body.get("messageId")))
            except ValueError:
                return None
            found = await messages.get(session=session, environment_id=env, message_id=message_id,
                                       subscriber_pk=subscriber.id, channel=messages.IN_APP)  # fmt: skip
            if found is None:
                return None
            flows = await messages.workflows(session=session, environment_id=env, messages=[found])
            workflow = flows.get(found.workflow_id) if found.workflow_id else None
            return "notification_received", {"message": socket_message(found, subscriber=subscriber,
                                                                        workflow=workflow)}  # fmt: skip

    # ---- the bus lost its subscription: re-read what its sockets missed -----------------------

    async def _resumed(self, lost_at: datetime) -> None:
        self.catch_up_soon(lost_at)

    def catch_up_soon(self, lost_at: datetime) -> None:
        """Catch up from ``lost_at`` in the background, retrying (0.5 s, doubling to 30 s) while it fails."""
        if self._behind_since is None or lost_at < self._behind_since:
            self._behind_since = lost_at
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.create_task(self._catch_up_until_done())

    async def _catch_up_until_done(self) -> None:
        delay = 0.5
        while self._behind_since is not None:
            await asyncio.sleep(delay)
            lost_at, self._behind_since = self._behind_since, None
            try:
                await self.catch_up(lost_at)
            except Exception:
                log.warning("live inbox catch-up failed; retrying in %.1f s", delay, exc_info=True)
                self._behind_since = min(lost_at, self._behind_since or lost_at)
                delay = min(30.0, delay * 2)

    async def catch_up(self, lost_at: datetime) -> int:
        """Announce to every socket of this process the in-app messages created since shortly before
        the bus lost its subscription and not announced yet, then the fresh counts; the number announced."""
        announced = 0
        for target in self.listening_rooms():
            if self._sessions is None:
                break
            env_text, _, subscriber_id = target.partition(":")
            env = uuid.UUID(env_text)
            async with self._sessions() as session:
                subscriber = await subscribers.get(session=session, environment_id=env, subscriber_id=subscriber_id)
                if subscriber is None:
                    continue
                missed = await messages.created_since(
                    session=session, environment_id=env, subscriber_pk=subscriber.id,
                    since=lost_at - CATCH_UP_MARGIN, limit=CATCH_UP_PER_ROOM,
                )  # fmt: skip
                missed = [m for m in missed if str(m.id) not in self._announced]
                flows = await messages.workflows(session=session, environment_id=env, messages=missed)
                frames = [("notification_received", {"message": socket_message(
                    m, subscriber=subscriber, workflow=flows.get(m.workflow_id) if m.workflow_id else None)})
                    for m in missed]  # fmt: skip
                frames += [await _unseen_frame(session, env, subscriber), await _unread_frame(session, env, subscriber)]
            for name, data in frames:
                if name != "notification_received" or _first(self._announced, data["message"]["_id"]):
                    announced += name == "notification_received"
                    await self.emit(target, name, data)
        if announced:
            log.info("re-announced %d in-app messages published while the real-time bus was down", announced)
        return announced

    @contextlib.asynccontextmanager
    async def running(self, *, sessions: Sessions, bus: RealtimeBus) -> AsyncIterator[None]:
        self._sessions, self._bus = sessions, bus
        unsubscribe = bus.subscribe(self._on_event)
        unsubscribe_resumed = bus.subscribe_resumed(self._resumed)
        waker = asyncio.create_task(wake_forever(sessions, bus))
        try:
            yield
        finally:
            unsubscribe()
            unsubscribe_resumed()
            for task in (waker, self._catching_up):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


def _first(remembered: OrderedDict[str, None], key: str) -> bool:
    """True the first time ``key`` is seen among the last few thousand, which it is then one of."""
    if key in remembered:
        return False
    remembered[key] = None
    if len(remembered) > _SEEN_IDS:
        remembered.popitem(last=False)
    return True


async def _unseen_frame(session: AsyncSession, env: uuid.UUID, subscriber: Subscriber) -> tuple[str, dict[str, Any]]:
    counts = await inbox_counts.unseen_unread(session=session, environment_id=env, subscriber_pks=[subscriber.id])
    return "unseen_count_changed", {"unseenCount": counts[subscriber.id][0], "hasMore": False}


async def _unread_frame(session: AsyncSession, env: uuid.UUID, subscriber: Subscriber) -> tuple[str, dict[str, Any]]:
    severity = await inbox_counts.unread_by_severity(session=session, environment_id=env, subscriber_pk=subscriber.id)
    total = sum(severity.values())
    return "unread_count_changed", {"unreadCount": total, "counts": {"total": total, "severity": severity},
                                    "hasMore": False}  # fmt: skip
