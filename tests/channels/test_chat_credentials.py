"""The chat step picks the subscriber's credentials for the integration's own provider."""

from __future__ import annotations

from typing import Any

import pytest

from channels import ChatMessage, PermanentDeliveryError, ProviderContext
from channels.discord_webhook import DiscordWebhookConfig, DiscordWebhookProvider
from channels.steps.base import Recipient
from channels.steps.chat import ChatStep

LOCAL = ProviderContext(allow_private_addresses=True)


def message_for(channels: list[dict[str, Any]]) -> ChatMessage:
    recipient = Recipient(subscriber_id="ada", channels=channels)
    return ChatStep().build_message({"body": "hi"}, recipient=recipient, payload={}, controls={}, key="k")


async def test_discord_posts_to_the_discord_url_not_the_first_one(http_server: Any) -> None:
    http_server.reply(json_body={"id": "1"})
    message = message_for([
        {"providerId": "slack", "credentials": {"webhookUrl": f"{http_server.url}/slack"}},
        {"providerId": "discord", "credentials": {"webhookUrl": f"{http_server.url}/discord"}},
    ])
    provider = DiscordWebhookProvider(DiscordWebhookConfig(), context=LOCAL)
    await provider.send(message, idempotency_key="k")
    assert [r.path for r in http_server.requests] == ["/discord"]


async def test_without_its_own_credentials_the_integration_default_is_used_or_it_fails(http_server: Any) -> None:
    message = message_for([{"providerId": "slack", "credentials": {"webhookUrl": f"{http_server.url}/slack"}}])
    with pytest.raises(PermanentDeliveryError, match="no webhook URL"):
        await DiscordWebhookProvider(DiscordWebhookConfig(), context=LOCAL).send(message, idempotency_key="k")
    configured = DiscordWebhookConfig(webhook_url=f"{http_server.url}/default")
    await DiscordWebhookProvider(configured, context=LOCAL).send(message, idempotency_key="k")
    assert [r.path for r in http_server.requests] == ["/default"]
