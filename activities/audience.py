"""A trigger's audience, one page at a time: the batches of the next child runs and where to go on.

A page reads at most ``batch_size * max_batches`` ids by keyset, so planning a topic of ten million
members holds no more in memory, and no more in the workflow's history, than a topic of ten thousand.
"""

from __future__ import annotations

import uuid
from itertools import pairwise

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities import lifecycle
from activities.recipients import upsert_parties
from core.audience import AudiencePage, AudiencePageInput
from core.payloads import AudienceCursor, Batch, SubscriberInput
from store import subscribers, topics
from store.engine import Sessions


class AudienceActivities:
    """Plans the pages of a trigger's audience for the trigger workflow."""

    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def plan_audience_page(self, inp: AudiencePageInput) -> AudiencePage:
        """The next batches of the audience (at most ``max_batches``) and the cursor after them."""
        size, room = max(inp.batch_size, 1), max(inp.max_batches, 1)
        batches: list[Batch] = []
        missing: list[str] = []
        async with self._sessions() as session, session.begin():
            cursor = inp.cursor
            if cursor is None:
                cursor, missing = await self._first(session, inp, batches, size)
            while len(batches) < room and cursor is not None:
                cursor = await self._more(session, inp, cursor, batches, size, room - len(batches))
        await lifecycle.start_committed(session, inp.context.environment_id)  # subscriber.created, inline
        return AudiencePage(batches=batches, missing_topics=missing, next=cursor)

    @staticmethod
    async def _first(
        session: AsyncSession, inp: AudiencePageInput, batches: list[Batch], size: int
    ) -> tuple[AudienceCursor | None, list[str]]:
        ctx = inp.context
        env = uuid.UUID(ctx.environment_id)
        await upsert_parties(session, ctx)
        if inp.subscribers:
            profiles = {s.subscriber_id: s.profile() for s in inp.subscribers}
            await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles)
            # Stored now: the batches carry ids only, to keep the workflow history small.
            ids = [SubscriberInput(subscriber_id=sid) for sid in profiles]
            batches += [Batch(kind="inline", subscribers=ids[i : i + size]) for i in range(0, len(ids), size)]
        found = await topics.get_by_keys(session=session, environment_id=env, keys=inp.topic_keys)
        missing = [key for key in inp.topic_keys if key not in found]
        topic_ids = [str(found[key].id) for key in inp.topic_keys if key in found]
        if not topic_ids and not inp.everyone:
            return None, missing
        return AudienceCursor(topic_ids=topic_ids, everyone=inp.everyone), missing

    @staticmethod
    async def _more(
        session: AsyncSession, inp: AudiencePageInput, cursor: AudienceCursor, batches: list[Batch], size: int,
        room: int,
    ) -> AudienceCursor | None:
        """Append up to ``room`` batches from where ``cursor`` points; the cursor after them."""
        env = uuid.UUID(inp.context.environment_id)
        if cursor.topic_index < len(cursor.topic_ids):
            topic_id = cursor.topic_ids[cursor.topic_index]
            after = int(cursor.after) if cursor.after else None
            bounds = await topics.member_boundaries_after(
                session=session, environment_id=env, topic_id=uuid.UUID(topic_id), after=after, size=size, pages=room
            )
            batches += [
                Batch(kind="topic", topic_id=topic_id, after=str(lo) if lo else None, until=str(hi))
                for lo, hi in pairwise([after or 0, *bounds])
            ]
            if len(bounds) == room:  # the topic may go on
                return cursor.model_copy(update={"after": str(bounds[-1])})
            return cursor.model_copy(update={"topic_index": cursor.topic_index + 1, "after": None})
        if cursor.everyone:
            edges = await subscribers.id_boundaries_after(
                session=session, environment_id=env, after=cursor.after, size=size, pages=room
            )
            batches += [Batch(kind="everyone", after=lo, until=hi) for lo, hi in pairwise([cursor.after, *edges])]
            if len(edges) == room:
                return cursor.model_copy(update={"after": edges[-1]})
        return None
