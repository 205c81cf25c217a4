"""The native (Novu-compatible) routes, one module per resource, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from api.novu.routes import (
    environments,
    events,
    execution_details,
    feed_v1,
    inbox_v2,
    integration_limits,
    integrations,
    layouts,
    messages,
    notifications,
    preferences_v1,
    preferences_v2,
    provider_webhooks,
    subscriber_credentials,
    subscribers_v1,
    subscribers_v2,
    tenant_workflows,
    tenants,
    topics_v1,
    topics_v2,
    translations,
    unsubscribe,
    webhook_endpoints,
    workflows,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        environments, events, workflows, notifications, execution_details, feed_v1, inbox_v2, messages,
        integrations, layouts, translations, tenant_workflows, subscribers_v1, subscribers_v2,
        subscriber_credentials, tenants, preferences_v1, preferences_v2, topics_v1, topics_v2,
        provider_webhooks, webhook_endpoints, integration_limits, unsubscribe,
    )
)
