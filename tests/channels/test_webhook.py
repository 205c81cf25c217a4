from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
import standardwebhooks

from channels import PermanentDeliveryError, ProviderContext, WebhookMessage
from channels.signing import standard_signature
from channels.webhook import WebhookConfig, WebhookProvider

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# The test server listens on loopback, which only dev mode may reach.
LOCAL = ProviderContext(allow_private_addresses=True)
EVENT = WebhookMessage(event_type="user.created", payload={"id": "u1", "name": "Zoë"}, webhook_id="msg_1")


async def test_signature_matches_a_hand_computed_hmac(http_server: Any) -> None:
    provider = WebhookProvider(WebhookConfig(url=f"{http_server.url}/in", secret=SECRET), context=LOCAL)
    result = await provider.send(EVENT, idempotency_key="k")

    (req,) = http_server.requests
    signed = f"msg_1.{req.headers['webhook-timestamp']}.".encode() + req.body
    expected = hmac.new(base64.b64decode(SECRET.removeprefix("whsec_")), signed, hashlib.sha256).digest()
    assert req.headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()
    assert req.json()["data"] == {"id": "u1", "name": "Zoë"} and result.provider_message_id == "msg_1"


async def test_tampered_body_fails_standard_verification(http_server: Any) -> None:
    provider = WebhookProvider(WebhookConfig(url=http_server.url, secret=SECRET), context=LOCAL)
    await provider.send(EVENT, idempotency_key="k")
    (req,) = http_server.requests
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(SECRET).verify(req.body.replace(b"u1", b"u2"), req.headers)


async def test_message_url_wins_and_configured_headers_cannot_forge_signature(http_server: Any) -> None:
    config = WebhookConfig(
        url="http://127.0.0.1:9/", secret=SECRET, headers={"Webhook-Signature": "v1,forged"}
    )
    message = EVENT.model_copy(update={"url": f"{http_server.url}/sub"})
    await WebhookProvider(config, context=LOCAL).send(message, idempotency_key="k")
    (req,) = http_server.requests
    assert req.path == "/sub" and req.headers["webhook-signature"] != "v1,forged"
    standardwebhooks.Webhook(SECRET).verify(req.body, req.headers)


async def test_no_url_is_permanent() -> None:
    with pytest.raises(PermanentDeliveryError, match="no URL"):
        await WebhookProvider(WebhookConfig(secret=SECRET), context=LOCAL).send(EVENT, idempotency_key="k")


def test_secret_must_be_base64() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        WebhookConfig(secret="whsec_not base64!")
    assert standard_signature(SECRET, "a", 1, b"{}").startswith("v1,")
