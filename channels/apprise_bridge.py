"""A bridge to Apprise, which speaks to 100+ services through URLs (``json://``, ``tgram://``, ...).

Apprise is synchronous, so ``notify`` runs in a worker thread to keep the event loop free. Its
result is a yes/no with no reason, so a failure is reported as retryable: we cannot tell a bad
credential from an outage. Connection and read timeouts are set per URL (``?cto=4&rto=4``).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import apprise
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import PermanentDeliveryError, RetryableDeliveryError
from channels.messages import ChatMessage


class AppriseConfig(BaseModel):
    """Apprise URLs; they embed tokens and passwords, so each one is a secret."""

    model_config = ConfigDict(extra="forbid")

    urls: list[SecretStr] = Field(min_length=1)
    title: str = ""


class AppriseProvider(ChannelProvider[AppriseConfig, ChatMessage]):
    """Delivers the message to every configured Apprise URL."""

    id: ClassVar[str] = "apprise"
    channel: ClassVar[Channel] = Channel.CHAT
    display_name: ClassVar[str] = "Apprise (any Apprise URL)"
    config_model: ClassVar[type[BaseModel]] = AppriseConfig
    message_model: ClassVar[type[BaseModel]] = ChatMessage
    capabilities: ClassVar[Capabilities] = Capabilities(batch=True, check=True)

    async def send(self, message: ChatMessage, *, idempotency_key: str) -> SendResult:
        notifier = self._notifier()
        delivered = await asyncio.to_thread(notifier.notify, body=message.content, title=self.config.title)
        if not delivered:
            raise RetryableDeliveryError("apprise: at least one URL failed (Apprise reports no reason)")
        return SendResult(provider_id=self.id, detail={"urls": len(self.config.urls)})

    async def check(self) -> CheckResult:
        try:
            self._notifier()
        except PermanentDeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True, message="every URL parses (Apprise cannot test credentials)")

    def _notifier(self) -> apprise.Apprise:
        # A fresh Apprise object per call: its service list is mutable state we must not share.
        notifier = apprise.Apprise()
        for index, url in enumerate(self.config.urls):
            if not notifier.add(url.get_secret_value()):
                # The index, not the URL: the URL holds the credential.
                raise PermanentDeliveryError(f"apprise: URL #{index} is not a valid Apprise URL")
        return notifier
