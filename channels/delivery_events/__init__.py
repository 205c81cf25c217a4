"""Delivery events that providers post back: verify the request, then read it as ``DeliveryEvent``s.

One module per provider family, each a ``parse(request, config, context)`` coroutine that raises
``SignatureError`` when the request is not provably from the provider and ``PayloadError`` when
it cannot be read. ``PARSERS`` maps provider ids (the integration's ``providerId``) to them. The
host decides what an event does to a message; nothing here touches storage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel

__all__ = [
    "EVENTS",
    "DeliveryEvent",
    "InboundRequest",
    "ParseContext",
    "Parsed",
    "PayloadError",
    "SignatureError",
    "parser_for",
]

EventName = Literal["delivered", "bounced", "complained", "opened", "clicked", "undelivered"]
EVENTS: tuple[str, ...] = ("delivered", "bounced", "complained", "opened", "clicked", "undelivered")


class SignatureError(Exception):
    """The request is not signed (or authenticated) by the provider this integration configures."""


class PayloadError(Exception):
    """The request is authentic but cannot be read as the provider's documented event format."""


@dataclass(frozen=True)
class InboundRequest:
    """What arrived: ``url`` is the public URL the provider called (Twilio signs it)."""

    url: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class ParseContext:
    """Host resources: an HTTP client (SNS certificates, subscription confirmation) and policy."""

    http: httpx.AsyncClient | None = None
    # SNS signing certificates and SubscribeURLs are fetched only from URLs matching this.
    sns_url_pattern: str = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"
    certificates: dict[str, bytes] = field(default_factory=dict)  # a cache the host may keep


class DeliveryEvent(BaseModel):
    """One status change a provider reports for one message.

    ``message_ids`` lists the forms the provider's id may have been stored in, most specific first.
    """

    message_ids: list[str]
    event: EventName
    occurred_at: datetime
    event_id: str
    bounce_type: Literal["hard", "soft"] | None = None
    reason: str | None = None
    url: str | None = None
    raw: dict[str, Any] = {}


class Parsed(BaseModel):
    """The events of one request and, for handshakes such as SNS subscriptions, what was done."""

    events: list[DeliveryEvent] = []
    note: str | None = None
    # Events the provider reported that map to no status change (processed, deferred, ...).
    ignored: int = 0


Parser = Callable[[InboundRequest, Any, ParseContext], Awaitable[Parsed]]


def parser_for(provider_id: str) -> Parser | None:
    """The parser of a provider id, or None when the provider posts no delivery events."""
    from channels.delivery_events import mailgun, postmark, resend, sendgrid, ses, twilio

    parsers: dict[str, Parser] = {
        "sendgrid": sendgrid.parse, "ses": ses.parse, "postmark": postmark.parse, "resend": resend.parse,
        "mailgun": mailgun.parse, "twilio_sms": twilio.parse,
    }
    return parsers.get(provider_id)


def from_epoch(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise PayloadError(f"not a timestamp: {value!r}") from exc


def from_iso(value: Any) -> datetime:
    if not isinstance(value, str):
        raise PayloadError(f"not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"not a timestamp: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_body(request: InboundRequest) -> Any:
    import json

    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise PayloadError("the body is not JSON") from exc
