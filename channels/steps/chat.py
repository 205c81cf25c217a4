"""The ``chat`` step: one text body, posted to the subscriber's chat webhook.

The webhook URL comes from the subscriber's channel credentials, as Novu stores them:
``{"providerId": "slack", "credentials": {"webhookUrl": "https://hooks..."}}``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from channels.base import Channel
from channels.messages import ChatMessage
from channels.steps.base import ChannelControls, Recipient, StepKind, Unreachable, channel_credentials


class ChatControls(ChannelControls):
    """Novu's chat step controls."""

    body: str


class ChatStep(StepKind):
    type: ClassVar[str] = "chat"
    channel: ClassVar[Channel] = Channel.CHAT
    controls_model: ClassVar[builtins.type[BaseModel]] = ChatControls
    template_fields: ClassVar[Mapping[str, bool]] = {"body": False}

    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> ChatMessage:
        urls = channel_credentials(recipient, "webhookUrl")
        if not urls:
            raise Unreachable("subscriber has no chat webhook URL in their channel credentials")
        by_provider: dict[str, str] = {}
        for entry in recipient.channels:
            credentials = entry.get("credentials") if isinstance(entry, Mapping) else None
            url = credentials.get("webhookUrl") if isinstance(credentials, Mapping) else None
            if isinstance(entry, Mapping) and isinstance(entry.get("providerId"), str) and isinstance(url, str) and url:
                by_provider.setdefault(entry["providerId"], url)
        return ChatMessage(content=rendered.get("body", ""), webhook_url=str(urls[0]), webhook_urls=by_provider)
