"""Batched runs of bulk triggers: every transaction of a batch keeps its own dedup, cancel and search."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from core.payloads import RunResult
from store import transaction_claims
from store.models import Notification
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers, add_workflow
from tests.pipeline.flow_helpers import create_workflow, digest_done, inbox
from workflows.batched import BatchedTriggerWorkflow

IN_APP = [{"id": "note", "type": "in_app", "active": True,
           "controls": {"body": "{{ payload.n }} for {{ subscriber.subscriberId }}"}}]
WITH_ACTOR = [{**IN_APP[0], "controls": {"body": "{{ payload.n }} from {{ actor.subscriberId }} for "
                                                 "{{ subscriber.subscriberId }}"}}]


async def bulk(p: Pipeline, events: list[dict[str, Any]]) -> None:
    response = await p.client.post("/v1/events/trigger/bulk", json={"events": events}, headers=p.headers)
    assert response.status_code == 201, response.text
    assert all(r["status"] == "processed" for r in response.json()["data"]), response.text


async def owner(p: Pipeline, tx: str) -> str:
    for _ in range(300):
        async with p.sessions() as session:
            found = await transaction_claims.owner_of(session=session, environment_id=p.tenancy.env_a.id,
                                                      transaction_id=tx)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no batched run claimed {tx}")


async def test_events_of_one_workflow_share_one_run_each_with_its_own_payload(pipeline: Pipeline) -> None:
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "note", steps=WITH_ACTOR)
    await bulk(pipeline, [{"name": "note", "to": f"r{i}", "payload": {"n": i}, "actor": f"a{i}",
                           "transactionId": f"tx-b{i}"} for i in range(30)])
    runs = {await owner(pipeline, f"tx-b{i}") for i in range(30)}
    assert len(runs) == 1  # one batched run for the 30 events
    result = await pipeline.temporal.get_workflow_handle(runs.pop(), result_type=RunResult).result()
    assert result.sent == 30
    messages = {m.subscriber_id: m for m in await pipeline.messages()}
    assert messages["r7"].content == "7 from a7 for r7" and messages["r29"].content == "29 from a29 for r29"
    assert messages["r7"].transaction_id == "tx-b7"
    # The run closed every transaction's notification in one go: each may now age out (retention).
    async with pipeline.sessions() as session:
        statuses = list(await session.scalars(select(Notification.status).where(
            Notification.environment_id == pipeline.tenancy.env_a.id, Notification.transaction_id.like("tx-b%"))))
    assert statuses == ["completed"] * 30


async def test_a_transaction_is_delivered_once_across_bulk_and_single_triggers(pipeline: Pipeline) -> None:
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "note", steps=IN_APP)
    single = await pipeline.trigger({"name": "note", "to": "s-first", "payload": {"n": 1}, "transactionId": "tx-s"})
    assert single.status_code == 201
    first = await pipeline.finish("tx-s")
    assert first.sent == 1, first
    await bulk(pipeline, [{"name": "note", "to": "b1", "payload": {"n": 1}, "transactionId": "tx-1"},
                          {"name": "note", "to": "b1", "payload": {"n": 1}, "transactionId": "tx-1"},  # repeated
                          {"name": "note", "to": "s-first", "payload": {"n": 2}, "transactionId": "tx-s"}])
    await pipeline.finish("tx-1")
    # Again in a later bulk, and as a single trigger after the bulk.
    await bulk(pipeline, [{"name": "note", "to": "b1", "payload": {"n": 1}, "transactionId": "tx-1"},
                          {"name": "note", "to": "b2", "payload": {"n": 1}, "transactionId": "tx-2"}])
    await pipeline.finish("tx-2")
    again = await pipeline.trigger({"name": "note", "to": "b1", "payload": {"n": 1}, "transactionId": "tx-1"})
    assert again.status_code == 201
    await pipeline.finish("tx-1")
    await asyncio.sleep(0.5)
    by_subscriber = [m.subscriber_id for m in await pipeline.messages()]
    assert sorted(by_subscriber) == ["b1", "b2", "s-first"]


async def test_cancel_one_transaction_of_a_batch_leaves_the_others_and_search_finds_it(pipeline: Pipeline) -> None:
    steps = [{"id": "wait", "type": "delay", "active": True, "controls": {"type": "regular", "amount": 1,
                                                                          "unit": "hours"}}, *IN_APP]
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "later", steps=steps)
    await bulk(pipeline, [{"name": "later", "to": f"w{i}", "payload": {"n": i}, "transactionId": f"tx-w{i}"}
                          for i in range(3)])
    run = await owner(pipeline, "tx-w1")
    handle = pipeline.temporal.get_workflow_handle(run, result_type=RunResult)
    for _ in range(200):  # until the three delay timers run
        history = [e async for e in handle.fetch_history_events()]
        if sum(e.HasField("timer_started_event_attributes") for e in history) == 3:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the delay timers never started")
    env = pipeline.tenancy.env_a.id
    query = f"EnvironmentId = '{env}' AND TransactionIds = 'tx-w1'"
    found = [e.id async for e in pipeline.temporal.list_workflows(query)]
    assert found == [run]
    response = await pipeline.client.delete("/v1/events/trigger/tx-w1", headers=pipeline.headers)
    assert (response.status_code, response.json()) == (200, {"data": True})
    await handle.signal("fast_forward")  # the other two wait no longer
    result = await handle.result()
    assert result.sent == 2
    assert sorted(m.subscriber_id for m in await pipeline.messages()) == ["w0", "w2"]
    explained = await pipeline.client.get("/v1/notifications/explain", params={"transactionId": "tx-w2"},
                                          headers=pipeline.headers)
    assert explained.status_code == 200, explained.text
    assert [r["subscriberId"] for r in explained.json()["data"]["recipients"]] == ["w2"]
    # The link is the batched run that carried the event (its trigger id has no workflow of its own).
    assert [(link["workflowId"], link["status"]) for link in explained.json()["data"]["runs"]] == [(run, "completed")]
    feed = await pipeline.client.get("/v1/notifications", params={"transactionId": "tx-w0"}, headers=pipeline.headers)
    assert feed.status_code == 200 and [n["transactionId"] for n in feed.json()["data"]] == ["tx-w0"]
    # The feed's link opens the batched run too, not the event's run key.
    assert feed.json()["data"][0]["temporalUrl"].endswith("/workflows/" + quote(run, safe=""))


async def test_redrive_of_one_batched_transaction_sends_its_failed_delivery_once(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["m1", "m2"], email=True)
    mail = {"id": "mail", "type": "email", "active": True, "controls": {"subject": "Hi", "body": "<p>Hello</p>"}}
    await add_workflow(pipeline.sessions, env, "news", steps=[mail])
    pipeline.mailbox.replies = ["550 5.7.1 service unavailable"]  # one refusal, then it works
    await bulk(pipeline, [{"name": "news", "to": f"m{i}", "transactionId": f"tx-m{i}"} for i in (1, 2)])
    one, two = await pipeline.finish("tx-m1"), await pipeline.finish("tx-m2")  # each transaction's own result
    assert sorted([(one.sent, one.failed), (two.sent, two.failed)]) == [(0, 1), (1, 0)]
    batched = pipeline.temporal.get_workflow_handle(await owner(pipeline, "tx-m1"), result_type=RunResult)
    assert await batched.query(BatchedTriggerWorkflow.transaction_result, "tx-m1") == one  # the query agrees
    assert ((await batched.result()).sent, (await batched.result()).failed) == (1, 1)
    failed = next(s for s in ("m1", "m2") if not pipeline.mailbox.to(f"{s}@example.test"))
    response = await pipeline.client.post(f"/v1/events/trigger/tx-{failed}/redrive", headers=pipeline.headers)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["deliveries"] == [{"subscriberId": failed, "stepId": "mail", "channel": "email", "state": "failed"}]
    await pipeline.temporal.get_workflow_handle(data["redriveWorkflowId"]).result()
    for person in ("m1", "m2"):
        assert len(pipeline.mailbox.to(f"{person}@example.test")) == 1, person


async def test_digest_per_recipient_inside_a_batched_run(pipeline: Pipeline) -> None:
    digest = {"name": "Digest", "type": "digest", "controlValues": {"amount": 2, "unit": "seconds"}}
    body = "{{ step.total_count }}: {% for e in step.events %}{{ e.payload.n }};{% endfor %}"
    wf = await create_workflow(pipeline, "comments", [digest, inbox(body)])
    await bulk(pipeline, [{"name": "comments", "to": to, "payload": {"n": i}, "transactionId": f"tx-d{i}"}
                          for i, to in enumerate(["ada", "bob", "ada", "ada", "bob"])])
    await pipeline.finish("tx-d0")
    for subscriber, expected in (("ada", [0, 2, 3]), ("bob", [1, 4])):
        outcome = await digest_done(pipeline, wf, "digest", subscriber_id=subscriber)
        assert (outcome.events, outcome.sent_events) == (len(expected), len(expected))
        [message] = await pipeline.messages(subscriber_id=subscriber, channel="in_app")
        count, events = message.content.split(" ")
        assert count == f"{len(expected)}:" and sorted(int(n) for n in events.strip(";").split(";")) == expected


async def test_concurrent_single_triggers_are_each_delivered_once_and_found_by_their_transaction_id(
    pipeline: Pipeline,
) -> None:
    """Triggers that arrive during another start share batched runs (api/operations/trigger_coalescing.py);
    however they were grouped, each keeps its payload, its own result and its search."""
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "note", steps=IN_APP)
    responses = await asyncio.gather(*(pipeline.trigger({"name": "note", "to": f"c{i}", "payload": {"n": i},
                                                         "transactionId": f"tx-c{i}"}) for i in range(20)))
    assert [r.status_code for r in responses] == [201] * 20
    assert [(await pipeline.finish(f"tx-c{i}")).sent for i in range(20)] == [1] * 20
    assert {m.subscriber_id: m.content for m in await pipeline.messages()} == {f"c{i}": f"{i} for c{i}"
                                                                               for i in range(20)}
    env = pipeline.tenancy.env_a.id
    runs: dict[str, list[str]] = {}
    for i in range(20):
        query = f"EnvironmentId = '{env}' AND (TransactionId = 'tx-c{i}' OR TransactionIds = 'tx-c{i}')"
        for _ in range(100):  # visibility follows the start by a moment
            if found := [e.id async for e in pipeline.temporal.list_workflows(query)]:
                break
            await asyncio.sleep(0.05)
        assert len(found) == 1, (i, found)
        runs.setdefault(found[0], []).append(f"tx-c{i}")
    assert sum(len(txs) for txs in runs.values()) == 20
    assert len(runs) < 20 and any(run.startswith("batch:") for run in runs)  # 20 at once: some shared a run
