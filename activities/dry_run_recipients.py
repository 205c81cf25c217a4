"""Who a dry run would reach, read without writing: listed subscribers as they would be after the
trigger's upsert (stored fields overlaid with the trigger's, never saved), topic members and, for a
broadcast, every subscriber, with the actor left out of topic and broadcast fan-outs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from activities.recipients import in_audience
from core.payloads import TriggerInput
from store import subscribers, topics
from store.models import Subscriber
from store.subscribers import PROFILE_FIELDS


@dataclass
class Reached:
    subscriber: Subscriber  # a stored row, or a transient one that is never added to a session
    resolved_by: str
    known: bool


def _would_be(env: uuid.UUID, subscriber_id: str, stored: Subscriber | None, profile: dict[str, object]) -> Subscriber:
    """The subscriber as the trigger's upsert would leave it, as a transient object (never saved)."""
    columns = {c.key: getattr(stored, c.key) for c in inspect(Subscriber).column_attrs} if stored else {
        "environment_id": env, "subscriber_id": subscriber_id, "data": {}, "channels": [], "audiences": [],
    }
    columns |= {k: v for k, v in profile.items() if k in PROFILE_FIELDS}
    return Subscriber(**columns)


async def reached(session: AsyncSession, trigger: TriggerInput) -> tuple[list[Reached], list[str], str | None]:
    """Every recipient in trigger order (each once), the topics that do not exist, and the dropped actor."""
    ctx = trigger.context
    env = uuid.UUID(ctx.environment_id)
    actor = ctx.actor.subscriber_id if ctx.actor else None
    found: dict[str, Reached] = {}
    profiles = {s.subscriber_id: s.profile() for s in trigger.subscribers}
    stored = await subscribers.get_many(session=session, environment_id=env, subscriber_ids=profiles)
    for sid, profile in profiles.items():
        found[sid] = Reached(_would_be(env, sid, stored.get(sid), profile), "listed in 'to'", sid in stored)
    by_key = await topics.get_by_keys(session=session, environment_id=env, keys=trigger.topic_keys)
    missing = [key for key in trigger.topic_keys if key not in by_key]
    dropped = None
    for key, topic in by_key.items():
        members = await topics.members_in_range(session=session, environment_id=env, topic_id=topic.id,
                                                after=None, until=None)
        for m in members:
            if m.subscriber_id == actor:
                dropped = actor
            elif in_audience(m, ctx.audiences) and m.subscriber_id not in found:
                found[m.subscriber_id] = Reached(m, f"topic {key!r}", True)
    if trigger.everyone:
        for m in await subscribers.in_range(session=session, environment_id=env, after=None, until=None):
            if m.subscriber_id == actor:
                dropped = actor
            elif m.subscriber_id not in found:
                found[m.subscriber_id] = Reached(m, "broadcast", True)
    return list(found.values()), missing, dropped
