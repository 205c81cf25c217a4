"""Re-drive after a provider outage: failed and unknown deliveries are sent again, successes never."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from clarion.operate import redrive_command
from core.redrive_payloads import RedriveResult
from core.settings import DatabaseSettings
from store.models import Message
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers, add_workflow

INBOX = {"id": "inbox", "type": "in_app", "active": True, "controls": {"body": "Hello"}}
MAIL = {"id": "mail", "type": "email", "active": True, "controls": {"subject": "Hi", "body": "<p>Hello</p>"}}
PEOPLE = ["p1", "p2", "p3", "p4"]


async def redrive(p: Pipeline, tx: str, body: dict[str, Any] | None = None, status: int = 201) -> dict[str, Any]:
    response = await p.client.post(f"/v1/events/trigger/{tx}/redrive", json=body, headers=p.headers)
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data["data"] if status == 201 else data


async def finished(p: Pipeline, workflow_id: str) -> RedriveResult:
    return await p.temporal.get_workflow_handle(workflow_id, result_type=RedriveResult).result()


async def test_redrive_after_an_outage_sends_each_failed_delivery_once_and_successes_never(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, PEOPLE, email=True)
    await add_workflow(pipeline.sessions, env, "news", steps=[INBOX, MAIL])
    pipeline.mailbox.replies = ["550 5.7.1 service unavailable"] * 2  # the outage: two refusals, then it works
    await pipeline.trigger({"name": "news", "to": PEOPLE, "transactionId": "tx-outage"})
    result = await pipeline.finish("tx-outage")
    assert (result.sent, result.failed) == (6, 2)
    delivered = {p for p in PEOPLE if pipeline.mailbox.to(f"{p}@example.test")}
    failed = sorted(set(PEOPLE) - delivered)
    assert len(failed) == 2

    data = await redrive(pipeline, "tx-outage")
    assert data["started"] and data["redriveWorkflowId"] == f"redrive:{env}:tx-outage"
    assert data["deliveries"] == [{"subscriberId": s, "stepId": "mail", "channel": "email", "state": "failed"}
                                  for s in failed]
    done = await finished(pipeline, data["redriveWorkflowId"])
    assert (done.reopened, done.result.sent, done.result.failed) == (2, 2, 0)
    for person in PEOPLE:  # exactly one email each, and exactly one message row per step and subscriber
        assert len(pipeline.mailbox.to(f"{person}@example.test")) == 1, person
    messages = await pipeline.messages(transaction_id="tx-outage")
    assert sorted((m.subscriber_id, m.channel, m.status) for m in messages) == sorted(
        [(p, "in_app", "sent") for p in PEOPLE] + [(p, "email", "sent") for p in PEOPLE])
    assert len(pipeline.mailbox.messages) == 4

    again = await redrive(pipeline, "tx-outage")
    assert again == {"transactionId": "tx-outage", "started": False, "redriveWorkflowId": None,
                     "temporalUrl": None, "deliveries": [], "failed": 0, "unknown": 0}
    explained = await pipeline.client.get("/v1/notifications/explain", headers=pipeline.headers,
                                          params={"transactionId": "tx-outage", "subscriberId": failed[0]})
    recipient = explained.json()["data"]["recipients"][0]
    assert recipient["outcome"] == "sent"
    assert any(e["decision"].startswith(f"Re-driven by redrive:{env}:tx-outage") for e in recipient["timeline"])
    assert [r["role"] for r in recipient["runs"]] == ["trigger", "redrive"]


async def test_redrive_takes_an_unknown_outcome_and_narrows_by_subscriber_and_channel(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, PEOPLE, email=True)
    await add_workflow(pipeline.sessions, env, "news", steps=[INBOX, MAIL])
    await pipeline.trigger({"name": "news", "to": PEOPLE, "transactionId": "tx-unknown"})
    await pipeline.finish("tx-unknown")
    # As the step activity records a send cut off by a dying worker (activities/dispatch.py).
    async with pipeline.sessions() as session, session.begin():
        await session.execute(update(Message).where(Message.subscriber_id.in_(["p2", "p3"]), Message.channel == "email")
                              .values(status="warning", error_text="outcome unknown: worker stopped mid-send"))
    only_failed = await redrive(pipeline, "tx-unknown", {"include": ["failed"]})
    assert only_failed["deliveries"] == [] and only_failed["started"] is False  # unknowns are left alone
    data = await redrive(pipeline, "tx-unknown", {"subscriberIds": ["p2"], "channels": ["email"],
                                                  "include": ["unknown"]})
    assert data["deliveries"] == [{"subscriberId": "p2", "stepId": "mail", "channel": "email", "state": "unknown"}]
    assert (data["unknown"], data["failed"]) == (1, 0)
    await finished(pipeline, data["redriveWorkflowId"])
    assert len(pipeline.mailbox.to("p2@example.test")) == 2  # at least once: the operator chose to resend
    assert len(pipeline.mailbox.to("p3@example.test")) == 1  # not asked for
    mails = await pipeline.messages(transaction_id="tx-unknown", channel="email")
    statuses = {m.subscriber_id: m.status for m in mails}
    assert statuses == {"p1": "sent", "p2": "sent", "p3": "warning", "p4": "sent"}
    assert (await redrive(pipeline, "tx-unknown", {"channels": ["in_app"]}))["deliveries"] == []


async def test_redrive_refusals(pipeline: Pipeline) -> None:
    missing = await redrive(pipeline, "tx-never", status=404)
    assert missing["statusCode"] == 404 and "tx-never" in missing["message"]
    bad = await redrive(pipeline, "tx-never", {"channels": ["pigeon"]}, status=422)  # the app's validation shape
    assert "channels.0" in bad["errors"], bad
    wrong = await redrive(pipeline, "tx-never", {"include": ["lost"]}, status=422)
    assert "include.0" in wrong["errors"], wrong
    hour = {"type": "regular", "amount": 1, "unit": "hours"}
    wait = {"id": "wait", "type": "delay", "active": True, "controls": hour}
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "later", steps=[INBOX, wait, MAIL])
    await pipeline.trigger({"name": "later", "to": "ada", "transactionId": "tx-running"})
    for _ in range(100):  # until the first step has run, so the transaction exists in the store
        if await pipeline.messages(transaction_id="tx-running"):
            break
        await asyncio.sleep(0.05)
    running = await redrive(pipeline, "tx-running", status=409)
    assert "still running" in running["message"]
    cancel = await pipeline.client.delete("/v1/events/trigger/tx-running", headers=pipeline.headers)
    assert cancel.status_code == 200


# The command reads the database by URL; a PostgreSQL test schema has no URL of its own.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_clarion_redrive_starts_the_same_redrive(pipeline: Pipeline, engine: AsyncEngine) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["p1"], email=True)
    await add_workflow(pipeline.sessions, env, "mail", steps=[MAIL])
    pipeline.mailbox.replies = ["550 5.7.1 service unavailable"]
    await pipeline.trigger({"name": "mail", "to": "p1", "transactionId": "tx-cli"})
    await pipeline.finish("tx-cli")
    settings = pipeline.settings.model_copy(update={"database": DatabaseSettings(url=str(engine.url))})
    lines = await redrive_command(settings, str(env), "tx-cli", subscriber_ids=[], channels=["email"], steps=[],
                                  client=pipeline.temporal)
    assert lines[:2] == [f"re-drive redrive:{env}:tx-cli: 1 delivery(ies), 0 of them unknown",
                         "  p1  mail (email)  failed"]
    await finished(pipeline, f"redrive:{env}:tx-cli")
    assert len(pipeline.mailbox.to("p1@example.test")) == 1
    nothing = await redrive_command(settings, str(env), "tx-cli", subscriber_ids=[], channels=[], steps=[],
                                    client=pipeline.temporal)
    assert nothing == ["nothing to re-drive: no delivery of tx-cli ended failed or unknown"]
    with pytest.raises(SystemExit, match="channels"):
        await redrive_command(settings, str(env), "tx-cli", subscriber_ids=[], channels=["pigeon"], steps=[],
                              client=pipeline.temporal)
