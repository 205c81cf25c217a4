"""SendGrid's Event Webhook, signed (ECDSA P-256 over timestamp + body, the Signed Event Webhook).

The integration's ``webhook_verification_key`` is the public key SendGrid shows for the signed
webhook (base64 DER). ``sg_message_id`` is the ``X-Message-Id`` of the send plus ``.filter…``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

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

SIGNATURE = "x-twilio-email-event-webhook-signature"
TIMESTAMP = "x-twilio-email-event-webhook-timestamp"
_EVENTS = {"delivered": "delivered", "bounce": "bounced", "dropped": "undelivered", "open": "opened",
           "click": "clicked", "spamreport": "complained"}


def verify(request: InboundRequest, public_key: str | None) -> None:
    if not public_key:
        raise SignatureError("the integration has no webhook_verification_key")
    signature, timestamp = request.headers.get(SIGNATURE), request.headers.get(TIMESTAMP)
    if not signature or not timestamp:
        raise SignatureError("missing the signed event webhook headers")
    try:
        key = load_der_public_key(base64.b64decode(public_key))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise SignatureError("webhook_verification_key is not an ECDSA key")
        key.verify(base64.b64decode(signature), timestamp.encode() + request.body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise SignatureError("the signature does not match") from exc


async def parse(request: InboundRequest, config: Any, context: ParseContext) -> Parsed:
    verify(request, getattr(config, "webhook_verification_key", None))
    items = json_body(request)
    if not isinstance(items, list):
        raise PayloadError("expected a JSON array of events")
    parsed = Parsed()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("sg_message_id"), str):
            raise PayloadError("an event has no sg_message_id")
        name = _EVENTS.get(str(item.get("event")))
        if name is None:
            parsed.ignored += 1
            continue
        full = item["sg_message_id"]
        ids = [full, full.split(".filter")[0], full.split(".")[0]]
        parsed.events.append(DeliveryEvent(
            message_ids=list(dict.fromkeys(ids)), event=name, occurred_at=from_epoch(item.get("timestamp")),
            event_id=str(item.get("sg_event_id") or f"{full}:{item.get('event')}:{item.get('timestamp')}"),
            bounce_type=("soft" if item.get("type") == "blocked" else "hard") if name == "bounced" else None,
            reason=item.get("reason"), url=item.get("url"), raw=item,
        ))
    return parsed
