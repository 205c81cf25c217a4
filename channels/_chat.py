"""Shared shape of the incoming-webhook chat providers (Slack, Discord, Teams, Mattermost).

They differ only in the JSON they post, so each module subclasses ``WebhookChatProvider`` and
writes ``payload``; the URL choice and the error mapping live here once.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

import httpx
from pydantic import BaseModel, Field, SecretStr

from channels import _http
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.errors import PermanentDeliveryError
from channels.messages import ChatMessage
from channels.outbound import OutboundResponse


class WebhookChatConfig(_http.HttpConfig):
    """A default webhook URL; a subscriber's own URL (``ChatMessage.webhook_url``) wins."""

    # Incoming-webhook URLs embed their credential, so they are secrets.
    webhook_url: SecretStr | None = Field(
        default=None, description="Used when the subscriber has no webhook URL of their own."
    )


ChatConfigT = TypeVar("ChatConfigT", bound=WebhookChatConfig)


class WebhookChatProvider(ChannelProvider[ChatConfigT, ChatMessage], Generic[ChatConfigT]):
    """POSTs ``payload(message)`` as JSON to the subscriber's or the configured webhook URL."""

    channel: ClassVar[Channel] = Channel.CHAT
    message_model: ClassVar[type[BaseModel]] = ChatMessage
    capabilities: ClassVar[Capabilities] = Capabilities(markdown=True)
    # The ``providerId`` values (Novu's) under which subscribers store this service's credentials.
    credential_ids: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def payload(self, message: ChatMessage) -> dict[str, Any]:
        """The JSON body the service expects."""

    def params(self) -> dict[str, str]:
        """Query parameters to add to the webhook URL."""
        return {}

    def message_id(self, response: OutboundResponse) -> str | None:
        """The remote's message id, for services that return one."""
        return None

    def webhook_url(self, message: ChatMessage) -> str:
        if message.webhook_urls:  # the subscriber's URL for this service, never another service's
            for key in (self.id, *self.credential_ids):
                if key in message.webhook_urls:
                    return message.webhook_urls[key]
        elif message.webhook_url:
            return message.webhook_url
        if self.config.webhook_url is not None:
            return self.config.webhook_url.get_secret_value()
        raise PermanentDeliveryError(
            f"{self.id}: no webhook URL: the subscriber has none and the integration sets none"
        )

    async def send(self, message: ChatMessage, *, idempotency_key: str) -> SendResult:
        url = httpx.URL(self.webhook_url(message)).copy_merge_params(self.params())
        # Through the one outbound sender: the URL is the subscriber's or the integration's, so
        # private addresses are refused outside dev mode.
        response = await self.context.sender().post(
            str(url), content=json.dumps(self.payload(message)).encode(),
            headers={"content-type": "application/json"}, timeout=self.config.timeout,
        )
        error = _http.error_for_status(response.status, response.excerpt, retry_after=response.retry_after)
        if error is not None:
            raise error
        return SendResult(provider_id=self.id, provider_message_id=self.message_id(response))
