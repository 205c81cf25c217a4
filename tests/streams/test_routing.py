"""A stream topic's ``event_type`` also routes its messages through the shared publish operation (§2.3)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from core.run_identity import publish_workflow_id
from core.settings import Settings, TemporalSettings
from store import workflows as workflow_store
from store.engine import make_sessions
from store.models import PublishedEvent, Topic
from tests.factories import two_environments
from tests.streams.conftest import serve_streams


async def test_routed_messages_become_published_events(engine: AsyncEngine, temporal_env: WorkflowEnvironment) -> None:
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    env = t.env_a.id
    async with sessions() as session, session.begin():
        for identifier in ("order.placed", "order.unrouted"):
            await workflow_store.upsert(session=session, environment_id=env, identifier=identifier,
                                        values={"name": identifier, "steps": []})
        session.add(Topic(environment_id=env, key="orders", name="Orders", event_types=["order.placed"]))
    # A task queue nobody polls: the publish workflows start, and that is all this test looks at.
    settings = Settings(mode="dev", temporal=TemporalSettings(task_queue=f"tq-{uuid.uuid4().hex}"))
    async with serve_streams(sessions, t, settings, temporal=temporal_env.client) as api:
        routed = await api.topic("Routed", [], event_type="order.placed")
        unrouted = await api.topic("Unrouted", [], event_type="order.unrouted")
        batch = await api.client.post(f"/api/v1/batch/topics/{routed}/publish", json=[{"n": 1}, {"n": 2}],
                                      headers=api.headers)
        ids = [r["message_id"] for r in batch.json()["message_ids"].values()]
        # No topic lists this type: the route is skipped with a warning, the message stays.
        kept = await api.publish(unrouted, {"n": 3})
        assert kept.status_code == 200
        assert len((await api.consume(unrouted)).json()["messages"]) == 1

    async with sessions() as session:
        events = list(await session.scalars(select(PublishedEvent).where(PublishedEvent.environment_id == env)
                                            .order_by(PublishedEvent.event_id)))
    assert [(e.event_id, e.type, e.data) for e in events] == [
        (f"stream:{routed}:{ids[0]}", "order.placed", {"n": 1}),
        (f"stream:{routed}:{ids[1]}", "order.placed", {"n": 2}),
    ]
    described = await temporal_env.client.get_workflow_handle(
        publish_workflow_id(str(env), f"stream:{routed}:{ids[0]}")).describe()
    assert described.id.endswith(ids[0])
