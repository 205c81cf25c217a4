"""A trigger with a push step reaches a local HTTP/2 APNs through a stored ``apns`` integration."""

from __future__ import annotations

from tests.apns_fake import BUNDLE, KEY_ID, TEAM_ID, fake_apns
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

STEPS = [{"id": "buzz", "type": "push", "active": True,
          "controls": {"subject": "Order {{ payload.order }}", "body": "Shipped", "data": {"badge": 1}}}]


async def test_a_trigger_pushes_to_the_subscribers_apple_device(pipeline: Pipeline) -> None:
    async with fake_apns() as apple:
        credentials = {"keyId": KEY_ID, "teamId": TEAM_ID, "privateKey": apple.p8, "bundleId": BUNDLE,
                       "baseUrl": apple.url}
        created = await pipeline.client.post("/v1/integrations", headers=pipeline.headers,
                                             json={"providerId": "apns", "credentials": credentials})
        assert created.status_code == 201, created.text
        assert created.json()["data"]["credentials"]["privateKey"] != apple.p8  # shown masked
        await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "shipped", steps=STEPS)
        ada = {"subscriberId": "ada", "channels": [{"providerId": "apns", "credentials": {"deviceTokens": ["d1"]}}]}
        answer = await pipeline.trigger({"name": "shipped", "to": ada, "payload": {"order": "42"},
                                         "transactionId": "tx-apns"})
        assert answer.status_code == 201, answer.text
        result = await pipeline.finish("tx-apns")
    assert (result.sent, result.failed) == (1, 0)
    [pushed] = apple.pushed
    assert pushed.token == "d1" and pushed.http_version == "2" and pushed.claims["iss"] == TEAM_ID
    assert pushed.body == {"aps": {"alert": {"title": "Order 42", "body": "Shipped"}, "sound": "default",
                                   "badge": 1}}
    [message] = await pipeline.messages(transaction_id="tx-apns")
    assert (message.status, message.provider_id) == ("sent", "apns")
    assert message.provider_message_id == pushed.headers["apns-id"]
