"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from temporalio.client import Client

from api import health
from api.auth import KeyCache
from api.bitcaster.face import FACE as BITCASTER
from api.cors import CorsMiddleware
from api.error_handlers import install_error_handlers
from api.faces import Face, FaceRouter, FaceTable
from api.idempotency import IdempotencyMiddleware
from api.json_guard import JsonGuardMiddleware
from api.metrics import HttpMetricsMiddleware
from api.metrics import router as metrics_router
from api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from api.novu.face import FACE as NOVU
from api.novu.inbox.live import InboxSockets
from api.novu.trigger_planning import Triggers
from api.operations.publishing import Publisher
from api.operations.workflow_cache import WorkflowCache
from api.parallels.face import FACE as PARALLELS
from api.qala.face import FACE as QALA
from api.rate_limit import RateLimitMiddleware
from api.resources import open_resources
from api.workato.common import MAX_BATCH_BODY_BYTES
from api.workato.face import FACE as WORKATO
from api.ws_guard import HandshakeUrlGuard
from channels import ChannelRegistry
from core.settings import Settings
from store.crypto import CredentialCipher
from store.engine import Sessions
from store.realtime import RealtimeBus
from templates.renderer import TemplateRenderer

# Every dialect the API speaks, in the order their routers are included; a new dialect is one
# package with a ``FACE`` record plus one entry here (api/faces.py).
FACES: tuple[Face, ...] = (QALA, PARALLELS, NOVU, WORKATO, BITCASTER)

DESCRIPTION = """Clarion turns events into durable notification workflows on Temporal.

Authenticate with `Authorization: ApiKey <key>` (also accepted: `Bearer`, `Key`, `X-Api-Key`,
`x-auth-token` with `x-environment-id`). The native API follows Novu's REST API.
"""


def _route_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(
    settings: Settings, *, temporal: Client | None = None, sessions: Sessions | None = None,
    bus: RealtimeBus | None = None,
) -> FastAPI:
    """Build the API; ``temporal``, ``sessions`` and ``bus`` may be handed in (tests, embedded runs)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, temporal=temporal, sessions=sessions, bus=bus) as resources:
            app.state.services = resources
            async with inbox_sockets.running(sessions=resources.sessions, bus=resources.bus):
                yield

    app = FastAPI(
        title="Clarion",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_route_id,
    )
    app.state.settings = settings
    app.state.faces = FaceTable(FACES)
    app.state.key_cache = KeyCache()
    app.state.workflow_cache = WorkflowCache()
    app.state.triggers = Triggers(settings=settings, cache=app.state.workflow_cache)
    app.state.publisher = Publisher(settings=settings, cache=app.state.workflow_cache)  # event-apis.md §0.6
    # One renderer per process: it caches compiled templates (P10).
    app.state.renderer = TemplateRenderer()
    # Providers load once per process; failures are shown by /ready and `clarion providers` (P5).
    app.state.channels, app.state.channel_failures = ChannelRegistry.from_entry_points()
    app.state.cipher = CredentialCipher(settings.secret_key.get_secret_value())
    # The Inbox's socket.io server (api/novu/inbox/live.py), mounted at /socket.io/ below.
    app.state.inbox_sockets = inbox_sockets = InboxSockets(settings)
    install_error_handlers(app)

    def body_limit(path: str) -> int:
        if path.startswith("/v1/events/trigger"):
            return settings.api.max_trigger_body_bytes
        if path.startswith(("/api/v1/batch/", "/api/pubsub/batch/")):
            return MAX_BATCH_BODY_BYTES  # a stream batch may carry 10 MiB (event-apis.md §0.7)
        return settings.api.max_body_bytes

    app.add_middleware(JsonGuardMiddleware)  # innermost: every JSON body through the one parser
    app.add_middleware(IdempotencyMiddleware)  # after the body limit and request id
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limit)
    # Per credential over the dialect routes, before any body is read (event-apis.md §0.7).
    app.add_middleware(RateLimitMiddleware, limit_per_minute=settings.api.rate_limit_per_minute)
    app.add_middleware(RequestIdMiddleware)
    # A preflight is answered before anything but the metrics looks at it (api/cors.py).
    app.add_middleware(CorsMiddleware, defaults=settings.default_cors_origins,
                       sessions=lambda: getattr(getattr(app.state, "services", None), "sessions", None))
    # Outermost of all: sees every answer, 413 and 429 included.
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(HandshakeUrlGuard)  # a WebSocket handshake URL over 4 KiB: 414 before anything (api/ws_guard.py)
    app.include_router(health.router)
    app.include_router(metrics_router)
    for face in FACES:
        app.include_router(FaceRouter(face))
    app.mount("/socket.io", inbox_sockets.asgi)
    return app
