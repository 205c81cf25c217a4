"""CORS for browsers on other origins: the settings' default origins plus each environment's own list.

A preflight carries no credential, so it is answered for any origin some environment allows (or the
default list does). The actual request then names its environment: the Inbox routes check the
origin against that environment's list (``origin_allowed``) and refuse a foreign one with a 403.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store import inbox_sessions
from store.engine import Sessions

METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
MAX_AGE_SECONDS = "600"
REFRESH_SECONDS = 5.0  # an origin added to an environment is honoured by preflights within this long


def origin_allowed(origin: str, allowed: Iterable[str]) -> bool:
    wanted = origin.rstrip("/").lower()
    return any(a == "*" or a.rstrip("/").lower() == wanted for a in allowed)


class CorsMiddleware:
    def __init__(self, app: ASGIApp, *, defaults: list[str], sessions: Callable[[], Sessions | None]) -> None:
        self.app = app
        self._defaults = defaults
        self._sessions = sessions
        self._known: set[str] = set()
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _environment_origins(self) -> set[str]:
        if time.monotonic() - self._loaded_at < REFRESH_SECONDS:
            return self._known
        async with self._lock:
            sessions = self._sessions()
            if sessions is not None and time.monotonic() - self._loaded_at >= REFRESH_SECONDS:
                async with sessions() as session:
                    self._known = await inbox_sessions.all_cors_origins(session=session)
                self._loaded_at = time.monotonic()
        return self._known

    async def allowed(self, origin: str) -> bool:
        return origin_allowed(origin, self._defaults) or origin_allowed(origin, await self._environment_origins())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if not origin:
            await self.app(scope, receive, send)
            return
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        ok = await self.allowed(origin)
        if preflight:
            response: Response
            if not ok:
                response = PlainTextResponse("Origin not allowed", status_code=403, headers={"Vary": "Origin"})
            else:
                response = Response(status_code=204, headers={
                    "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": METHODS,
                    "Access-Control-Allow-Headers": headers.get("access-control-request-headers", "*"),
                    "Access-Control-Max-Age": MAX_AGE_SECONDS, "Vary": "Origin",
                })  # fmt: skip
            await response(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.add_vary_header("Origin")
                if ok:
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Expose-Headers"] = "X-Request-Id, Retry-After"
            await send(message)

        await self.app(scope, receive, with_cors)
