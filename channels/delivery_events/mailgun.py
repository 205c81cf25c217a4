"""Mailgun webhooks: HMAC-SHA256 of ``timestamp + token`` with the webhook signing key.

A temporary failure is Mailgun still retrying, so it changes nothing; a permanent one is a hard
bounce (or ``undelivered`` when Mailgun never tried, e.g. a suppressed address).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from channels.delivery_events import (
    DeliveryEvent,
    InboundRequest,
    ParseContext,
    Parsed,
    PayloadError,
    SignatureError,
    from_epoch,
    json_body,
)

_EVENTS = {"delivered": "delivered", "opened": "opened", "clicked": "clicked", "complained": "complained"}


def verify(body: dict[str, Any], key: Any) -> None:
    if key is None:
        raise SignatureError("the integration has no webhook_signing_key")
    sig = body.get("signature")
    if not isinstance(sig, dict):
        raise SignatureError("no signature object")
    expected = hmac.new(key.get_secret_value().encode(), f"{sig.get('timestamp')}{sig.get('token')}".encode(),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(sig.get("signature", ""))):
        raise SignatureError("the signature does not match")


async def parse(request: InboundRequest, config: Any, context: ParseContext) -> Parsed:
    body = json_body(request)
    if not isinstance(body, dict):
        raise PayloadError("expected a JSON object")
    verify(body, getattr(config, "webhook_signing_key", None))
    data = body.get("event-data")
    if not isinstance(data, dict):
        raise PayloadError("no event-data")
    kind = str(data.get("event"))
    name: str | None = _EVENTS.get(kind)
    bounce = None
    if kind == "failed":
        if data.get("severity") != "permanent":
            return Parsed(ignored=1)
        suppressed = str(data.get("reason", "")).startswith("suppress")
        name, bounce = ("undelivered", None) if suppressed else ("bounced", "hard")
    if name is None:
        return Parsed(ignored=1)
    headers = (data.get("message") or {}).get("headers") or {}
    message_id = str(headers.get("message-id", "")).strip("<>")
    if not message_id:
        raise PayloadError("no message.headers.message-id")
    status = _dict(data.get("delivery-status"))
    return Parsed(events=[DeliveryEvent(
        message_ids=[message_id], event=name, occurred_at=from_epoch(data.get("timestamp")),
        event_id=str(data.get("id") or f"{message_id}:{kind}"), bounce_type=bounce,
        reason=status.get("description") or status.get("message") or data.get("reason"), url=data.get("url"),
        raw=data,
    )])


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
