"""Mattermost incoming webhooks: Slack-compatible JSON, plus a per-message channel override."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from channels._chat import WebhookChatConfig, WebhookChatProvider
from channels.messages import ChatMessage


class MattermostWebhookConfig(WebhookChatConfig):
    """Mattermost incoming-webhook settings."""

    username: str | None = None
    icon_url: str | None = None
    channel: str | None = None


class MattermostWebhookProvider(WebhookChatProvider[MattermostWebhookConfig]):
    """Posts to a Mattermost incoming webhook."""

    id: ClassVar[str] = "mattermost_webhook"
    credential_ids: ClassVar[tuple[str, ...]] = ("mattermost",)
    display_name: ClassVar[str] = "Mattermost (incoming webhook)"
    config_model: ClassVar[type[BaseModel]] = MattermostWebhookConfig

    def payload(self, message: ChatMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"text": message.content}
        optional = {
            "channel": message.channel or self.config.channel,
            "username": self.config.username,
            "icon_url": self.config.icon_url,
        }
        body.update({key: value for key, value in optional.items() if value})
        return body
