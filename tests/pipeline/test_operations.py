"""What operators rely on: visibility search, cancel, retries and failures in the execution details."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from store.models import ExecutionDetail
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_topic, add_workflow
from tests.pipeline.test_fanout import IN_APP_ONLY

ADA = {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"}


async def search(pipeline: Pipeline, query: str, expected: int) -> list[str]:
    env = pipeline.tenancy.env_a.id
    found: list[str] = []
    for _ in range(100):  # visibility is eventually consistent
        found = [w.id async for w in pipeline.temporal.list_workflows(f"EnvironmentId = '{env}' AND {query}")]
        if len(found) >= expected:
            return sorted(found)
        await asyncio.sleep(0.1)
    return sorted(found)


async def details(pipeline: Pipeline, subscriber_id: str) -> list[ExecutionDetail]:
    async with pipeline.sessions() as session:
        query = select(ExecutionDetail).filter_by(subscriber_id=subscriber_id).order_by(ExecutionDetail.created_at)
        return list(await session.scalars(query))


async def test_runs_are_found_by_transaction_and_subscriber(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await pipeline.trigger({"name": "welcome", "to": ADA, "transactionId": "tx-vis"})
    await pipeline.finish("tx-vis")
    assert await search(pipeline, "TransactionId = 'tx-vis'", 1) == [f"trigger:{env}:tx-vis"]
    assert await search(pipeline, "SubscriberId = 'ada'", 1) == [f"trigger:{env}:tx-vis"]
    assert await search(pipeline, "WorkflowIdentifier = 'welcome'", 1) == [f"trigger:{env}:tx-vis"]

    # A topic's members are labelled on the child run that delivered to them.
    await add_workflow(pipeline.sessions, env, "note", steps=IN_APP_ONLY)
    await add_topic(pipeline.sessions, env, "crew", [f"m{i:02}" for i in range(60)])
    await pipeline.trigger({"name": "note", "to": {"type": "Topic", "topicKey": "crew"}, "transactionId": "tx-crew"})
    await pipeline.finish("tx-crew")
    assert len(await search(pipeline, "TransactionId = 'tx-crew'", 3)) == 3  # the trigger and two batches
    assert await search(pipeline, "SubscriberId = 'm55'", 1) == [f"trigger:{env}:tx-crew:run:1"]


async def test_cancel_stops_a_run_in_progress(pipeline: Pipeline) -> None:
    pipeline.mailbox.hold_seconds = 20  # the email step hangs on a slow server
    await pipeline.trigger({"name": "welcome", "to": ADA, "transactionId": "tx-cancel"})
    for _ in range(200):
        if pipeline.mailbox.messages:
            break
        await asyncio.sleep(0.05)
    response = await pipeline.client.delete("/v1/events/trigger/tx-cancel", headers=pipeline.headers)
    assert response.status_code == 200
    assert response.json() == {"data": True}
    pipeline.mailbox.hold_seconds = 0
    handle = pipeline.temporal.get_workflow_handle(f"trigger:{pipeline.tenancy.env_a.id}:tx-cancel")
    for _ in range(100):
        if (await handle.describe()).status == WorkflowExecutionStatus.CANCELED:
            break
        await asyncio.sleep(0.1)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    again = await pipeline.client.delete("/v1/events/trigger/tx-cancel", headers=pipeline.headers)
    assert again.json() == {"data": False}
    unknown = await pipeline.client.delete("/v1/events/trigger/never-seen", headers=pipeline.headers)
    assert unknown.json() == {"data": False}


async def test_foreign_key_cannot_cancel(pipeline: Pipeline) -> None:
    pipeline.mailbox.hold_seconds = 1
    await pipeline.trigger({"name": "welcome", "to": ADA, "transactionId": "tx-mine"})
    foreign = await pipeline.client.delete(
        "/v1/events/trigger/tx-mine", headers={"Authorization": f"ApiKey {pipeline.tenancy.key_b}"}
    )
    assert foreign.json() == {"data": False}
    assert (await pipeline.finish("tx-mine")).failed == 0


async def test_a_temporary_smtp_failure_is_retried_and_sent_once(pipeline: Pipeline) -> None:
    pipeline.mailbox.replies = ["451 4.3.0 Try again later"]
    await pipeline.trigger({"name": "welcome", "to": ADA, "transactionId": "tx-retry"})
    result = await pipeline.finish("tx-retry")
    assert (result.sent, result.failed) == (2, 0)
    assert len(pipeline.mailbox.to("ada@example.test")) == 1
    notes = [(d.status, d.detail) for d in await details(pipeline, "ada") if d.channel == "email"]
    assert notes[0][0] == "warning" and "will retry" in notes[0][1]
    assert notes[-1] == ("success", "Message sent")


async def test_a_permanent_smtp_failure_is_recorded_not_retried(pipeline: Pipeline) -> None:
    pipeline.mailbox.replies = ["550 5.1.1 No such user"]
    await pipeline.trigger({"name": "welcome", "to": ADA, "transactionId": "tx-perm"})
    result = await pipeline.finish("tx-perm")
    assert (result.sent, result.failed) == (1, 1)
    [email] = await pipeline.messages(channel="email")
    assert email.status == "error" and "550" in (email.error_text or "")
    failed = [d for d in await details(pipeline, "ada") if d.status == "failed"]
    assert len(failed) == 1 and "550" in failed[0].detail


async def test_an_edited_workflow_applies_to_the_next_trigger(pipeline: Pipeline) -> None:
    await pipeline.trigger({"name": "welcome", "to": "ada", "transactionId": "tx-before"})
    await pipeline.finish("tx-before")
    patched = await pipeline.client.patch("/v2/workflows/welcome", json={"active": False}, headers=pipeline.headers)
    assert patched.status_code == 200, patched.text
    response = await pipeline.trigger({"name": "welcome", "to": "ada", "transactionId": "tx-after"})
    assert response.json()["data"]["status"] == "trigger_not_active"
    try:
        await pipeline.temporal.get_workflow_handle(f"trigger:{pipeline.tenancy.env_a.id}:tx-after").describe()
        raise AssertionError("an inactive workflow was started")
    except RPCError:
        pass


async def test_a_failed_step_marked_stop_on_failure_ends_the_run(pipeline: Pipeline) -> None:
    steps = [
        {"id": "mail", "type": "email", "controls": {"subject": "Hi", "body": "<p>Hi</p>", "stopOnFailure": True}},
        {"id": "inbox", "type": "in_app", "controls": {"body": "after the email"}},
    ]
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "strict", steps=steps)
    pipeline.mailbox.replies = ["550 5.1.1 No such user"]
    await pipeline.trigger({"name": "strict", "to": ADA, "transactionId": "tx-stop"})
    result = await pipeline.finish("tx-stop")
    assert (result.sent, result.failed) == (0, 1)
    assert await pipeline.messages(channel="in_app") == []

    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "lenient",
                       steps=[{**steps[0], "controls": {"subject": "Hi", "body": "<p>Hi</p>"}}, steps[1]])
    pipeline.mailbox.replies = ["550 5.1.1 No such user"]
    await pipeline.trigger({"name": "lenient", "to": ADA, "transactionId": "tx-go-on"})
    assert (await pipeline.finish("tx-go-on")).sent == 1
    assert len(await pipeline.messages(channel="in_app")) == 1
