"""Queries over topics and their members, paged by membership id for fan-out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Subscriber, Topic, TopicSubscriber


async def get_by_keys(*, session: AsyncSession, environment_id: uuid.UUID, keys: Iterable[str]) -> dict[str, Topic]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await session.scalars(select(Topic).where(Topic.environment_id == environment_id, Topic.key.in_(wanted)))
    return {row.key: row for row in rows}


async def member_boundaries(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, size: int
) -> list[int]:
    """Every ``size``-th membership id: the upper bounds of the pages a fan-out runs."""
    ids = (
        await session.scalars(
            select(TopicSubscriber.id)
            .where(TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id)
            .order_by(TopicSubscriber.id)
        )
    ).all()
    return [ids[min(i + size, len(ids)) - 1] for i in range(0, len(ids), size)]


async def members_in_range(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, after: int | None, until: int | None
) -> list[Subscriber]:
    query = (
        select(Subscriber)
        .join(TopicSubscriber, TopicSubscriber.subscriber_pk == Subscriber.id)
        .where(TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id)
    )
    if after is not None:
        query = query.where(TopicSubscriber.id > after)
    if until is not None:
        query = query.where(TopicSubscriber.id <= until)
    return list(await session.scalars(query.order_by(TopicSubscriber.id)))
