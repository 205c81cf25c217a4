"""Every lifecycle event type reaches a subscribed endpoint once, signed (``standardwebhooks``),
however often the action behind it is repeated; an endpoint filtered to other types gets nothing."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy import select
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment

from activities import lifecycle
from core import unsubscribe_tokens
from core.run_identity import publish_workflow_id
from store import subscribers
from store.models import PublishedEvent
from tests.delivery.conftest import Receiver, until
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

IN_APP = [{"id": "bell", "type": "in_app", "active": True, "controls": {"body": "Hello {{ payload.n }}"}}]
NEW_TYPES = ["message.read", "message.seen", "message.archived", "workflow.run.completed", "workflow.run.failed",
             "subscriber.created", "preference.updated"]


async def call(p: Pipeline, method: str, path: str, body: Any = None, status: int = 200,
               headers: dict[str, str] | None = None) -> Any:
    response = await p.client.request(method, path, json=body, headers=headers or p.headers)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def endpoints(p: Pipeline, receiver: Receiver, types: list[str]) -> str:
    """Subscribe ``/hooks`` to ``types`` and ``/other`` to a type none of these tests emits; ``/hooks``' secret."""
    hooks = await call(p, "POST", "/v1/webhooks/endpoints", {"url": f"{receiver.url}/hooks", "eventTypes": types}, 201)
    await call(p, "POST", "/v1/webhooks/endpoints", {"url": f"{receiver.url}/other",
                                                     "eventTypes": ["message.bounced"]}, 201)
    return str(hooks["data"]["secret"])


async def recorded(p: Pipeline) -> list[tuple[str, str]]:
    """Every lifecycle event recorded in the environment, as (type, id)."""
    async with p.sessions() as session:
        rows = await session.scalars(select(PublishedEvent).where(PublishedEvent.environment_id == p.tenancy.env_a.id))
        return sorted((r.type, r.event_id) for r in rows)


async def arrived_once(p: Pipeline, receiver: Receiver, secret: str, expected: int) -> list[dict[str, Any]]:
    """Wait for ``expected`` distinct events at ``/hooks``; each verified and delivered exactly once."""
    await until(lambda: len({r.headers["webhook-id"] for r in receiver.at("/hooks")}) >= expected, timeout=60)
    hooks = receiver.at("/hooks")
    assert set(Counter(r.headers["webhook-id"] for r in hooks).values()) == {1}
    verified = [standardwebhooks.Webhook(secret).verify(r.body, r.headers) for r in hooks]
    assert len({v["id"] for v in verified}) == len(verified) == expected
    assert {v["type"] for v in verified} == {t for t, _ in await recorded(p)}
    assert sorted(v["id"] for v in verified) == sorted(i for _, i in await recorded(p))
    assert receiver.at("/other") == []
    return verified


async def in_app_messages(p: Pipeline, count: int) -> list[str]:
    await add_workflow(p.sessions, p.tenancy.env_a.id, "bell", steps=IN_APP)
    for n in range(count):
        tx = f"bell-{n}-{uuid.uuid4().hex[:6]}"
        response = await p.trigger({"name": "bell", "to": "ada", "payload": {"n": n}, "transactionId": tx})
        assert response.status_code == 201, response.text
        await p.finish(tx)
    return [str(m.id) for m in await p.messages(subscriber_id="ada", channel="in_app")]


async def test_inbox_flags_emit_once_per_change_on_every_face(delivery: Pipeline, receiver: Receiver) -> None:
    p = delivery
    await call(p, "POST", "/v1/subscribers", {"subscriberId": "ada"}, 201)
    one, two, three = await in_app_messages(p, 3)
    secret = await endpoints(p, receiver, ["message.read", "message.seen", "message.archived"])
    v2 = "/v2/subscribers/ada/notifications"
    for _ in range(2):  # the second time changes nothing, so emits nothing
        await call(p, "PATCH", f"{v2}/{one}/read")
        await call(p, "POST", "/v1/subscribers/ada/messages/mark-as", {"messageId": two, "markAs": "seen"}, 201)
    await call(p, "PATCH", f"{v2}/{one}/unread")  # unread, then read again: a second read event
    await call(p, "PATCH", f"{v2}/{one}/read")
    for _ in range(2):  # mark all: only what was not read yet (two, three) becomes read
        await call(p, "POST", f"{v2}/read", status=204)
    me = (await call(p, "GET", "/v1/environments/me"))["data"]
    await call(p, "PUT", f"/v1/environments/{me['_id']}", {"inboxHmac": False})
    app = me["applicationIdentifier"]
    token = (await call(p, "POST", "/v1/inbox/session", {"applicationIdentifier": app, "subscriberId": "ada"},
                        201))["data"]["token"]
    for _ in range(2):
        await call(p, "PATCH", f"/v1/inbox/notifications/{three}/archive", headers={"Authorization": f"Bearer {token}"})
    events = await recorded(p)
    assert Counter(t for t, _ in events) == {"message.seen": 3, "message.read": 4, "message.archived": 1}
    assert sum(i.startswith(f"msg:{one}:read:") for _, i in events) == 2
    verified = await arrived_once(p, receiver, secret, len(events))
    archived = [v for v in verified if v["type"] == "message.archived"]
    assert archived[0]["data"]["messageId"] == three and archived[0]["data"]["subscriberId"] == "ada"
    assert archived[0]["topic"] == "lifecycle" and archived[0]["data"]["channel"] == "in_app"


