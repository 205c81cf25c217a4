"""A lifecycle event whose start was lost (its process died after the commit, or Temporal was down) is
started by the worker's outbox sweep and delivered once; a started event leaves no outbox row."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment

from activities import lifecycle
from activities.retention import SweepInput
from core.run_identity import publish_workflow_id
from store import lifecycle_outbox, subscribers
from store.base import utcnow
from store.models import UnstartedEvent
from tests.delivery.conftest import Receiver, until
from tests.delivery.test_lifecycle_events import arrived_once, call, endpoints, recorded
from tests.pipeline.conftest import Pipeline


async def unstarted(p: Pipeline) -> list[tuple[uuid.UUID, str]]:
    async with p.sessions() as session:
        rows = await session.execute(select(UnstartedEvent.environment_id, UnstartedEvent.event_id))
        return sorted((env, event_id) for env, event_id in rows)


async def age(p: Pipeline, seconds: float) -> None:
    """Make every outbox row look recorded ``seconds`` ago."""
    async with p.sessions() as session, session.begin():
        await session.execute(update(UnstartedEvent).values(created_at=utcnow() - timedelta(seconds=seconds)))


async def sweep(p: Pipeline) -> int:
    """One run of the sweep activity, as the retention schedule runs it on this worker's task queue."""
    activities = ActivityEnvironment(client=p.temporal)
    activities.info = replace(activities.info, task_queue=p.settings.temporal.task_queue)
    return (await activities.run(lifecycle.sweep_outbox, SweepInput())).removed


async def test_an_event_recorded_but_never_started_is_sent_once_by_the_sweep(
    delivery: Pipeline, receiver: Receiver
) -> None:
    p = delivery
    secret = await endpoints(p, receiver, ["subscriber.created"])
    env = p.tenancy.env_a.id
    async with p.sessions() as session, session.begin():  # committed; the process dies before the start
        await subscribers.upsert_many(session=session, environment_id=env, profiles={"lost": {"email": "l@x.test"}})
    ((_, event_id),) = await recorded(p)
    assert await unstarted(p) == [(env, event_id)]
    handle = p.temporal.get_workflow_handle(publish_workflow_id(str(env), event_id))

    assert await sweep(p) == 0  # younger than the threshold: its own process may still be starting it
    assert await unstarted(p) == [(env, event_id)]
    with pytest.raises(RPCError):
        await handle.describe()

    await age(p, p.settings.webhooks.outbox_sweep_after_seconds + 1)
    assert await sweep(p) == 1
    assert await unstarted(p) == []
    (verified,) = await arrived_once(p, receiver, secret, 1)
    assert verified["data"]["subscriberId"] == "lost" and verified["data"]["email"] == "l@x.test"
    run_id = (await handle.describe()).run_id

    # A row swept while its start was under way: starting it again finds the run and only clears the row.
    async with p.sessions() as session, session.begin():
        session.add(UnstartedEvent(environment_id=env, event_id=event_id, created_at=utcnow() - timedelta(hours=1)))
    assert await sweep(p) == 1
    assert await unstarted(p) == []
    assert (await handle.describe()).run_id == run_id
    await arrived_once(p, receiver, secret, 1)


async def test_events_started_by_the_api_and_the_worker_leave_no_outbox_row(
    delivery: Pipeline, receiver: Receiver
) -> None:
    p = delivery
    secret = await endpoints(p, receiver, ["subscriber.created", "workflow.run.completed"])
    await call(p, "POST", "/v1/subscribers", {"subscriberId": "ada"}, 201)  # started by the API
    ok = await p.trigger({"name": "welcome", "to": "ada", "transactionId": "run-ok"})  # by the worker
    assert ok.status_code == 201, ok.text
    await p.finish("run-ok")
    verified = await arrived_once(p, receiver, secret, 2)
    assert {v["type"] for v in verified} == {"subscriber.created", "workflow.run.completed"}
    # The row goes in its own transaction just after the start returned, so possibly after the delivery.
    await until(lambda: _none_left(p), timeout=30)
    assert await sweep(p) == 0


async def _none_left(p: Pipeline) -> bool:
    return await unstarted(p) == []


async def test_a_start_the_server_refuses_keeps_its_row_for_the_sweep(delivery: Pipeline, receiver: Receiver) -> None:
    p = delivery
    secret = await endpoints(p, receiver, ["subscriber.created"])
    env = p.tenancy.env_a.id
    async with p.sessions() as session, session.begin():
        await subscribers.upsert_many(session=session, environment_id=env, profiles={"ada": {}})
    events = lifecycle_outbox.take_committed(session)
    assert len(events) == 1
    # The same server, a namespace it does not have: every start raises, as with the server down.
    refused = Client(p.temporal.service_client, namespace=f"missing-{uuid.uuid4().hex}",
                     data_converter=p.temporal.data_converter)
    emitter = lifecycle.LifecycleEmitter(sessions=p.sessions, client=refused, task_queue=f"tq-{uuid.uuid4().hex}",
                                         policy=lifecycle.policy_of(p.settings))
    with pytest.raises(RPCError):
        await emitter.start(events)
    assert await unstarted(p) == [(env, events[0].event_id)]
    await age(p, p.settings.webhooks.outbox_sweep_after_seconds + 1)
    assert await sweep(p) == 1
    assert await unstarted(p) == []
    (verified,) = await arrived_once(p, receiver, secret, 1)
    assert verified["data"]["subscriberId"] == "ada"
