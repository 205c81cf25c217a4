"""Dry run: who would receive what and why not, with the store left byte-for-byte unchanged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.base import Base
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers, add_topic, add_workflow, set_preference

INBOX = {"id": "inbox", "type": "in_app", "active": True,
         "controls": {"body": "Hi {{ subscriber.firstName or 'you' }}: {{ payload.n }}",
                      "conditions": {"field": "payload.n", "op": ">", "value": 0}}}
THROTTLE = {"id": "throttle", "type": "throttle", "active": True,
            "controls": {"threshold": 1, "amount": 1, "unit": "hours"}}
MAIL = {"id": "mail", "type": "email", "active": True,
        "controls": {"subject": "News for {{ subscriber.firstName or 'you' }}",
                     "body": "<p>{{ payload.n }}</p>"}}


async def snapshot(p: Pipeline) -> dict[str, list[str]]:
    """Every row of every table, as text: equal snapshots mean an unchanged store."""
    async with p.sessions() as session:
        return {table.name: sorted(repr(tuple(row)) for row in await session.execute(select(table)))
                for table in Base.metadata.sorted_tables}


def step(recipient: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in recipient["steps"] if s["stepId"] == step_id)
    return found


async def test_a_dry_run_answers_who_would_get_what_and_changes_nothing(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["ada", "bob"], email=True)
    await add_topic(pipeline.sessions, env, "team", ["bob", "carl", "dan"])
    wf = await add_workflow(pipeline.sessions, env, "news", steps=[INBOX, THROTTLE, MAIL])
    await set_preference(pipeline.sessions, env, "ada", workflow_id=wf, channels={"email": False})
    await pipeline.trigger({"name": "news", "to": "bob", "payload": {"n": 1}, "transactionId": "tx-real"})
    await pipeline.finish("tx-real")  # bob used his one pass of the hour
    mails = len(pipeline.mailbox.messages)
    before = await snapshot(pipeline)
    assert before["throttle_claims"] and before["messages"]

    response = await pipeline.trigger({
        "name": "news", "payload": {"n": 1}, "actor": "dan", "dryRun": True, "transactionId": "tx-dry",
        "to": ["ada", {"subscriberId": "newbie", "email": "newbie@example.test", "firstName": "Newbie"},
               {"type": "Topic", "topicKey": "team"}],
    })
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["status"], data["transactionId"]) == ("dry_run", "tx-dry")
    dry = data["dryRun"]
    assert (dry["total"], dry["truncated"], dry["droppedActor"]) == (4, False, "dan")
    people = {r["subscriberId"]: r for r in dry["recipients"]}
    assert [(r["subscriberId"], r["resolvedBy"], r["known"]) for r in dry["recipients"]] == [
        ("ada", "listed in 'to'", True), ("newbie", "listed in 'to'", False), ("bob", "topic 'team'", True),
        ("carl", "topic 'team'", True)]
    ada = people["ada"]
    assert step(ada, "inbox")["outcome"] == "would_send" and step(ada, "inbox")["content"]["body"] == "Hi you: 1"
    assert step(ada, "throttle")["outcome"] == "would_pass"
    mail = step(ada, "mail")
    assert mail["outcome"] == "skipped" and mail["evidence"]["rule"] == "subscriber workflow switch"
    newbie = step(people["newbie"], "mail")
    assert newbie["outcome"] == "would_send" and newbie["content"]["subject"] == "News for Newbie"
    assert newbie["integration"]
    bob = people["bob"]
    assert [s["outcome"] for s in bob["steps"]] == ["would_send", "throttled"]
    assert step(bob, "throttle")["evidence"] | {"key": None} == {"limit": 1, "windowSeconds": 3600.0, "used": 1,
                                                                 "key": None}
    carl = step(people["carl"], "mail")  # no email address: unreachable on email
    assert (carl["outcome"], carl["reason"]) == ("skipped", "subscriber has no email address")

    assert await snapshot(pipeline) == before  # byte for byte: no row added, removed or changed
    assert len(pipeline.mailbox.messages) == mails

    response = await pipeline.trigger({"name": "news", "payload": {"n": 0}, "to": "ada", "dryRun": True})
    [ada] = response.json()["data"]["dryRun"]["recipients"]
    inbox = step(ada, "inbox")
    assert inbox["outcome"] == "skipped" and inbox["reason"] == "condition not met: payload.n > 0 is false"
    assert inbox["evidence"]["conditions"][0]["actual"] == 0
    assert await snapshot(pipeline) == before


async def test_bulk_dry_run_and_a_refused_dry_run(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_workflow(pipeline.sessions, env, "off", active=False)
    before = await snapshot(pipeline)
    response = await pipeline.client.post("/v1/events/trigger/bulk", headers=pipeline.headers, json={"events": [
        {"name": "welcome", "to": {"subscriberId": "zoe", "email": "zoe@example.test"}, "dryRun": True},
        {"name": "off", "to": "zoe", "dryRun": True},
    ]})
    assert response.status_code == 201, response.text
    first, second = response.json()["data"]
    assert first["status"] == "dry_run" and first["dryRun"]["recipients"][0]["subscriberId"] == "zoe"
    assert {s["outcome"] for s in first["dryRun"]["recipients"][0]["steps"]} == {"would_send"}
    assert second == {"acknowledged": True, "status": "trigger_not_active", "transactionId": second["transactionId"]}
    assert await snapshot(pipeline) == before


async def test_step_preview_renders_one_step_with_a_payload(pipeline: Pipeline) -> None:
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "news", steps=[INBOX, THROTTLE, MAIL])
    before = await snapshot(pipeline)
    url = "/v2/workflows/news/step/mail/preview"
    body = {"previewPayload": {"payload": {"n": 7}, "subscriber": {"firstName": "Grace"}}}
    response = await pipeline.client.post(url, json=body, headers=pipeline.headers)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["result"]["type"] == "email"
    assert data["result"]["preview"]["subject"] == "News for Grace" and "<p>7</p>" in data["result"]["preview"]["body"]
    assert data["previewPayloadExample"]["payload"] == {"n": 7}
    # Control values replace the saved ones; the step's conditions never hide a preview (n is 0 here).
    body = {"controlValues": {"body": "Changed {{ payload.n }}"}, "previewPayload": {"payload": {"n": 0}}}
    response = await pipeline.client.post("/v2/workflows/news/step/inbox/preview", json=body, headers=pipeline.headers)
    assert response.json()["data"]["result"] == {"type": "in_app", "preview": {"body": "Changed 0"}}
    missing = await pipeline.client.post("/v2/workflows/news/step/nope/preview", json={}, headers=pipeline.headers)
    assert missing.status_code == 404 and missing.json()["statusCode"] == 404
    assert await snapshot(pipeline) == before