async def session_token(p: Pipeline, subscriber_id: str) -> dict[str, str]:
    me = (await call(p, "GET", "/v1/environments/me"))["data"]
    await call(p, "PUT", f"/v1/environments/{me['_id']}", {"inboxHmac": False})
    body = {"applicationIdentifier": me["applicationIdentifier"], "subscriberId": subscriber_id}
    return {"Authorization": f"Bearer {(await call(p, 'POST', '/v1/inbox/session', body, 201))['data']['token']}"}


async def test_bulk_marks_and_action_answers_emit_once(delivery: Pipeline, receiver: Receiver) -> None:
    p = delivery
    await call(p, "POST", "/v1/subscribers", {"subscriberId": "ada"}, 201)
    one, _, _ = await in_app_messages(p, 3)
    secret = await endpoints(p, receiver, ["message.read", "message.seen", "message.archived"])
    bearer = await session_token(p, "ada")
    v2 = "/v2/subscribers/ada/notifications"
    for _ in range(2):
        await call(p, "PATCH", f"{v2}/{one}/actions/primary/complete")  # answering reads (and sees) it
        await call(p, "POST", "/v1/subscribers/ada/messages/mark-all", {"markAs": "seen"}, 201)
        await call(p, "POST", "/v1/inbox/notifications/read", status=204, headers=bearer)
        await call(p, "POST", f"{v2}/archive", status=204)
    events = await recorded(p)
    assert Counter(t for t, _ in events) == {"message.seen": 3, "message.read": 3, "message.archived": 3}
    await arrived_once(p, receiver, secret, 9)


async def test_subscribers_created_by_every_route_and_inline_on_trigger(delivery: Pipeline, receiver: Receiver) -> None:
    p = delivery
    secret = await endpoints(p, receiver, ["subscriber.created"])
    for _ in range(2):
        await call(p, "POST", "/v1/subscribers", {"subscriberId": "v1", "email": "v1@example.test"}, 201)
        bulk = {"subscribers": [{"subscriberId": "v1"}, {"subscriberId": "bulk"}]}
        await call(p, "POST", "/v1/subscribers/bulk", bulk, 201)
        await call(p, "POST", "/v2/subscribers", {"subscriberId": "v2"}, 201)
    me = (await call(p, "GET", "/v1/environments/me"))["data"]
    await call(p, "PUT", f"/v1/environments/{me['_id']}", {"inboxHmac": False})
    for _ in range(2):  # an Inbox session of an unknown subscriber creates it
        body = {"applicationIdentifier": me["applicationIdentifier"], "subscriberId": "widget"}
        await call(p, "POST", "/v1/inbox/session", body, 201)
    for n in range(2):  # the second trigger finds the inline subscriber stored
        tx = f"inline-{n}"
        response = await p.trigger({"name": "welcome", "to": {"subscriberId": "inline", "email": "i@example.test"},
                                    "transactionId": tx})
        assert response.status_code == 201, response.text
        await p.finish(tx)
    events = await recorded(p)
    assert [t for t, _ in events] == ["subscriber.created"] * 5
    verified = await arrived_once(p, receiver, secret, 5)
    assert sorted(v["data"]["subscriberId"] for v in verified) == ["bulk", "inline", "v1", "v2", "widget"]
    assert {v["data"]["email"] for v in verified if v["data"]["subscriberId"] == "inline"} == {"i@example.test"}


