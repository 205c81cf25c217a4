"""The topics one subscriber belongs to, a cursor page at a time (Novu's ``/v2/subscribers/{id}/subscriptions``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Topic, TopicSubscriber
from store.topics import _MAX_MEMBERSHIP_ID, BadCursor, Cursor, Page, _keyset


async def page(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID, cursor: Cursor, limit: int,
    descending: bool, topic_key: str | None = None,
) -> Page:
    """(membership, topic) rows of one subscriber; the cursor is a membership id, as for a topic's members."""
    conditions: list[ColumnElement[bool]] = [
        TopicSubscriber.environment_id == environment_id, TopicSubscriber.subscriber_pk == subscriber_pk
    ]
    if topic_key is not None:
        conditions.append(Topic.key == topic_key)
    query = select(TopicSubscriber, Topic).join(Topic, TopicSubscriber.topic_id == Topic.id).where(*conditions)
    anchor: tuple[Any, Any] | None = None
    if cursor.anchor is not None:
        if not cursor.anchor.isdigit() or int(cursor.anchor) > _MAX_MEMBERSHIP_ID:
            raise BadCursor(cursor.anchor)
        found = (await session.execute(
            select(TopicSubscriber.created_at, TopicSubscriber.id).where(
                *conditions[:2], TopicSubscriber.id == int(cursor.anchor)
            )
        )).first()
        if found is None:
            raise BadCursor(cursor.anchor)
        anchor = (found[0], found[1])
    return await _keyset(
        session, query, TopicSubscriber.created_at, TopicSubscriber.id, anchor=anchor,
        cursor=cursor, limit=limit, descending=descending, key_of=lambda r: (r[0].created_at, r[0].id),
    )
