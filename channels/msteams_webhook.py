"""Microsoft Teams webhooks, posting an Adaptive Card.

Office 365 connector webhooks are being retired in favour of Workflows (Power Automate) webhooks;
both accept a ``message`` whose attachment is an Adaptive Card, so that is the one format we send.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from channels._chat import WebhookChatConfig, WebhookChatProvider
from channels.messages import ChatMessage

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class MsTeamsWebhookConfig(WebhookChatConfig):
    """Microsoft Teams webhook settings."""


class MsTeamsWebhookProvider(WebhookChatProvider[MsTeamsWebhookConfig]):
    """Posts an Adaptive Card to a Teams webhook."""

    id: ClassVar[str] = "msteams_webhook"
    credential_ids: ClassVar[tuple[str, ...]] = ("msteams",)
    display_name: ClassVar[str] = "Microsoft Teams (webhook)"
    config_model: ClassVar[type[BaseModel]] = MsTeamsWebhookConfig

    def payload(self, message: ChatMessage) -> dict[str, Any]:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": message.content, "wrap": True}],
        }
        return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}
