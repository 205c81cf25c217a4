"""The real-time bus: producers publish events, every API process fans them out to its sockets.

One interface for every backend (shared/event-apis.md §3.7). Producers (API routes, activities)
publish only after their database transaction has committed. Delivery is at most once, best
effort: durable reading is what the inbox API and the event streams are for. A listener told that a
lost subscription is back (``subscribe_resumed``) can re-read what it missed from the database, as
the Inbox's sockets do (api/novu/inbox/live.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

log = logging.getLogger("clarion.realtime")


def event_id_for(key: str) -> str:
    """32 hex characters derived from an idempotency key, so a retried producer repeats its id."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RealtimeEvent(NamedTuple):
    """One event on the bus: ``sub`` and ``ch`` let subscriber sockets filter their own events.

    A tuple, not a frozen dataclass: a batch publish builds one per message, and a frozen dataclass
    sets each field through ``object.__setattr__``."""

    id: str
    env: str
    type: str
    message: str
    body: Any
    sub: str | None = None
    ch: str | None = None
    ts: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"v": 1, "id": self.id, "env": self.env, "type": self.type, "sub": self.sub, "ch": self.ch,
                "ts": self.ts, "message": self.message, "body": self.body}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> RealtimeEvent:
        return cls(id=str(data["id"]), env=str(data["env"]), type=str(data["type"]), message=str(data["message"]),
                   body=data.get("body"), sub=data.get("sub"), ch=data.get("ch"), ts=str(data.get("ts") or ""))


Callback = Callable[[RealtimeEvent], Awaitable[None]]
# Control messages between API nodes ({op, client_id, node, ...}), e.g. an unsubscribe for a remote socket.
ControlCallback = Callable[[dict[str, Any]], Awaitable[None]]
# Told when a lost subscription is back, with when it was lost: events published in between never arrive.
ResumedCallback = Callable[[datetime], Awaitable[object]]
# Payloads of the NOTIFY and PUBLISH channels (event-apis.md §3.7) are this JSON.
MAX_INLINE_BYTES = 7900


class RealtimeBus(ABC):
    """Publish events; subscribers (each API process's hub) get every event of every environment."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._control_callbacks: list[ControlCallback] = []
        self._resumed_callbacks: list[ResumedCallback] = []
        self._lost_at: datetime | None = None
        self._catching_up: set[asyncio.Task[None]] = set()

    async def publish(
        self,
        env: uuid.UUID | str,
        type: str,
        body: Any,
        *,
        message: str,
        subscriber_id: str | None = None,
        channel: str | None = None,
        event_id: str | None = None,
    ) -> None:
        event = RealtimeEvent(id=event_id or uuid.uuid4().hex, env=str(env), type=type, message=message,
                              body=body, sub=subscriber_id, ch=channel, ts=_now())
        try:
            await self._send(event)
        except Exception:  # the bus is best effort: a producer never fails because of it
            log.warning("real-time event %s not published", type, exc_info=True)

    async def publish_many(self, env: uuid.UUID | str, type: str, items: Sequence[tuple[str, Any]], *,
                           message: str) -> None:
        """Several events of one type, each ``(event_id, body)``, stamped together and sent in order."""
        ts, env_text = _now(), str(env)
        events = [RealtimeEvent(id=event_id, env=env_text, type=type, message=message, body=body, ts=ts)
                  for event_id, body in items]
        try:
            await self._send_many(events)
        except Exception:  # best effort, as ``publish``
            log.warning("%d real-time event(s) %s not published", len(events), type, exc_info=True)

    async def _send_many(self, events: list[RealtimeEvent]) -> None:
        for event in events:
            await self._send(event)

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def subscribe_control(self, callback: ControlCallback) -> Callable[[], None]:
        self._control_callbacks.append(callback)
        return lambda: self._control_callbacks.remove(callback) if callback in self._control_callbacks else None

    def subscribe_resumed(self, callback: ResumedCallback) -> Callable[[], None]:
        """``callback(lost_at)`` runs each time the subscription is back after a loss, so a listener can
        re-read from the database what was published while nobody listened (delivery stays best effort)."""
        self._resumed_callbacks.append(callback)
        return lambda: self._resumed_callbacks.remove(callback) if callback in self._resumed_callbacks else None

    def _subscription_lost(self) -> None:
        """Backends call this when their listening connection fails; the earliest loss of an outage counts."""
        if self._lost_at is None:
            self._lost_at = datetime.now(UTC)

    def _subscription_up(self) -> None:
        """Backends call this once listening again; the listeners catch up in a task of their own."""
        lost_at, self._lost_at = self._lost_at, None
        if lost_at is None or not self._resumed_callbacks:
            return
        task = asyncio.get_running_loop().create_task(self._tell_resumed(lost_at))
        self._catching_up.add(task)
        task.add_done_callback(self._catching_up.discard)

    async def _tell_resumed(self, lost_at: datetime) -> None:
        for callback in list(self._resumed_callbacks):
            try:
                await callback(lost_at)
            except Exception:
                log.warning("catching up after a lost real-time subscription failed", exc_info=True)

    async def control(self, body: dict[str, Any]) -> None:
        """Send a control message to every node (best effort, like events)."""
        try:
            await self._send_control(body)
        except Exception:
            log.warning("control message %s not published", body.get("op"), exc_info=True)

    async def _send_control(self, body: dict[str, Any]) -> None:
        await self._deliver_control(body)

    async def _deliver_control(self, body: dict[str, Any]) -> None:
        for callback in list(self._control_callbacks):
            try:
                await callback(body)
            except Exception:
                log.warning("control subscriber failed on %s", body.get("op"), exc_info=True)

    async def _deliver(self, event: RealtimeEvent) -> None:
        for callback in list(self._callbacks):
            try:
                await callback(event)
            except Exception:
                log.warning("real-time subscriber failed on %s", event.type, exc_info=True)

    @abstractmethod
    async def _send(self, event: RealtimeEvent) -> None: ...

    async def start(self) -> None:  # noqa: B027 - only listening backends connect
        """Connect (listening backends); the in-process bus has nothing to do."""

    async def close(self) -> None:  # noqa: B027
        """Disconnect."""

    @property
    def connected(self) -> bool:
        return True

    @property
    def may_reach_listeners(self) -> bool:
        """False when nothing could ever receive an event, so producers can skip building them."""
        return True
