"""Message models, one per channel.

They cross Temporal activity boundaries, so they hold only JSON-serialisable data: no bytes, no
clients, no secrets the step does not need.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Attachment",
    "ChatMessage",
    "EmailMessage",
    "InAppMessage",
    "PushMessage",
    "SmsMessage",
    "WebhookMessage",
]


class Attachment(BaseModel):
    """A file attached to an email; base64 keeps it JSON-safe across the activity boundary."""

    filename: str
    content_base64: str
    mime_type: str = "application/octet-stream"


class EmailMessage(BaseModel):
    """A rendered email for one delivery (``to`` may hold several addresses)."""

    to: list[str] = Field(min_length=1)
    subject: str
    html: str | None = None
    text: str | None = None
    from_address: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    cc: list[str] = []
    bcc: list[str] = []
    attachments: list[Attachment] = []
    headers: dict[str, str] = {}

    @model_validator(mode="after")
    def _has_body(self) -> EmailMessage:
        # A bodiless email is always a rendering bug; refuse it before it reaches a server.
        if self.html is None and self.text is None:
            raise ValueError("an email needs an html or a text body")
        return self


class InAppMessage(BaseModel):
    """An inbox entry for one subscriber; ``cta`` holds the redirect URL and the actions."""

    subscriber_id: str
    content: str
    subject: str | None = None
    avatar: str | None = None
    cta: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    data: dict[str, Any] = {}


class SmsMessage(BaseModel):
    """A text message; ``from`` is a keyword, so the field is ``from_`` with the alias ``from``."""

    model_config = ConfigDict(populate_by_name=True)

    to: str
    content: str
    from_: str | None = Field(default=None, alias="from")


class ChatMessage(BaseModel):
    """A chat post; ``webhook_url`` comes from subscriber credentials, ``channel`` targets bot APIs."""

    content: str
    webhook_url: str | None = None
    channel: str | None = None
    # The subscriber's webhook URLs by the ``providerId`` their channel credentials name; a chat
    # provider takes its own (``webhook_url`` is the first of them, for providers that predate this).
    webhook_urls: dict[str, str] = {}


class PushMessage(BaseModel):
    """A push notification to every device token of one subscriber."""

    tokens: list[str] = Field(min_length=1)
    title: str
    content: str
    data: dict[str, Any] = {}


class WebhookMessage(BaseModel):
    """An outbound event; ``webhook_id`` stays the same across retries so receivers can dedupe."""

    url: str | None = None
    event_type: str
    payload: dict[str, Any]
    webhook_id: str
