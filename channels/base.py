"""The provider contract: what a channel plugin declares and what it must implement.

A provider is one class in one module (see ``channels/smtp.py``). It declares its identity and
capabilities as class attributes, validates its credentials with a pydantic ``config_model``, and
implements ``send``, which returns a ``SendResult`` or raises a ``channels.errors`` error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict

from channels.messages import InAppMessage
from channels.outbound import OutboundSender

__all__ = [
    "Capabilities",
    "Channel",
    "ChannelProvider",
    "CheckResult",
    "InAppSink",
    "ProviderContext",
    "SendResult",
]


class Channel(StrEnum):
    """The delivery channels a workflow step can target."""

    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    PUSH = "push"
    WEBHOOK = "webhook"


class Capabilities(BaseModel):
    """What a provider can do, as data the orchestrator reads instead of guessing.

    Attributes:
        html: Renders an HTML body (the template step should produce one).
        markdown: Renders Markdown in text content.
        attachments: Delivers ``EmailMessage.attachments``.
        batch: Delivers to several recipients or tokens in one ``send`` call.
        idempotency: Passes the idempotency key to the remote, so a duplicate send is detectable
            or deduplicated there.
        check: ``check()`` really contacts the remote instead of returning the default ``ok``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    html: bool = False
    markdown: bool = False
    attachments: bool = False
    batch: bool = False
    idempotency: bool = False
    check: bool = False


class SendResult(BaseModel):
    """The outcome of a successful ``send``.

    Attributes:
        provider_id: The ``id`` of the provider that delivered.
        provider_message_id: The remote's id for the message, when it returns one.
        detail: Extra JSON-safe facts for the activity feed (e.g. tokens that failed in a batch).
    """

    provider_id: str
    provider_message_id: str | None = None
    detail: dict[str, Any] = {}


class CheckResult(BaseModel):
    """The outcome of ``check``: whether the configured credentials work.

    Attributes:
        ok: True when the remote accepted the credentials (or nothing can be checked).
        message: Why not, when ``ok`` is false.
    """

    ok: bool
    message: str = ""


class InAppSink(Protocol):
    """Stores an in-app message; injected by the composition root (the store lives elsewhere)."""

    async def __call__(self, message: InAppMessage, *, idempotency_key: str) -> str:
        """Store ``message`` once per ``idempotency_key`` and return the stored message id."""
        ...


@dataclass(frozen=True)
class ProviderContext:
    """Resources the host lends a provider for the duration of a call.

    Attributes:
        http: A shared ``httpx.AsyncClient``. When absent, an HTTP provider opens its own client
            for one call and closes it afterwards.
        in_app_sink: Where the ``in_app`` provider stores messages.
        allow_private_addresses: Let tenant-chosen URLs (webhooks, chat incoming webhooks) reach
            private and loopback addresses; dev mode only (``CLARION_ALLOW_PRIVATE_ADDRESSES``).
    """

    http: httpx.AsyncClient | None = None
    in_app_sink: InAppSink | None = None
    allow_private_addresses: bool = False

    def sender(self) -> OutboundSender:
        """The outbound sender for URLs a tenant chose (``channels.outbound``)."""
        return OutboundSender(allow_private=self.allow_private_addresses, client=self.http)


ConfigT = TypeVar("ConfigT", bound=BaseModel)
MessageT = TypeVar("MessageT", bound=BaseModel)


class ChannelProvider(ABC, Generic[ConfigT, MessageT]):
    """Base class of every channel provider, built-in or plugin.

    Subclasses declare the class attributes below and implement ``send``. An instance belongs to
    one integration (one set of credentials) and holds no other state, so the host may create
    one per call.

    Attributes:
        id: Unique provider id; also the entry-point name in the ``clarion.channels`` group.
        channel: The channel the provider delivers on.
        display_name: Name shown in integration forms.
        config_model: Pydantic model of the credentials; secrets are ``SecretStr``.
        message_model: The message type ``send`` accepts, so the host can validate a dict into it.
        capabilities: What the provider supports.
    """

    id: ClassVar[str]
    channel: ClassVar[Channel]
    display_name: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]
    message_model: ClassVar[type[BaseModel]]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: ConfigT, *, context: ProviderContext | None = None) -> None:
        """Bind the provider to validated credentials.

        Args:
            config: An instance of ``config_model``.
            context: Resources lent by the host; defaults to an empty context.
        """
        self.config = config
        self.context = context if context is not None else ProviderContext()

    @abstractmethod
    async def send(self, message: MessageT, *, idempotency_key: str) -> SendResult:
        """Deliver one message.

        Args:
            message: An instance of ``message_model``.
            idempotency_key: Stable across retries of the same step; providers pass it on where
                the remote supports it.

        Returns:
            What the remote said about the delivered message.

        Raises:
            RetryableDeliveryError: The failure is transient; the host retries later.
            PermanentDeliveryError: Retrying cannot help.
        """

    async def check(self) -> CheckResult:
        """Test the credentials cheaply, without delivering anything.

        Returns:
            ``CheckResult(ok=True)`` by default; providers that can test override this and set
            ``capabilities.check``.
        """
        return CheckResult(ok=True)

    def __repr__(self) -> str:
        # The config repr masks SecretStr values, so this is safe to log.
        return f"{type(self).__name__}(config={self.config!r})"
