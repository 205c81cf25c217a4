"""Whole-environment listings of topics, unpaged: for callers that check names or show every topic.

Paged listings, look-ups and membership live in ``store.topics``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Topic


async def list_all(*, session: AsyncSession, environment_id: uuid.UUID) -> list[Topic]:
    """Every topic of the environment, oldest first."""
    rows = await session.scalars(
        select(Topic).where(Topic.environment_id == environment_id).order_by(Topic.created_at, Topic.id)
    )
    return list(rows)


async def keys(*, session: AsyncSession, environment_id: uuid.UUID) -> set[str]:
    """The keys (names) of every topic of the environment."""
    return set((await session.scalars(select(Topic.key).where(Topic.environment_id == environment_id))).all())
