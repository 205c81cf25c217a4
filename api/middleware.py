"""Pure ASGI middleware: request ids, ``//v1`` paths, and body size limits before parsing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from fastapi import HTTPException
from opentelemetry import trace
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.error_handlers import render_error
from core import log_context

_SLASHES = re.compile(r"/{2,}")


class RequestIdMiddleware:
    """Gives every request an ``X-Request-Id`` (kept when the client sent one), and with tracing on an
    ``X-Trace-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming[:128] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        # novu 1.14 builds url + "/v1/...", so a base URL with a trailing slash yields //v1.
        path = scope.get("path", "")
        if "//" in path:
            scope["path"] = _SLASHES.sub("/", path)
            scope["raw_path"] = scope["path"].encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                if (span := trace.get_current_span().get_span_context()).is_valid:
                    headers["X-Trace-Id"] = format(span.trace_id, "032x")  # find the trace in Jaeger/Tempo
            await send(message)

        with log_context.scope(requestId=request_id):
            # A socket's frames skip the wrapper: it acts only on an HTTP response's start, and a hub
            # socket sends thousands of frames through it.
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)


class BodyLimitMiddleware:
    """Refuses bodies over the limit of their route with a 413, declared or streamed."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body reads; anything else becomes a 400.
                    raise HTTPException(413, f"Request body is larger than the limit of {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = render_error(Request(scope), 413, f"Request body is larger than the limit of {limit} bytes")
        await response(scope, receive, send)
