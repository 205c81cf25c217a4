"""Postmark webhooks: authenticated by HTTP basic auth in the webhook URL (Postmark signs nothing).

Set the integration's ``webhook_password`` and configure the webhook URL in Postmark as
``https://<any user>:<password>@<clarion>/v1/webhooks/providers/<integrationId>``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

from channels.delivery_events import (
    DeliveryEvent,
    InboundRequest,
    ParseContext,
    Parsed,
    PayloadError,
    SignatureError,
    from_iso,
    json_body,
)

_EVENTS = {"Delivery": "delivered", "Bounce": "bounced", "SpamComplaint": "complained", "Open": "opened",
           "Click": "clicked"}
_WHEN = {"Delivery": "DeliveredAt", "Bounce": "BouncedAt", "SpamComplaint": "BouncedAt", "Open": "ReceivedAt",
         "Click": "ReceivedAt"}
# Postmark's bounce types that mean the address will never accept mail.
_HARD = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "SpamNotification"})


def verify(request: InboundRequest, password: Any) -> None:
    if password is None:
        raise SignatureError("the integration has no webhook_password")
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        given = base64.b64decode(encoded, validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        given = ""
    if scheme.lower() != "basic" or not hmac.compare_digest(given.encode(), password.get_secret_value().encode()):
        raise SignatureError("basic authentication failed")


async def parse(request: InboundRequest, config: Any, context: ParseContext) -> Parsed:
    verify(request, getattr(config, "webhook_password", None))
    item = json_body(request)
    if not isinstance(item, dict) or not item.get("MessageID"):
        raise PayloadError("expected a Postmark webhook object with MessageID")
    record = str(item.get("RecordType"))
    name = _EVENTS.get(record)
    if name is None:
        return Parsed(ignored=1)
    when = item.get(_WHEN[record]) or item.get("ReceivedAt") or item.get("BouncedAt")
    event_id = f"{record}:{item['MessageID']}:{item.get('ID') or when}"
    return Parsed(events=[DeliveryEvent(
        message_ids=[str(item["MessageID"])], event=name, occurred_at=from_iso(when), event_id=event_id,
        bounce_type=("hard" if item.get("Type") in _HARD else "soft") if name == "bounced" else None,
        reason=item.get("Description") or item.get("Details"), url=item.get("OriginalLink"), raw=item,
    )])
