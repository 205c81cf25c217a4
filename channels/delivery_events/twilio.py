"""Twilio status callbacks: a form POST signed in ``X-Twilio-Signature``.

The signature is base64 HMAC-SHA1, keyed with the account's auth token, of the full URL Twilio
called followed by every POST parameter name and value in name order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from channels.delivery_events import DeliveryEvent, InboundRequest, ParseContext, Parsed, PayloadError, SignatureError

_EVENTS = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered", "read": "opened"}


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


async def parse(request: InboundRequest, config: Any, context: ParseContext) -> Parsed:
    try:
        params = parse_qsl(request.body.decode(), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise PayloadError("the body is not a form") from exc
    expected = signature(config.auth_token.get_secret_value(), request.url, params)
    if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
        raise SignatureError("X-Twilio-Signature does not match")
    form = dict(params)
    sid, status = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not status:
        raise PayloadError("no MessageSid or MessageStatus")
    name = _EVENTS.get(status)
    if name is None:
        return Parsed(ignored=1)
    code = form.get("ErrorCode")
    return Parsed(events=[DeliveryEvent(
        message_ids=[sid], event=name, occurred_at=datetime.now(UTC), event_id=f"{sid}:{status}",
        reason=f"Twilio error {code}" if code else None, raw=form,
    )])
