"""Clarion's channel-provider contract and the built-in providers.

``__all__`` is the plugin contract: what a third-party provider package may import. Built-in
providers live in their own modules (``channels.smtp``, ...) and are found through the
``clarion.channels`` entry-point group, never imported from here.
"""

from channels.base import (
    Capabilities,
    Channel,
    ChannelProvider,
    CheckResult,
    InAppSink,
    ProviderContext,
    SendResult,
)
from channels.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from channels.messages import (
    Attachment,
    ChatMessage,
    EmailMessage,
    InAppMessage,
    PushMessage,
    SmsMessage,
    WebhookMessage,
)
from channels.registry import ChannelRegistry, InvalidProviderConfig, LoadFailure, UnknownProviderError

__all__ = [
    "Attachment",
    "Capabilities",
    "Channel",
    "ChannelProvider",
    "ChannelRegistry",
    "ChatMessage",
    "CheckResult",
    "DeliveryError",
    "EmailMessage",
    "InAppMessage",
    "InAppSink",
    "InvalidProviderConfig",
    "LoadFailure",
    "PermanentDeliveryError",
    "ProviderContext",
    "PushMessage",
    "RetryableDeliveryError",
    "SendResult",
    "SmsMessage",
    "UnknownProviderError",
    "WebhookMessage",
]
