"""Slack incoming webhooks: one POST of ``{"text": ...}`` to the webhook URL.

Slack answers errors with plain-text codes and HTTP statuses (400 ``invalid_payload``, 403
``action_prohibited``, 404 ``no_service``, 410 ``channel_is_archived``), which the shared HTTP
mapping already classifies as permanent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from channels._chat import WebhookChatConfig, WebhookChatProvider
from channels.messages import ChatMessage


class SlackWebhookConfig(WebhookChatConfig):
    """Slack incoming-webhook settings."""

    username: str | None = None
    icon_emoji: str | None = None


class SlackWebhookProvider(WebhookChatProvider[SlackWebhookConfig]):
    """Posts to a Slack incoming webhook."""

    id: ClassVar[str] = "slack_webhook"
    credential_ids: ClassVar[tuple[str, ...]] = ("slack",)
    display_name: ClassVar[str] = "Slack (incoming webhook)"
    config_model: ClassVar[type[BaseModel]] = SlackWebhookConfig

    def payload(self, message: ChatMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"text": message.content}
        if self.config.username:
            body["username"] = self.config.username
        if self.config.icon_emoji:
            body["icon_emoji"] = self.config.icon_emoji
        return body
