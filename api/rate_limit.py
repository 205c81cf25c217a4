"""The per-credential rate limit over every dialect route (event-apis.md §0.7), as pure ASGI middleware.

The count lives in memory, per API process: with N API processes behind a balancer a credential may
make up to N x the limit. That keeps the hot path free of database writes; a shared limit would need
the database or Redis on every request, which costs more than the protection is worth here.

Pure ASGI rather than ``BaseHTTPMiddleware`` so WebSocket handshakes are counted (and refused) too:
a refused handshake gets the 429 as a denial response, or on servers without that extension an
accepted socket closed at once with 4029 (the 4000 + status pattern of event-apis.md §3.5).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from typing import cast

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from api.auth import credential_from
from api.error_handlers import render_error

WINDOW_SECONDS = 60.0
CLOSE_RATE_LIMITED = 4029


class SlidingWindow:
    """At most ``limit`` hits per key in any ``window`` seconds (a log of hit times per key)."""

    def __init__(self, limit: int, *, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[bytes, deque[float]] = {}
        self._next_sweep = clock() + window

    def hit(self, key: bytes) -> float:
        """Count one hit and return 0.0, or refuse it and return the seconds until a slot frees."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window - now
        hits.append(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        # Keys idle for a whole window hold nothing worth keeping; dropping them bounds the memory.
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
        self._next_sweep = now + self.window


def _credential(scope: Scope) -> str | None:
    connection = HTTPConnection(scope)
    request = cast(Request, connection)  # credential_from reads only the headers, which a socket has too
    if scope["type"] == "websocket":  # the socket's own carrier wins, as in the handshake (event-apis.md §0.3)
        return connection.query_params.get("access_token") or credential_from(request)
    return credential_from(request)


class RateLimitMiddleware:
    """Counts each dialect request (or handshake) against the SHA-256 of its credential; 429 when over."""

    def __init__(self, app: ASGIApp, *, limit_per_minute: int) -> None:
        self.app = app
        self.window = SlidingWindow(limit_per_minute) if limit_per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.window is None
            or scope["type"] not in ("http", "websocket")
            or not scope["app"].state.faces.for_path(scope["path"]).rate_limited
        ):
            await self.app(scope, receive, send)
            return
        # No credential means a 401 without a key look-up, so there is nothing to protect or count.
        credential = _credential(scope)
        wait = self.window.hit(hashlib.sha256(credential.encode()).digest()) if credential else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, receive, send, max(1, math.ceil(wait)))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, retry_after: int) -> None:
        limit = self.window.limit if self.window else 0
        message = f"Rate limit of {limit} requests per minute exceeded; retry in {retry_after} s"
        headers = {"Retry-After": str(retry_after)}
        if scope["type"] == "http":
            await render_error(Request(scope), 429, message, headers=headers)(scope, receive, send)
            return
        websocket = WebSocket(scope, receive, send)
        if "websocket.http.response" in scope.get("extensions", {}):
            response = render_error(cast(Request, websocket), 429, message, headers=headers)
            await websocket.send_denial_response(response)
            return
        await websocket.accept()
        await websocket.close(CLOSE_RATE_LIMITED, "rate limited")
