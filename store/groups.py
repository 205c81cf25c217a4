"""Subscriber groups: an audience plus ``Topic:Subscribe`` grants (shared/event-apis.md §1.7)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import SubscriberGroup


async def get(*, session: AsyncSession, environment_id: uuid.UUID, group_id: uuid.UUID) -> SubscriberGroup | None:
    return await session.scalar(
        select(SubscriberGroup).where(SubscriberGroup.environment_id == environment_id, SubscriberGroup.id == group_id)
    )


async def list_all(*, session: AsyncSession, environment_id: uuid.UUID) -> list[SubscriberGroup]:
    rows = await session.scalars(
        select(SubscriberGroup)
        .where(SubscriberGroup.environment_id == environment_id)
        .order_by(SubscriberGroup.created_at, SubscriberGroup.id)
    )
    return list(rows)


async def create(*, session: AsyncSession, environment_id: uuid.UUID, values: dict[str, Any]) -> SubscriberGroup:
    row = SubscriberGroup(environment_id=environment_id, **values)
    session.add(row)
    await session.flush()
    return row


def permitted_topics(group: SubscriberGroup) -> set[str]:
    """Names of the topics the group's users may subscribe to."""
    return {
        str(p.get("resourceId"))
        for p in group.permissions or []
        if p.get("permissionType") == "Topic:Subscribe" and p.get("resourceType") == "Topic"
    }


async def delete(*, session: AsyncSession, group: SubscriberGroup) -> None:
    await session.delete(group)
    await session.flush()
