"""``/metrics`` for Prometheus, and the middleware that counts every HTTP request by route template."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SettingsDep
from core import metrics

router = APIRouter(tags=["observability"])
# Requests no route matched are counted under one label, so scanners cannot grow the label set.
UNMATCHED = "<unmatched>"


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def scrape(settings: SettingsDep, authorization: Annotated[str, Header()] = "") -> Response:
    """Prometheus metrics of this process (of every process sharing ``PROMETHEUS_MULTIPROC_DIR``);
    with ``CLARION_OBSERVABILITY__METRICS_TOKEN`` set, only for ``Authorization: Bearer <token>``."""
    token = settings.observability.metrics_token.get_secret_value()
    if token and not secrets.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        raise HTTPException(401, "Metrics need the bearer token of CLARION_OBSERVABILITY__METRICS_TOKEN")
    return Response(generate_latest(metrics.registry()), media_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware:
    """Counts requests and their latency by the route template FastAPI matched (``/v1/subscribers/{id}``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app is answered as a 500 by the server

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
            metrics.HTTP_LATENCY.labels(route, method).observe(time.perf_counter() - started)
