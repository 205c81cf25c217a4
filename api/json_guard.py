"""Checks every JSON request body with the one parser (``api.json_body``) before a route sees it.

FastAPI parses the native routes' bodies itself; this middleware gives those routes the same depth,
surrogate and number checks the other faces get from ``parse_json``, answered in the face's format.
Syntax errors pass through: each face words those itself (and reads the body with the same parser).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.error_handlers import render_error
from api.idempotency import read_body, replaying
from api.json_body import JsonBodyError, keep_parsed, parse_json

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _json_like(scope: Scope) -> bool:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
    # FastAPI parses a body without a Content-Type as JSON too.
    return not content_type or b"json" in content_type or content_type.startswith(b"text/plain")


class JsonGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS or not _json_like(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            body = await read_body(receive)
        except HTTPException as exc:
            # Raised by BodyLimitMiddleware's receive: outside the route, so no handler renders it.
            headers = dict(exc.headers or {})
            await render_error(request, exc.status_code, str(exc.detail), headers=headers)(scope, receive, send)
            return
        if body is None:
            return  # the client left before sending its body
        if body.strip():
            try:
                keep_parsed(scope, body, parse_json(body))
            except JsonBodyError as exc:
                if exc.structural:
                    message = f"The request body {exc.reason}"
                    await render_error(request, 400, message, {"body": exc.reason})(scope, receive, send)
                    return
        await self.app(scope, replaying(body, receive), send)
