"""An oversized WebSocket handshake URL is answered 414 URI Too Long at once, before any upgrade.

Every WebSocket endpoint (the Parallels hub, the socket.io inbox, the plain inbox socket) sits behind
this one ASGI middleware. uvicorn's ``websockets`` implementations refuse a request line over 8 KiB
themselves, but ``wsproto`` accepts any length, and below 8 KiB the handshake reaches the application
(authentication, rate limiting) with a URL no client of ours ever needs: a session token, an
``access_token`` and socket.io's few parameters fit in a few hundred bytes. The denial uses the ASGI
WebSocket Denial Response extension (uvicorn supports it), so the client reads a real HTTP 414;
a server without it gets a close before accept, which it answers 403.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_HANDSHAKE_URL_BYTES = 4096
DENIAL = "websocket.http.response"


def handshake_url_bytes(scope: Scope) -> int:
    """The request-target's length as sent: the raw path (or the path) plus ``?`` and the query string."""
    path = scope.get("raw_path") or str(scope.get("path", "")).encode()
    query = scope.get("query_string", b"")
    return len(path) + (len(query) + 1 if query else 0)


class HandshakeUrlGuard:
    """Refuses WebSocket handshakes whose URL is longer than ``limit`` bytes with 414."""

    def __init__(self, app: ASGIApp, limit: int = MAX_HANDSHAKE_URL_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or handshake_url_bytes(scope) <= self.limit:
            await self.app(scope, receive, send)
            return
        await receive()  # websocket.connect
        if DENIAL not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1009, "reason": "handshake URL too long"})
            return
        body = json.dumps({"statusCode": 414, "message": f"URI Too Long: the handshake URL exceeds {self.limit} "
                                                         "bytes", "error": "URI Too Long"}).encode()
        await send({"type": "websocket.http.response.start", "status": 414,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "websocket.http.response.body", "body": body})
