"""Delivery through stored integrations: failover between two SMTP servers, retries, and the
sms, chat, push and webhook steps end to end against local servers that record what they receive."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import standardwebhooks
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from sqlalchemy import select

from store.models import ExecutionDetail, Job
from tests.pipeline.conftest import Mailbox, Pipeline
from tests.pipeline.factories import add_workflow
from tests.sdk import serve

ADA = {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"}
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
EMAIL_ONLY = [{"id": "mail", "type": "email", "active": True,
               "controls": {"subject": "Hi {{ subscriber.firstName }}", "body": "<p>Hello</p>"}}]


@pytest.fixture
def second_smtp() -> Any:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    """A local HTTP server answering like Slack, an SMS gateway, Expo and a webhook receiver."""
    seen: list[tuple[str, dict[str, str], bytes]] = []
    app = FastAPI()

    @app.post("/{path:path}")
    async def record(path: str, request: Request) -> Any:
        seen.append(("/" + path, dict(request.headers), await request.body()))
        if path.endswith("push/send"):
            return {"data": [{"status": "ok", "id": "ticket-1"}]}
        return {"id": "remote-1"}

    async with serve(app) as url:
        yield url, seen


async def integrate(pipeline: Pipeline, body: dict[str, Any]) -> None:
    response = await pipeline.client.post("/v1/integrations", json=body, headers=pipeline.headers)
    assert response.status_code == 201, response.text


def smtp(identifier: str, port: int) -> dict[str, Any]:
    credentials = {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "c@example.test"}
    return {"providerId": "smtp", "identifier": identifier, "credentials": credentials}


async def details(pipeline: Pipeline, channel: str) -> list[ExecutionDetail]:
    async with pipeline.sessions() as session:
        query = select(ExecutionDetail).filter_by(channel=channel).order_by(ExecutionDetail.created_at)
        return list(await session.scalars(query))


async def test_primary_refuses_and_the_second_integration_delivers(
    pipeline: Pipeline, second_smtp: tuple[Mailbox, int]
) -> None:
    backup, backup_port = second_smtp
    await integrate(pipeline, smtp("primary-mail", pipeline.settings.smtp.port))
    await integrate(pipeline, smtp("backup-mail", backup_port))
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "mail", steps=EMAIL_ONLY)
    pipeline.mailbox.replies = ["550 5.7.1 relaying denied"]
    await pipeline.trigger({"name": "mail", "to": ADA, "transactionId": "tx-failover"})
    result = await pipeline.finish("tx-failover")
    assert (result.sent, result.failed) == (1, 0)
    assert pipeline.mailbox.messages == [] and len(backup.to("ada@example.test")) == 1
    attempts = await details(pipeline, "email")
    assert [(d.status, d.provider_id, (d.raw or {}).get("integration")) for d in attempts] == [
        ("warning", "smtp", "primary-mail"), ("success", "smtp", "backup-mail")
    ]
    assert "550" in attempts[0].detail and "trying the next integration" in attempts[0].detail
    assert all(d.duration_ms is not None and d.duration_ms >= 0 for d in attempts)
    [message] = await pipeline.messages(transaction_id="tx-failover")
    assert (message.status, message.provider_id) == ("sent", "smtp")


async def test_a_temporary_refusal_is_retried_by_temporal(pipeline: Pipeline) -> None:
    await integrate(pipeline, smtp("only-mail", pipeline.settings.smtp.port))
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "mail", steps=EMAIL_ONLY)
    pipeline.mailbox.replies = ["451 4.3.0 try again later"]
    await pipeline.trigger({"name": "mail", "to": ADA, "transactionId": "tx-retry"})
    result = await pipeline.finish("tx-retry")
    assert (result.sent, result.failed) == (1, 0)
    assert len(pipeline.mailbox.messages) == 1  # sent once, on the second attempt
    assert [d.status for d in await details(pipeline, "email")] == ["warning", "success"]


async def test_override_picks_the_integration(pipeline: Pipeline, second_smtp: tuple[Mailbox, int]) -> None:
    backup, backup_port = second_smtp
    await integrate(pipeline, smtp("primary-mail", pipeline.settings.smtp.port))
    await integrate(pipeline, smtp("backup-mail", backup_port))
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "mail", steps=EMAIL_ONLY)
    overrides = {"email": {"integrationIdentifier": "backup-mail"}}
    await pipeline.trigger({"name": "mail", "to": ADA, "transactionId": "tx-pick", "overrides": overrides})
    await pipeline.finish("tx-pick")
    assert pipeline.mailbox.messages == [] and len(backup.messages) == 1


STEPS = [
    {"id": "text", "type": "sms", "active": True, "controls": {"body": "Code {{ payload.code }}"}},
    {"id": "talk", "type": "chat", "active": True, "controls": {"body": "Hi {{ subscriber.firstName }}"}},
    {"id": "buzz", "type": "push", "active": True,
     "controls": {"subject": "Ping", "body": "Code {{ payload.code }}", "data": {"k": "v"}}},
    {"id": "hook", "type": "webhook", "active": True,
     "controls": {"eventType": "code.sent", "body": '{"code": {{ payload.code | tojson }}}'}},
]


async def test_sms_chat_push_and_webhook_steps_deliver(pipeline: Pipeline, recorder: Any) -> None:
    url, seen = recorder
    await integrate(pipeline, {"providerId": "http_sms", "credentials": {"url": f"{url}/sms"}})
    await integrate(pipeline, {"providerId": "slack_webhook", "credentials": {}})
    await integrate(pipeline, {"providerId": "expo_push", "credentials": {"baseUrl": url}})
    await integrate(pipeline, {"providerId": "webhook", "credentials": {"url": f"{url}/hook", "secret": SECRET}})
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "multi", steps=STEPS)
    ada = {**ADA, "phone": "+15550001", "channels": [
        {"providerId": "slack", "credentials": {"webhookUrl": f"{url}/slack"}},
        {"providerId": "expo", "credentials": {"deviceTokens": ["ExponentPushToken[abc]"]}},
    ]}
    await pipeline.trigger({"name": "multi", "to": ada, "payload": {"code": "42"}, "transactionId": "tx-multi"})
    result = await pipeline.finish("tx-multi")
    assert (result.sent, result.failed, result.skipped) == (4, 0, 0)
    by_path = {path: (headers, body) for path, headers, body in seen}
    assert set(by_path) == {"/sms", "/slack", "/--/api/v2/push/send", "/hook"}
    assert b'"+15550001"' in by_path["/sms"][1] and b"Code 42" in by_path["/sms"][1]
    assert b"Hi Ada" in by_path["/slack"][1]
    assert b"ExponentPushToken[abc]" in by_path["/--/api/v2/push/send"][1]
    headers, body = by_path["/hook"]
    event = standardwebhooks.Webhook(SECRET).verify(body, headers)
    assert (event["type"], event["data"]) == ("code.sent", {"code": "42"})


async def test_a_subscriber_without_a_chat_address_is_skipped(
    pipeline: Pipeline, recorder: Any
) -> None:
    _, seen = recorder
    await integrate(pipeline, {"providerId": "slack_webhook", "credentials": {}})
    steps = [{"id": "talk", "type": "chat", "active": True, "controls": {"body": "x"}}]
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "chatty", steps=steps)
    await pipeline.trigger({"name": "chatty", "to": ADA, "transactionId": "tx-noaddr"})
    result = await pipeline.finish("tx-noaddr")
    assert (result.sent, result.skipped) == (0, 1) and seen == []
    [detail] = await details(pipeline, "chat")
    assert "no chat webhook URL" in detail.detail
    async with pipeline.sessions() as session:
        assert [j.status for j in await session.scalars(select(Job).filter_by(step_id="talk"))] == ["skipped"]