async def test_preference_changes_emit_only_when_something_changed(delivery: Pipeline, receiver: Receiver) -> None:
    p = delivery
    await call(p, "POST", "/v1/subscribers", {"subscriberId": "ada"}, 201)
    workflow = (await call(p, "GET", "/v2/workflows/welcome"))["data"]["_id"]
    secret = await endpoints(p, receiver, ["preference.updated"])
    base = "/v1/subscribers/ada/preferences"
    bearer = await session_token(p, "ada")
    for _ in range(2):
        await call(p, "PATCH", base, {"preferences": [{"type": "sms", "enabled": False}]})
        await call(p, "PATCH", "/v2/subscribers/ada/preferences", {"channels": {"chat": False}})
        await call(p, "PATCH", "/v1/inbox/preferences", {"push": False}, headers=bearer)
        await call(p, "PATCH", f"{base}/{workflow}", {"channel": {"type": "in_app", "enabled": False}})
    token = unsubscribe_tokens.make(p.settings.secret_key.get_secret_value(), unsubscribe_tokens.Unsubscribe(
        str(p.tenancy.env_a.id), "ada", workflow))
    for _ in range(2):
        assert (await p.client.post(f"/v1/unsubscribe/{token}")).status_code == 200
    events = await recorded(p)
    assert [t for t, _ in events] == ["preference.updated"] * 5
    verified = await arrived_once(p, receiver, secret, 5)
    last = max((v for v in verified if v["data"]["workflowId"] == workflow), key=lambda v: v["data"]["occurredAt"])
    assert last["data"]["channels"] == {"in_app": False, "email": False}
    assert last["data"]["previous"]["channels"] == {"in_app": False}


async def test_trigger_runs_emit_completed_and_failed(delivery: Pipeline, receiver: Receiver) -> None:
    p = delivery
    await call(p, "POST", "/v1/subscribers", {"subscriberId": "ada"}, 201)
    await add_workflow(p.sessions, p.tenancy.env_a.id, "broken", steps=[{"id": "x", "type": "bogus", "active": True,
                                                                          "controls": {}}])
    secret = await endpoints(p, receiver, ["workflow.run.completed", "workflow.run.failed"])
    ok = await p.trigger({"name": "welcome", "to": "ada", "transactionId": "run-ok"})
    bad = await p.trigger({"name": "broken", "to": "ada", "transactionId": "run-bad"})
    assert ok.status_code == bad.status_code == 201, bad.text
    await p.finish("run-ok")
    await p.trigger({"name": "welcome", "to": "ada", "transactionId": "run-ok"})  # a duplicate: no second run
    verified = await arrived_once(p, receiver, secret, 2)
    assert len(await recorded(p)) == 2
    by_type = {v["type"]: v["data"] for v in verified}
    assert by_type["workflow.run.completed"]["transactionId"] == "run-ok"
    assert by_type["workflow.run.completed"]["recipients"] == 1
    assert by_type["workflow.run.failed"]["transactionId"] == "run-bad" and by_type["workflow.run.failed"]["error"]


async def test_a_retried_activity_starts_the_creation_event_its_first_attempt_recorded(
    delivery: Pipeline, receiver: Receiver
) -> None:
    p = delivery
    secret = await endpoints(p, receiver, ["subscriber.created"])
    env = p.tenancy.env_a.id
    async with p.sessions() as session, session.begin():  # the first attempt commits, then its worker dies
        await subscribers.upsert_many(session=session, environment_id=env, profiles={"lost": {"email": "l@x.test"}})

    async def attempt() -> None:  # what an activity upserting "lost" again does
        async with p.sessions() as session, session.begin():
            await subscribers.upsert_many(session=session, environment_id=env, profiles={"lost": {}})
        await lifecycle.start_committed(session, str(env))

    activities = ActivityEnvironment(client=p.temporal)
    activities.info = replace(activities.info, task_queue=p.settings.temporal.task_queue, attempt=1)
    await activities.run(attempt)  # a first attempt finding the subscriber stored has nothing to start
    ((_, event_id),) = await recorded(p)
    with pytest.raises(RPCError):
        await p.temporal.get_workflow_handle(publish_workflow_id(str(env), event_id)).describe()
    activities.info = replace(activities.info, attempt=2)
    await activities.run(attempt)
    (verified,) = await arrived_once(p, receiver, secret, 1)
    assert verified["data"]["subscriberId"] == "lost" and verified["data"]["email"] == "l@x.test"
