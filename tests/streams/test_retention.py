"""The retention sweep runs as a Temporal schedule, created idempotently (event-apis.md §2.6)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.lifecycle import sweep_outbox
from activities.retention import RetentionActivities
from clarion import worker as clarion_worker
from clarion.schedules import ensure_retention_schedule, retention_schedule_id
from store import streams
from store.base import utcnow
from store.engine import make_sessions
from store.models import IdempotencyRecord, StreamMessage, StreamTopic
from store.models.publishing import Occurrence, PublishedEvent
from tests.factories import two_environments
from workflows.retention import StreamRetentionWorkflow


async def _kept_and_expired_records(session: AsyncSession, env: uuid.UUID) -> None:
    """One expired and one fresh row of each record kept only for a while."""
    now = utcnow()
    for name, age in (("old", timedelta(days=31)), ("fresh", timedelta(hours=1))):
        session.add(PublishedEvent(environment_id=env, event_id=name, type="t", topics=[], data={},
                                   created_at=now - age))
        session.add(Occurrence(environment_id=env, event=name, transaction_id=name, created_at=now - age))
        session.add(IdempotencyRecord(environment_id=env, key=name, request_hash="h", created_at=now - age,
                                      expires_at=now - age + timedelta(days=1)))
    await session.commit()


async def test_the_schedule_sweeps_expired_messages(engine: AsyncEngine, temporal_env: WorkflowEnvironment) -> None:
    assert StreamRetentionWorkflow in clarion_worker.WORKFLOWS
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    async with sessions() as session:
        topic = StreamTopic(environment_id=t.env_a.id, name="Short", retention=3600, fields=[])
        session.add(topic)
        await session.commit()
        await streams.append(session=session, environment_id=t.env_a.id, topic_id=topic.id,
                             payloads=[{"n": 1}, {"n": 2}], now=utcnow() - timedelta(hours=2))
        await streams.append(session=session, environment_id=t.env_a.id, topic_id=topic.id,
                             payloads=[{"n": 3}], now=utcnow())
        await session.commit()
        await _kept_and_expired_records(session, t.env_a.id)

    client, queue = temporal_env.client, f"tq-{uuid.uuid4().hex}"
    assert await ensure_retention_schedule(client, queue) is True
    assert await ensure_retention_schedule(client, queue) is False  # a restarted worker finds it
    handle = client.get_schedule_handle(retention_schedule_id(queue))
    try:
        retention = RetentionActivities(sessions=sessions)
        activities = [retention.sweep_stream_retention, retention.purge_expired_records, sweep_outbox]
        async with Worker(client, task_queue=queue, workflows=[StreamRetentionWorkflow], activities=activities):
            await handle.trigger()  # the first tick, without waiting a minute
            for _ in range(300):
                async with sessions() as session:
                    left = await session.scalar(select(func.count()).select_from(StreamMessage))
                    events = set(await session.scalars(select(PublishedEvent.event_id)))
                if left == 1 and events == {"fresh"}:
                    break
                await asyncio.sleep(0.1)
    finally:
        await handle.delete()
    async with sessions() as session:
        kept = list(await session.scalars(select(StreamMessage.seq)))
        swept = await session.get(StreamTopic, topic.id)
    assert kept == [3]
    async with sessions() as session:  # the same run forgot what is kept only for a while
        assert set(await session.scalars(select(PublishedEvent.event_id))) == {"fresh"}
        assert list(await session.scalars(select(Occurrence.event))) == ["fresh"]
        assert list(await session.scalars(select(IdempotencyRecord.key))) == ["fresh"]
    assert swept is not None and swept.deleted_through_seq == 2
