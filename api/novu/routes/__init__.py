"""The native (Novu-compatible) routes, one module per resource, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from api.novu.inbox import ROUTERS as INBOX_ROUTERS
from api.novu.routes import (
    environments,
    events,
    execution_details,
    explain,
    feed_v1,
    inbox_v2,
    integration_limits,
    integrations,
    layouts,
    layouts_v2,
    messages,
    notifications,
    pending,
    preferences_v1,
    preferences_v2,
    provider_webhooks,
    redrive,
    replay,
    step_preview,
    subscriber_credentials,
    subscriber_topics,
    subscribers_v1,
    subscribers_v2,
    tenant_workflows,
    tenants,
    topics_v1,
    topics_v2,
    tracking,
    translations,
    translations_v2,
    unsubscribe,
    webhook_endpoints,
    workflows,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        environments, pending, events, redrive, replay, step_preview, workflows, explain, notifications,
        execution_details, feed_v1, inbox_v2, messages, integrations, layouts, layouts_v2, translations,
        translations_v2, tenant_workflows, subscribers_v1, subscribers_v2, subscriber_topics, subscriber_credentials,
        tenants, preferences_v1, preferences_v2, topics_v1, topics_v2, provider_webhooks, webhook_endpoints,
        integration_limits, unsubscribe, tracking,
    )
) + INBOX_ROUTERS
