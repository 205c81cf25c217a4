"""A large audience is planned a page at a time and the trigger continues as new: every member gets
exactly one message, across topics, listed subscribers and broadcasts, and no run's history grows with
the audience. Page sizes are shrunk so a few dozen subscribers cross several pages and runs."""

from __future__ import annotations

import uuid
from collections import Counter

from temporalio.api.enums.v1 import EventType

from api.operations.workflow_cache import WorkflowCache
from core.payloads import RunResult, SubscriberInput, TriggerContext, TriggerInput
from core.run_identity import TRIGGER_WORKFLOW, trigger_attributes, trigger_workflow_id
from store import subscribers
from store.models import Subscriber
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers, add_topic, add_workflow

IN_APP = [{"id": "inbox", "type": "in_app", "active": True, "controls": {"body": "Hi {{ subscriber.subscriberId }}"}}]


async def _start(pipeline: Pipeline, tx: str, **audience: object) -> tuple[RunResult, str]:
    env = pipeline.tenancy.env_a
    async with pipeline.sessions() as session:
        cached = await WorkflowCache().get(session, env.id, "paged")
    assert cached is not None
    ctx = TriggerContext(environment_id=str(env.id), organization_id=str(env.organization_id), transaction_id=tx,
                         workflow=cached.snapshot, actor=SubscriberInput(subscriber_id="actor"))
    inp = TriggerInput.model_validate({"context": ctx, "batch_size": 2, "page_batches": 3, "pages_per_run": 2,
                                       **audience})
    wid = trigger_workflow_id(str(env.id), tx)
    handle = await pipeline.temporal.start_workflow(
        TRIGGER_WORKFLOW, inp, id=wid, task_queue=pipeline.settings.temporal.task_queue,
        search_attributes=trigger_attributes(inp), result_type=RunResult,
    )
    return await handle.result(), wid


async def _deliveries(pipeline: Pipeline, tx: str) -> Counter[str]:
    messages = await pipeline.messages(transaction_id=tx, channel="in_app")
    async with pipeline.sessions() as session:
        ids = {m.subscriber_pk for m in messages}
        rows = {s.id: s.subscriber_id for s in [await session.get(Subscriber, pk) for pk in ids] if s}
    return Counter(rows[m.subscriber_pk] for m in messages)


async def _runs(pipeline: Pipeline, wid: str) -> list[int]:
    """History lengths of every run in the trigger's continue-as-new chain, oldest first."""
    lengths = []
    async for execution in pipeline.temporal.list_workflows(f'WorkflowId = "{wid}"'):
        history = await pipeline.temporal.get_workflow_handle(wid, run_id=execution.run_id).fetch_history()
        lengths.append(len(history.events))
        assert history.events[-1].event_type in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
        )
    return lengths


async def test_topics_and_listed_subscribers_page_through_several_runs(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_workflow(pipeline.sessions, env, "paged", steps=IN_APP)
    big = [f"m{i:02d}" for i in range(23)]
    await add_topic(pipeline.sessions, env, "big", [*big, "actor"])
    await add_topic(pipeline.sessions, env, "small", ["m01", "m02", "m03", "s1", "s2"])
    listed = [{"subscriber_id": "l1"}, {"subscriber_id": "l2"}, {"subscriber_id": "m04"}]

    result, wid = await _start(pipeline, "tx-paged", topic_keys=["big", "nope", "small"], subscribers=listed)

    delivered = await _deliveries(pipeline, "tx-paged")
    expected = {*big, "s1", "s2", "l1", "l2"}  # the actor is left out; shared members once
    assert set(delivered) == expected and set(delivered.values()) == {1}
    assert (result.sent, result.failed) == (len(expected), 0)
    assert result.missing_topics == ["nope"]
    lengths = await _runs(pipeline, wid)
    # 2 listed + 12 + 3 batches, 3 per page, 2 pages per run: at least three runs in the chain.
    assert len(lengths) >= 3
    # A run holds at most two pages of three children: its history does not grow with the audience.
    assert max(lengths) < 120


async def test_a_broadcast_pages_through_every_subscriber(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_workflow(pipeline.sessions, env, "paged", steps=IN_APP)
    await add_subscribers(pipeline.sessions, env, [f"b{i:02d}" for i in range(17)])
    async with pipeline.sessions() as session:
        everyone = await subscribers.in_range(session=session, environment_id=env, after=None, until=None)
    expected = {s.subscriber_id for s in everyone}

    result, wid = await _start(pipeline, f"tx-all-{uuid.uuid4().hex[:6]}", everyone=True)

    assert result.sent == len(expected) and result.failed == 0
    assert len(await _runs(pipeline, wid)) >= 2
