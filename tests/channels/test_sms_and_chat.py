from __future__ import annotations

from typing import Any

import pytest

from channels import ChatMessage, PermanentDeliveryError, RetryableDeliveryError, SmsMessage
from channels.apprise_bridge import AppriseConfig, AppriseProvider
from channels.slack_webhook import SlackWebhookConfig, SlackWebhookProvider
from channels.twilio_sms import TwilioSmsConfig, TwilioSmsProvider

# Apprise loads every plugin on first use; one of them imports the deprecated imghdr module.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

SMS = SmsMessage(to="+1555", content="hi")


def twilio(url: str, **overrides: Any) -> TwilioSmsProvider:
    config = {"account_sid": "AC1", "auth_token": "t", "base_url": url, **overrides}
    return TwilioSmsProvider(TwilioSmsConfig.model_validate(config))


async def test_twilio_error_code_becomes_provider_code(http_server: Any) -> None:
    http_server.reply(400, json_body={"code": 21211, "message": "invalid 'To' number"})
    with pytest.raises(PermanentDeliveryError) as caught:
        await twilio(http_server.url, from_number="+1999").send(SMS, idempotency_key="k")
    assert caught.value.provider_code == "21211"


async def test_twilio_messaging_service_and_missing_sender(http_server: Any) -> None:
    http_server.reply(201, json_body={"sid": "SM1"})
    await twilio(http_server.url, messaging_service_sid="MG1").send(SMS, idempotency_key="k")
    assert http_server.requests[0].form()["MessagingServiceSid"] == "MG1"
    with pytest.raises(PermanentDeliveryError, match="from_number"):
        await twilio(http_server.url).send(SMS, idempotency_key="k")


async def test_twilio_check_reads_the_account(http_server: Any) -> None:
    http_server.reply(json_body={"sid": "AC1"}, path="/2010-04-01/Accounts/AC1.json")
    assert (await twilio(http_server.url).check()).ok
    http_server.reply(401, json_body={"code": 20003}, path="/2010-04-01/Accounts/AC1.json")
    result = await twilio(http_server.url).check()
    assert not result.ok and "401" in result.message


async def test_chat_without_any_webhook_url_is_permanent() -> None:
    with pytest.raises(PermanentDeliveryError, match="no webhook URL"):
        await SlackWebhookProvider(SlackWebhookConfig()).send(ChatMessage(content="x"), idempotency_key="k")


async def test_apprise_failure_is_retryable(http_server: Any) -> None:
    http_server.reply(500)
    provider = AppriseProvider(
        AppriseConfig.model_validate({"urls": [f"json://127.0.0.1:{http_server.port}/a"]})
    )
    with pytest.raises(RetryableDeliveryError):
        await provider.send(ChatMessage(content="x"), idempotency_key="k")
    assert len(http_server.requests) == 1


async def test_apprise_invalid_url_is_permanent_and_fails_check() -> None:
    provider = AppriseProvider(AppriseConfig.model_validate({"urls": ["json://ok.example", "nonsense://x"]}))
    with pytest.raises(PermanentDeliveryError, match="URL #1"):
        await provider.send(ChatMessage(content="x"), idempotency_key="k")
    assert not (await provider.check()).ok
