"""Builders for pipeline tests: subscribers, topics, preferences and workflows straight in the store."""

from __future__ import annotations

import uuid
from typing import Any

from clarion.seed import WELCOME_STEPS
from store import subscribers
from store import workflows as workflow_store
from store.engine import Sessions
from store.models import SubscriberPreference, Topic, TopicSubscriber


async def add_subscribers(sessions: Sessions, env: uuid.UUID, ids: list[str], *, email: bool = False) -> None:
    profiles: dict[str, dict[str, Any]] = {i: {"email": f"{i}@example.test"} if email else {} for i in ids}
    async with sessions() as session, session.begin():
        await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles)


async def add_topic(sessions: Sessions, env: uuid.UUID, key: str, members: list[str]) -> None:
    await add_subscribers(sessions, env, members)
    async with sessions() as session, session.begin():
        topic = Topic(environment_id=env, key=key, name=key)
        session.add(topic)
        await session.flush()
        stored = await subscribers.get_many(session=session, environment_id=env, subscriber_ids=members)
        session.add_all(
            TopicSubscriber(environment_id=env, topic_id=topic.id, subscriber_pk=stored[m].id) for m in members
        )


async def add_workflow(sessions: Sessions, env: uuid.UUID, identifier: str, **values: Any) -> uuid.UUID:
    values.setdefault("name", identifier)
    values.setdefault("steps", WELCOME_STEPS)
    async with sessions() as session, session.begin():
        row = await workflow_store.upsert(session=session, environment_id=env, identifier=identifier, values=values)
        return row.id


async def set_preference(
    sessions: Sessions, env: uuid.UUID, subscriber_id: str, *, workflow_id: uuid.UUID | None = None,
    enabled: bool = True, channels: dict[str, bool] | None = None,
) -> None:
    async with sessions() as session, session.begin():
        sub = await subscribers.get(session=session, environment_id=env, subscriber_id=subscriber_id)
        assert sub is not None
        session.add(SubscriberPreference(environment_id=env, subscriber_pk=sub.id, workflow_id=workflow_id,
                                         enabled=enabled, channels=channels or {}))
