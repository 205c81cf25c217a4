"""In-app (inbox) delivery: hand the message to the sink the host injected.

The store lives outside ``channels/``, so the composition root lends a ``ProviderContext.in_app_sink``
that persists the message (once per idempotency key) and publishes the real-time event.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import PermanentDeliveryError
from channels.messages import InAppMessage


class InAppConfig(BaseModel):
    """The in-app provider needs no credentials."""

    model_config = ConfigDict(extra="forbid")


class InAppProvider(ChannelProvider[InAppConfig, InAppMessage]):
    """Stores the message in the subscriber's inbox through the injected sink."""

    id: ClassVar[str] = "in_app"
    channel: ClassVar[Channel] = Channel.IN_APP
    display_name: ClassVar[str] = "In-app inbox"
    config_model: ClassVar[type[BaseModel]] = InAppConfig
    message_model: ClassVar[type[BaseModel]] = InAppMessage
    capabilities: ClassVar[Capabilities] = Capabilities(html=True, idempotency=True, check=True)

    async def send(self, message: InAppMessage, *, idempotency_key: str) -> SendResult:
        sink = self.context.in_app_sink
        if sink is None:
            raise PermanentDeliveryError(
                "in_app: no in-app sink was injected (ProviderContext.in_app_sink); "
                "the worker must be wired with the message store"
            )
        stored_id = await sink(message, idempotency_key=idempotency_key)
        return SendResult(provider_id=self.id, provider_message_id=stored_id)

    async def check(self) -> CheckResult:
        if self.context.in_app_sink is None:
            return CheckResult(ok=False, message="no in-app sink is wired in this process")
        return CheckResult(ok=True)
