"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from temporalio.client import Client

from api.auth import KeyCache
from api.dialects import bitcaster, parallels, workato
from api.dialects import qala as qala_dialect
from api.error_handlers import install_error_handlers
from api.idempotency import IdempotencyMiddleware
from api.management import ROUTERS as MANAGEMENT_ROUTERS
from api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from api.publishing import Publisher
from api.rate_limit import RateLimitMiddleware
from api.routes import environments, events, execution_details, health, notifications
from api.routes import feed_v1 as feed_routes_v1
from api.routes import inbox_v2 as inbox_routes_v2
from api.routes import integrations as integration_routes
from api.routes import layouts as layout_routes
from api.routes import messages as message_routes
from api.routes import preferences_v1 as preference_routes_v1
from api.routes import preferences_v2 as preference_routes_v2
from api.routes import subscriber_credentials as credential_routes
from api.routes import subscribers_v1 as subscriber_routes_v1
from api.routes import subscribers_v2 as subscriber_routes_v2
from api.routes import tenant_workflows as tenant_workflow_routes
from api.routes import tenants as tenant_routes
from api.routes import topics_v1 as topic_routes_v1
from api.routes import topics_v2 as topic_routes_v2
from api.routes import translations as translation_routes
from api.routes import workflows as workflow_routes
from api.services import open_services
from api.triggering import Triggers
from api.workflow_cache import WorkflowCache
from channels import ChannelRegistry
from clarion.settings import Settings
from store.crypto import CredentialCipher
from store.engine import Sessions
from store.realtime import RealtimeBus
from templates.renderer import TemplateRenderer

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
        async with open_services(settings, temporal=temporal, sessions=sessions, bus=bus) as services:
            app.state.services = services
            yield

    app = FastAPI(
        title="Clarion",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_route_id,
    )
    app.state.settings = settings
    app.state.key_cache = KeyCache()
    app.state.workflow_cache = WorkflowCache()
    app.state.triggers = Triggers(settings=settings, cache=app.state.workflow_cache)
    app.state.publisher = Publisher(settings=settings, cache=app.state.workflow_cache)  # event-apis.md §0.6
    # One renderer per process: it caches compiled templates (P10).
    app.state.renderer = TemplateRenderer()
    # Providers load once per process; failures are shown by /ready and `clarion providers` (P5).
    app.state.channels, app.state.channel_failures = ChannelRegistry.from_entry_points()
    app.state.cipher = CredentialCipher(settings.secret_key.get_secret_value())
    install_error_handlers(app)

    def body_limit(path: str) -> int:
        if path.startswith("/v1/events/trigger"):
            return settings.api.max_trigger_body_bytes
        if path.startswith(("/api/v1/batch/", "/api/pubsub/batch/")):
            return workato.MAX_BATCH_BODY_BYTES  # a stream batch may carry 10 MiB (event-apis.md §0.7)
        return settings.api.max_body_bytes

    app.add_middleware(IdempotencyMiddleware)  # innermost: after the body limit and request id
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limit)
    # Per credential over the dialect routes, before any body is read (event-apis.md §0.7).
    app.add_middleware(RateLimitMiddleware, limit_per_minute=settings.api.rate_limit_per_minute)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    for router in (qala_dialect.router, *MANAGEMENT_ROUTERS):  # Qala publish and /management/v1
        app.include_router(router)
    app.include_router(parallels.router)
    app.include_router(environments.router)
    app.include_router(events.router)
    app.include_router(workflow_routes.router)
    app.include_router(notifications.router)
    app.include_router(execution_details.router)
    app.include_router(feed_routes_v1.router)
    app.include_router(inbox_routes_v2.router)
    app.include_router(message_routes.router)
    app.include_router(integration_routes.router)
    for content_routes in (layout_routes, translation_routes, tenant_workflow_routes):  # issue 7: content
        app.include_router(content_routes.router)
    for routes in (subscriber_routes_v1, subscriber_routes_v2, credential_routes, tenant_routes):
        app.include_router(routes.router)
    for router in (preference_routes_v1.router, preference_routes_v2.router, topic_routes_v1.router,
                   topic_routes_v2.router):
        app.include_router(router)
    app.include_router(workato.router)
    app.include_router(bitcaster.router)
    return app
