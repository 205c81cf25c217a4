"""Topics, broadcasts, bulk triggers and preferences, end to end through Temporal."""

from __future__ import annotations

from sqlalchemy import func, select

from store.models import ExecutionDetail, Notification
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers, add_topic, add_workflow, set_preference
from tests.pipeline.test_batched import owner

IN_APP_ONLY = [{"id": "note", "type": "in_app", "active": True,
                "controls": {"body": "{{ payload.n }} for {{ subscriber.subscriberId }}"}}]


async def count(pipeline: Pipeline, model: type, **where: object) -> int:
    async with pipeline.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


async def test_topics_fan_out_in_batches_without_the_actor_or_duplicates(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_workflow(pipeline.sessions, env, "note", steps=IN_APP_ONLY)
    # 120 members over two topics that share 20, with a batch size of 50: several child runs.
    await add_topic(pipeline.sessions, env, "red", [f"s{i:03}" for i in range(0, 80)])
    await add_topic(pipeline.sessions, env, "blue", [f"s{i:03}" for i in range(60, 120)])
    response = await pipeline.trigger({
        "name": "note", "payload": {"n": 7}, "actor": "s000", "transactionId": "tx-topics",
        "to": [{"type": "Topic", "topicKey": "red"}, {"type": "Topic", "topicKey": "blue"}, "direct"],
    })
    assert response.status_code == 201, response.text
    result = await pipeline.finish("tx-topics")
    messages = await pipeline.messages(channel="in_app")
    receivers = sorted(m.subscriber_id for m in messages)
    expected = sorted([f"s{i:03}" for i in range(1, 120)] + ["direct"])
    assert receivers == expected  # each member once, the actor left out
    assert result.sent == 120 and result.runs > 1
    assert next(m for m in messages if m.subscriber_id == "s042").content == "7 for s042"


async def test_broadcast_reaches_every_subscriber(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_workflow(pipeline.sessions, env, "note", steps=IN_APP_ONLY)
    await add_subscribers(pipeline.sessions, env, [f"b{i}" for i in range(70)])
    await add_subscribers(pipeline.sessions, pipeline.tenancy.env_b.id, ["other-env"])
    response = await pipeline.client.post(
        "/v1/events/trigger/broadcast", json={"name": "note", "payload": {"n": 1}, "transactionId": "tx-all"},
        headers=pipeline.headers,
    )
    assert response.status_code == 201, response.text
    await pipeline.finish("tx-all")
    assert sorted(m.subscriber_id for m in await pipeline.messages()) == sorted(f"b{i}" for i in range(70))


async def test_bulk_of_100_mixed_events_answers_in_order(pipeline: Pipeline) -> None:
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "note", steps=IN_APP_ONLY)
    events: list[dict[str, object]] = []
    for i in range(100):
        if i % 10 == 3:
            events.append({"name": "missing-workflow", "to": f"u{i}"})
        elif i % 10 == 7:
            events.append({"name": "note", "to": []})
        else:
            events.append({"name": "note", "to": f"u{i}", "payload": {"n": i}, "transactionId": f"bulk-{i}"})
    response = await pipeline.client.post("/v1/events/trigger/bulk", json={"events": events}, headers=pipeline.headers)
    assert response.status_code == 201, response.text
    results = response.json()["data"]
    assert len(results) == 100
    for i, result in enumerate(results):
        if i % 10 in (3, 7):
            assert result["status"] == "error" and result["acknowledged"] is False and result["error"], (i, result)
        else:
            assert result == {"acknowledged": True, "status": "processed", "transactionId": f"bulk-{i}"}
    # The batched runs' results, not a query per transaction: a query to a completed run replays its whole
    # history in the worker, and on a busy machine that replay can outlast the SDK's 2-second deadlock limit.
    owners = {await owner(pipeline, f"bulk-{i}") for i in range(100) if i % 10 not in (3, 7)}
    for run in owners:
        await pipeline.temporal.get_workflow_handle(run).result()
    assert len(await pipeline.messages()) == 80


async def test_bulk_limits(pipeline: Pipeline) -> None:
    for events in ([], [{"name": "welcome", "to": "x"}] * 101):
        response = await pipeline.client.post(
            "/v1/events/trigger/bulk", json={"events": events}, headers=pipeline.headers
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "events"


async def test_preferences_are_read_at_send_time_and_critical_bypasses_them(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["quiet", "partial"], email=True)
    await set_preference(pipeline.sessions, env, "quiet", enabled=False)
    await set_preference(pipeline.sessions, env, "partial", channels={"email": False})
    await pipeline.trigger({"name": "welcome", "to": ["quiet", "partial"], "transactionId": "tx-pref"})
    result = await pipeline.finish("tx-pref")
    assert [m.subscriber_id for m in await pipeline.messages()] == ["partial"]
    assert (result.sent, result.skipped) == (1, 3)
    skipped = await count(pipeline, ExecutionDetail, subscriber_id="quiet", status="success")
    assert skipped == 2  # one "skipped: preference" detail per step

    await add_workflow(pipeline.sessions, env, "security", critical=True)
    await pipeline.trigger({"name": "security", "to": ["quiet", "partial"], "transactionId": "tx-crit"})
    result = await pipeline.finish("tx-crit")
    assert result.sent == 4
    assert await count(pipeline, Notification, transaction_id="tx-crit") == 2
