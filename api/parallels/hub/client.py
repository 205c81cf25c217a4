"""One connected socket: who owns it, what it subscribed to, and its bounded outbound queue."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.parallels.hub import eager
from store.base import utcnow


def now_text() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def frame(event_type: str, message: str, body: Any = None, *, client_id: str | None = None,
          ref_id: str | None = None, frame_id: str | None = None, timestamp: str | None = None) -> str:
    """The envelope of every server → client frame (event-apis.md §3.3), serialised once."""
    out: dict[str, Any] = {"id": frame_id or uuid.uuid4().hex}
    if ref_id is not None:
        out["ref_id"] = ref_id
    out |= {"event_type": event_type, "timestamp": timestamp or now_text(), "message": message}
    if body is not None:
        out["body"] = body
    if client_id is not None:
        out["client_id"] = client_id
    return json.dumps(out, separators=(",", ":"), default=str)


@dataclass
class HubClient:
    """``credential`` counts sockets per key or token; ``owner`` decides who may change this socket."""

    environment_id: uuid.UUID
    owner: str
    username: str
    credential: uuid.UUID
    kind: str
    subscriber_id: str | None
    subscriptions: list[str]
    queue_size: int
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    connected_at: datetime = field(default_factory=utcnow)
    last_ping_at: datetime | None = None
    last_pong_at: datetime | None = None
    dropped: int = 0
    dropped_since_notice: int = 0
    messages_sent: int = 0
    close_code: int | None = None
    close_reason: str = ""
    queue: deque[str] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None
    sending_since: float | None = None  # the loop time the frame being written was handed to the socket
    # The socket's send (set once the writer runs), and a send begun by ``deliver`` that had to wait.
    send: Callable[[str], Coroutine[Any, Any, None]] | None = None
    in_flight: asyncio.Future[None] | None = None

    def offer(self, text: str) -> None:
        """Queue a frame; a full queue drops its oldest frame and counts it."""
        if len(self.queue) >= self.queue_size:
            self.queue.popleft()
            self.dropped += 1
            self.dropped_since_notice += 1
        self.queue.append(text)
        self.wake.set()

    def deliver(self, text: str) -> None:
        """Send ``text`` now when the writer is idle and nothing waits before it, else queue it.

        A send that has to wait (the socket's buffer is full) goes on in a task the writer waits for,
        so this never blocks; anything delivered meanwhile queues behind it, in order."""
        idle = self.sending_since is None and self.in_flight is None and not self.queue
        if not idle or self.send is None or self.close_code is not None:
            self.offer(text)
            return
        rest: asyncio.Future[None] | None
        try:
            rest = eager.start(self.send(text))
        except Exception as exc:  # the socket is gone: the writer ends on it, as on a send of its own
            rest = asyncio.get_running_loop().create_future()
            rest.set_exception(exc)
        if rest is None:
            self.messages_sent += 1
            return
        self.in_flight, self.sending_since = rest, asyncio.get_running_loop().time()
        self.wake.set()

    def close(self, code: int, reason: str = "") -> None:
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason[:120]  # a close frame's reason is at most 123 bytes
        self.wake.set()

    def view(self, node: str) -> dict[str, Any]:
        """One entry of ``GET /api/v1/ws/clients``."""
        return {
            "id": self.id, "user_id": self.owner, "username": self.username,
            "connected_at": _iso(self.connected_at), "last_ping_at": _iso(self.last_ping_at),
            "last_pong_at": _iso(self.last_pong_at), "event_subscriptions": list(self.subscriptions),
            "is_alive": self.close_code is None, "queue_depth": len(self.queue), "dropped": self.dropped,
            "messages_sent": self.messages_sent, "node": node,
        }

    def row(self, node_started_at: datetime) -> dict[str, Any]:
        """The registry row (store/ws_clients.py) of this socket."""
        return {
            "client_id": self.id, "environment_id": self.environment_id, "owner": self.owner,
            "username": self.username, "subscriptions": list(self.subscriptions), "connected_at": self.connected_at,
            "last_ping_at": self.last_ping_at, "last_pong_at": self.last_pong_at, "queue_depth": len(self.queue),
            "dropped": self.dropped, "messages_sent": self.messages_sent, "node_started_at": node_started_at,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
