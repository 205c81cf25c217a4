"""Discord webhooks: POST ``{"content": ...}``; ``?wait=true`` makes Discord return the message."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel

from channels._chat import WebhookChatConfig, WebhookChatProvider
from channels.messages import ChatMessage
from channels.outbound import OutboundResponse


class DiscordWebhookConfig(WebhookChatConfig):
    """Discord webhook settings."""

    username: str | None = None
    avatar_url: str | None = None


class DiscordWebhookProvider(WebhookChatProvider[DiscordWebhookConfig]):
    """Posts to a Discord channel webhook."""

    id: ClassVar[str] = "discord_webhook"
    credential_ids: ClassVar[tuple[str, ...]] = ("discord",)
    display_name: ClassVar[str] = "Discord (webhook)"
    config_model: ClassVar[type[BaseModel]] = DiscordWebhookConfig

    def payload(self, message: ChatMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"content": message.content}
        if self.config.username:
            body["username"] = self.config.username
        if self.config.avatar_url:
            body["avatar_url"] = self.config.avatar_url
        return body

    def params(self) -> dict[str, str]:
        # Without wait=true Discord answers 204 and we could not record the message id.
        return {"wait": "true"}

    def message_id(self, response: OutboundResponse) -> str | None:
        try:
            body = json.loads(response.excerpt)
        except ValueError:
            return None
        value = body.get("id") if isinstance(body, dict) else None
        return str(value) if value is not None else None
