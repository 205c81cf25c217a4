"""Webhook delivery (event-apis.md §5 items 13-17, §1.8): signatures, rotation, retries, dead letters, replay, 410."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.qala.conftest import Qala, Receiver, until


async def setup(q: Qala, receiver: Receiver, path: str, **fields: Any) -> dict[str, Any]:
    await q.event_type("transaction.updated")
    await q.topic("transactions", ["transaction.updated"])
    return await q.subscribe("transactions", path, receiver, **fields)


def qflow_ok(secret: str, headers: dict[str, str], body: bytes) -> list[bool]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['qflow-request-id']}.{headers['qflow-timestamp']}.".encode() + body
    expected = "sha256=" + hmac.new(key, signed, hashlib.sha256).hexdigest()
    return [hmac.compare_digest(expected, sig) for sig in headers["qflow-signature"].split(",")]


async def test_signatures_verify_with_standard_webhooks_and_qflow(qala: Qala, receiver: Receiver) -> None:
    sub = await setup(qala, receiver, "/signed")
    await qala.publish({"type": "transaction.updated", "id": "sig-1", "data": "{\"a\":1}", "audiences": "ACME"})
    await qala.publish({"type": "transaction.updated", "id": "sig-2", "data": {"a": 1}})
    await until(lambda: len(receiver.at("/signed")) == 2)
    by_id = {r.json()["id"]: r for r in receiver.at("/signed")}
    for request in by_id.values():
        payload = Webhook(sub["webhookSecret"]).verify(request.body, request.headers)
        assert payload["type"] == "transaction.updated" and payload["environmentId"] == str(qala.env)
        assert request.headers["webhook-id"].startswith("msg_") and len(request.headers["webhook-id"]) == 30
        assert request.headers["qflow-request-id"] == request.headers["webhook-id"]
        assert abs(int(request.headers["qflow-timestamp"]) - time.time() * 1000) < 120_000
        assert qflow_ok(sub["webhookSecret"], request.headers, request.body) == [True]
        assert request.headers["user-agent"] == "Clarion-Webhooks/1"
        assert request.headers["clarion-attempt"] == "1"
    # The body carries data exactly as sent; audiences as normalised.
    assert by_id["sig-1"].json()["data"] == "{\"a\":1}" and by_id["sig-1"].json()["audiences"] == ["ACME"]
    assert by_id["sig-2"].json()["data"] == {"a": 1}
    # ...while the workflow payload sees the decoded value for both (no steps here: the decoder is shared).
    from api.operations.publishing import decode_payload
    assert decode_payload(json.loads("{\"a\":1}")) == decode_payload({"a": 1})


async def test_rotation_overlap(qala: Qala, receiver: Receiver) -> None:
    sub = await setup(qala, receiver, "/rot")
    base = f"/management/v1/topics/transactions/subscriptions/{sub['id']}"
    rotated = await qala.ok("POST", f"{base}/rotate-webhook-secret", {"overlapSeconds": 10})
    assert rotated["webhookSecret"] != sub["webhookSecret"]
    secrets = await qala.ok("GET", f"{base}/webhook-secret")
    assert secrets["webhookSecret"] == rotated["webhookSecret"] and len(secrets["previousSecrets"]) == 1
    await qala.publish({"type": "transaction.updated", "id": "rot-1", "data": {}})
    [during] = await until(lambda: receiver.at("/rot"))
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert qflow_ok(rotated["webhookSecret"], during.headers, during.body) == [True, False]
    assert qflow_ok(sub["webhookSecret"], during.headers, during.body) == [False, True]
    Webhook(sub["webhookSecret"]).verify(during.body, during.headers)  # the old secret still verifies
    Webhook(rotated["webhookSecret"]).verify(during.body, during.headers)
    async def overlap_over() -> bool:
        return not (await qala.ok("GET", f"{base}/webhook-secret"))["previousSecrets"]

    await until(overlap_over, timeout=30)  # the overlap outlasts a slow first delivery, then ends
    await qala.publish({"type": "transaction.updated", "id": "rot-2", "data": {}})
    after = (await until(lambda: [r for r in receiver.at("/rot") if r.json()["id"] == "rot-2"]))[0]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert qflow_ok(rotated["webhookSecret"], after.headers, after.body) == [True]
    with pytest.raises(WebhookVerificationError):
        Webhook(sub["webhookSecret"]).verify(after.body, after.headers)


async def test_fails_three_times_then_succeeds_once(qala: Qala, receiver: Receiver) -> None:
    sub = await setup(qala, receiver, "/flaky")
    receiver.plan["/flaky"] = [500, 502, 429, 200]
    receiver.headers["/flaky"] = {"Retry-After": "0"}
    await qala.publish({"type": "transaction.updated", "id": "flaky-1", "data": {}})
    [delivery] = await until(lambda: qala.deliveries("transactions", sub, "succeeded"))
    assert [r.status for r in receiver.at("/flaky")] == [500, 502, 429, 200]
    assert len({r.headers["webhook-id"] for r in receiver.at("/flaky")}) == 1
    assert [r.headers["clarion-attempt"] for r in receiver.at("/flaky")] == ["1", "2", "3", "4"]
    assert delivery["attempts"] == 4 and delivery["lastResponseStatus"] == 200
    assert delivery["lastResponseBody"] == "answer 200"
    failed = [e for e in qala.events if e.type == "webhook.delivery.failed"]
    assert len(failed) == 3 and failed[0].message == "WEBHOOK_DELIVERY_FAILED"


async def test_dead_letter_then_replay_after_recovery(qala: Qala, receiver: Receiver) -> None:
    sub = await setup(qala, receiver, "/down", maxDeliveryAttempts=2)
    receiver.plan["/down"] = [500]
    base = f"/management/v1/topics/transactions/subscriptions/{sub['id']}"
    await qala.publish({"type": "transaction.updated", "id": "down-1", "data": {}})
    letters = await until(lambda: _items(qala, f"{base}/deadletters"))
    assert letters[0]["status"] == "deadlettered" and letters[0]["attempts"] == 2
    assert (await qala.ok("GET", base))["deadletterCount"] == 1
    assert any(e.type == "webhook.delivery.deadlettered" for e in qala.events)
    receiver.plan["/down"] = [500, 500, 200]  # the endpoint recovers
    replayed = await qala.ok("POST", f"{base}/replay", {"deliveryIds": [letters[0]["id"]]}, status=202)
    assert replayed == {"replayed": 1}
    assert (await qala.ok("GET", base))["deadletterCount"] == 0
    await until(lambda: qala.deliveries("transactions", sub, "succeeded"))
    requests = receiver.at("/down")
    assert [r.status for r in requests] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in requests}) == 1


async def _items(q: Qala, path: str) -> list[dict[str, Any]]:
    return list((await q.ok("GET", path))["items"])


async def test_gone_disables_and_later_events_are_skipped(qala: Qala, receiver: Receiver) -> None:
    sub = await setup(qala, receiver, "/gone")
    receiver.plan["/gone"] = [410]
    base = f"/management/v1/topics/transactions/subscriptions/{sub['id']}"
    await qala.publish({"type": "transaction.updated", "id": "gone-1", "data": {}})
    await until(lambda: _items(qala, f"{base}/deadletters"))
    view = await qala.ok("GET", base)
    assert view["enabled"] is False and view["provisioningState"] == "Disabled"
    await qala.publish({"type": "transaction.updated", "id": "gone-2", "data": {}})
    [skipped] = await until(lambda: qala.deliveries("transactions", sub, "skipped"))
    assert skipped["eventId"] == "gone-2" and skipped["attempts"] == 0
    assert len(receiver.at("/gone")) == 1
