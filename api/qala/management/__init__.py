"""The Qala-shaped management API under ``/management/v1`` (shared/event-apis.md §0.4, §1.5-1.7)."""

from __future__ import annotations

from fastapi import APIRouter

from api.qala.management import api_keys, deliveries, environments, event_types, groups, subscriptions, topics

ROUTERS: list[APIRouter] = [
    environments.router, event_types.router, topics.router, subscriptions.router, deliveries.router, groups.router,
    api_keys.router,
]
