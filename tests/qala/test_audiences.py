"""Audience matching (event-apis.md §1.4, §5 item 10) for webhook subscriptions and topic members."""

from __future__ import annotations

import asyncio

from tests.qala.conftest import Qala, Receiver, until

INBOX_WORKFLOW = {"name": "Order shipped", "workflowId": "order.shipped", "steps": [
    {"name": "Inbox", "type": "in_app", "controlValues": {"body": "Order {{ payload.orderId }}"}}]}
# (event id, audiences): together they cover the five rows of the §1.4 table.
EVENTS = [("ev-none", None), ("ev-acme", ["ACME"]), ("ev-acme-beta", ["ACME", "BETA"]), ("ev-beta", ["BETA"])]


async def test_audience_table_for_members_and_webhooks(qala: Qala, receiver: Receiver) -> None:
    native = qala.pipeline
    response = await native.client.post("/v2/workflows", json=INBOX_WORKFLOW, headers=native.headers)
    assert response.status_code == 201, response.text
    for sid, audiences in (("u-none", None), ("u-acme", ["ACME"])):
        body = {"subscriberId": sid, **({"audiences": audiences} if audiences else {})}
        response = await native.client.post("/v1/subscribers", json=body, headers=native.headers)
        assert response.status_code == 201, response.text
        assert response.json()["data"]["audiences"] == (audiences or [])  # returned as stored
    await qala.topic("orders", ["order.shipped"])
    response = await native.client.post("/v1/topics/orders/subscribers", headers=native.headers,
                                        json={"subscribers": ["u-none", "u-acme"]})
    assert response.status_code == 200, response.text
    await qala.subscribe("orders", "/s-none", receiver)
    await qala.subscribe("orders", "/s-acme", receiver, audience="ACME")

    for event_id, audiences in EVENTS:
        result = await qala.publish({"type": "order.shipped", "id": event_id, "audiences": audiences,
                                     "data": {"orderId": event_id}})
        assert result["events"][0]["workflowStatus"] == "processed"
    await asyncio.gather(*(native.finish(event_id) for event_id, _ in EVENTS))
    got = {sid: sorted(m.transaction_id for m in await native.messages(channel="in_app", subscriber_id=sid))
           for sid in ("u-none", "u-acme")}
    assert got == {"u-none": ["ev-acme", "ev-acme-beta", "ev-beta", "ev-none"],
                   "u-acme": ["ev-acme", "ev-acme-beta"]}

    await until(lambda: len(receiver.at("/s-none")) == 4 and len(receiver.at("/s-acme")) == 2)
    assert sorted(r.json()["id"] for r in receiver.at("/s-acme")) == ["ev-acme", "ev-acme-beta"]

    # Event ids and native transactionIds share one namespace.
    response = await native.client.post("/v1/events/trigger", headers=native.headers, json={
        "name": "order.shipped", "to": "u-none", "transactionId": "shared-1", "payload": {"orderId": "n"}})
    assert response.status_code == 201, response.text
    await native.finish("shared-1")
    again = await qala.publish({"type": "order.shipped", "id": "shared-1", "data": {"orderId": "q"}})
    assert again["events"][0]["status"] == "duplicate"
