"""Each email API provider end to end: a trigger delivers through the local vendor, the vendor's
signed delivery event changes the message, shows in the activity feed and reaches a lifecycle
endpoint, verified with the ``standardwebhooks`` library."""

from __future__ import annotations

import json
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy import select

from store.models import ProviderEvent
from tests.delivery.conftest import Receiver, Vendor, until
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

ADA = {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"}
EMAIL = [{"id": "mail", "type": "email", "active": True,
          "controls": {"subject": "Hi {{ subscriber.firstName }}", "body": "<p>Hello</p>"}}]
PROVIDERS = ["sendgrid", "ses", "postmark", "resend", "mailgun"]


async def call(p: Pipeline, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    response = await p.client.request(method, path, json=body, headers=p.headers)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def setup(p: Pipeline, vendor: Vendor, receiver: Receiver, provider: str) -> tuple[str, str]:
    """The integration's id and the lifecycle endpoint's secret."""
    created = await call(p, "POST", "/v1/integrations", {
        "providerId": provider, "identifier": f"{provider}-main", "credentials": vendor.credentials(provider)}, 201)
    endpoint = await call(p, "POST", "/v1/webhooks/endpoints", {
        "url": f"{receiver.url}/hooks", "eventTypes": ["message.delivered", "message.bounced"]}, 201)
    await add_workflow(p.sessions, p.tenancy.env_a.id, "receipt", steps=EMAIL)
    return created["data"]["_id"], endpoint["data"]["secret"]


async def send_one(p: Pipeline, transaction_id: str) -> Any:
    response = await p.trigger({"name": "receipt", "to": ADA, "transactionId": transaction_id})
    assert response.status_code == 201, response.text
    await p.finish(transaction_id)
    (message,) = await p.messages(transaction_id=transaction_id)
    return message


async def post_event(p: Pipeline, integration: str, headers: dict[str, str], body: bytes) -> Any:
    return await p.client.post(f"/v1/webhooks/providers/{integration}", content=body, headers=headers)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_delivered_and_bounced_events_reach_the_message_the_feed_and_the_endpoint(
    delivery: Pipeline, vendor: Vendor, receiver: Receiver, provider: str
) -> None:
    p = delivery
    integration, secret = await setup(p, vendor, receiver, provider)
    message = await send_one(p, f"tx-{provider}")
    assert message.status == "sent" and message.provider_id == provider
    assert [s[0] for s in vendor.sent] == [provider]
    assert message.provider_message_id and message.provider_message_id.startswith(
        {"sendgrid": "sg", "ses": "0100-ses", "postmark": "pm-", "resend": "re-", "mailgun": "mg-"}[provider])

    answer = await post_event(p, integration, *vendor.event(provider, message.provider_message_id, "delivered"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["applied"] == 1
    (message,) = await p.messages(transaction_id=f"tx-{provider}")
    assert message.status == "delivered"

    answer = await post_event(p, integration, *vendor.event(provider, message.provider_message_id, "bounced"))
    assert answer.status_code == 200, answer.text
    (message,) = await p.messages(transaction_id=f"tx-{provider}")
    assert message.status == "bounced"

    feed = await call(p, "GET", f"/v1/notifications?transactionId=tx-{provider}")
    details = [d for job in feed["data"][0]["jobs"] for d in job["executionDetails"]]
    texts = [d["detail"] for d in details]
    assert any(t.startswith(f"Delivered, reported by {provider}") for t in texts), texts
    assert any(t.startswith(f"Bounced (hard bounce), reported by {provider}") for t in texts), texts

    hooks = await until(lambda: len(receiver.at("/hooks")) >= 2 and receiver.at("/hooks"))
    verified = [standardwebhooks.Webhook(secret).verify(r.body, r.headers) for r in hooks]
    assert sorted(v["type"] for v in verified) == ["message.bounced", "message.delivered"]
    for v in verified:
        assert v["data"]["messageId"] == str(message.id) and v["data"]["providerId"] == provider
        assert v["data"]["transactionId"] == f"tx-{provider}" and v["topic"] == "lifecycle"
    assert {v["data"]["bounceType"] for v in verified if v["type"] == "message.bounced"} == {"hard"}


async def test_a_redelivered_event_applies_once_and_fires_once(
    delivery: Pipeline, vendor: Vendor, receiver: Receiver
) -> None:
    p = delivery
    integration, _ = await setup(p, vendor, receiver, "sendgrid")
    message = await send_one(p, "tx-dup")
    signed = vendor.event("sendgrid", message.provider_message_id, "delivered", event_id="sg-event-1")
    first = await post_event(p, integration, *signed)
    again = await post_event(p, integration, *signed)
    assert (first.json()["data"]["applied"], again.json()["data"]["duplicates"]) == (1, 1)
    await until(lambda: receiver.at("/hooks"))
    endpoint = (await call(p, "GET", "/v1/webhooks/endpoints"))["data"][0]
    deliveries = await until(lambda: _succeeded(p, endpoint["_id"]))
    assert len(deliveries) == 1
    assert len({r.headers["webhook-id"] for r in receiver.at("/hooks")}) == 1
    feed = await call(p, "GET", "/v1/notifications?transactionId=tx-dup")
    texts = [d["detail"] for job in feed["data"][0]["jobs"] for d in job["executionDetails"]]
    assert sum(t.startswith("Delivered") for t in texts) == 1


async def _succeeded(p: Pipeline, endpoint: str) -> list[Any]:
    page = await call(p, "GET", f"/v1/webhooks/endpoints/{endpoint}/deliveries?status=succeeded")
    return list(page["data"])


async def test_bad_signatures_unknown_ids_and_unknown_integrations_are_refused_and_recorded(
    delivery: Pipeline, vendor: Vendor, receiver: Receiver
) -> None:
    p = delivery
    integration, _ = await setup(p, vendor, receiver, "mailgun")
    message = await send_one(p, "tx-refuse")
    headers, body = vendor.event("mailgun", message.provider_message_id, "delivered")
    # Mailgun signs timestamp + token (not the body): a token that does not match its signature is refused.
    tampered = body.replace(b'"token": "', b'"token": "x')
    refused = await post_event(p, integration, headers, tampered)
    assert refused.status_code == 401 and "signature" in refused.json()["message"]

    headers, body = vendor.event("mailgun", "mg-999@mg.example", "delivered")
    unknown = await post_event(p, integration, headers, body)
    assert unknown.status_code == 404 and unknown.json()["unknownMessageIds"] == ["mg-999@mg.example"]

    nowhere = await post_event(p, "00000000-0000-0000-0000-000000000000", headers, body)
    assert nowhere.status_code == 404
    garbage = await post_event(p, integration, {"Content-Type": "application/json"}, b"[not json")
    assert garbage.status_code == 400 and garbage.json()["errors"][0]["field"] == "body"

    async with p.sessions() as session:
        rows = list(await session.scalars(select(ProviderEvent).order_by(ProviderEvent.created_at)))
    assert [r.outcome for r in rows] == ["refused", "unknown_message", "unknown_integration", "invalid"]
    (message,) = await p.messages(transaction_id="tx-refuse")
    assert message.status == "sent"


async def test_sns_subscription_is_confirmed_only_when_signed(
    delivery: Pipeline, vendor: Vendor, receiver: Receiver
) -> None:
    p = delivery
    integration, _ = await setup(p, vendor, receiver, "ses")
    fields = {"Type": "SubscriptionConfirmation", "MessageId": "m-1", "Token": "tok",
              "Message": "You have chosen to subscribe", "SubscribeURL": f"{vendor.url}/sns/confirm?Token=tok"}
    headers, body = vendor.sns(fields)
    answer = await post_event(p, integration, headers, body)
    assert answer.status_code == 200 and "confirmed" in answer.json()["data"]["note"]
    assert vendor.confirmations == 1

    forged = json.loads(body)
    forged["SubscribeURL"] = "https://evil.example/confirm"
    answer = await post_event(p, integration, headers, json.dumps(forged).encode())
    assert answer.status_code == 401 and vendor.confirmations == 1


async def test_sent_and_failed_are_emitted_once_per_message(
    delivery: Pipeline, vendor: Vendor, receiver: Receiver
) -> None:
    p = delivery
    await call(p, "POST", "/v1/integrations", {
        "providerId": "postmark", "identifier": "pm", "credentials": vendor.credentials("postmark")}, 201)
    endpoint = await call(p, "POST", "/v1/webhooks/endpoints", {
        "url": f"{receiver.url}/sent", "eventTypes": ["message.sent", "message.failed"]}, 201)
    await add_workflow(p.sessions, p.tenancy.env_a.id, "receipt", steps=EMAIL)
    people = [ADA, {"subscriberId": "bob", "email": "bob@example.test"}, {"subscriberId": "nomail"}]
    response = await p.trigger({"name": "receipt", "to": people, "transactionId": "tx-sent"})
    assert response.status_code == 201, response.text
    await p.finish("tx-sent")

    hooks = await until(lambda: len(receiver.at("/sent")) >= 2 and receiver.at("/sent"))
    secret = (await call(p, "GET", f"/v1/webhooks/endpoints/{endpoint['data']['_id']}/secret"))["data"]["secret"]
    verified = [standardwebhooks.Webhook(secret).verify(r.body, r.headers) for r in hooks]
    assert sorted((v["type"], v["data"]["subscriberId"]) for v in verified) == [
        ("message.sent", "ada"), ("message.sent", "bob")]  # nomail was skipped: no message, no event
    assert {v["data"]["providerMessageId"][:3] for v in verified} == {"pm-"}


async def test_a_refused_send_emits_message_failed_with_the_error(
    delivery: Pipeline, vendor: Vendor, receiver: Receiver
) -> None:
    p = delivery
    broken = {**vendor.credentials("postmark"), "base_url": f"{vendor.url}/nowhere"}  # the fake answers 404
    await call(p, "POST", "/v1/integrations", {"providerId": "postmark", "credentials": broken}, 201)
    await call(p, "POST", "/v1/webhooks/endpoints",
               {"url": f"{receiver.url}/failed", "eventTypes": ["message.failed"]}, 201)
    await add_workflow(p.sessions, p.tenancy.env_a.id, "receipt", steps=EMAIL)
    assert (await p.trigger({"name": "receipt", "to": ADA, "transactionId": "tx-fail"})).status_code == 201
    await p.finish("tx-fail")

    (hook,) = await until(lambda: receiver.at("/failed"))
    body = hook.json()
    assert body["type"] == "message.failed" and body["data"]["subscriberId"] == "ada"
    assert "HTTP 404" in body["data"]["error"]
