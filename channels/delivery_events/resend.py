"""Resend webhooks, signed by Svix: the Standard Webhooks scheme under ``svix-*`` header names."""

from __future__ import annotations

from typing import Any

import standardwebhooks

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

_EVENTS = {"email.delivered": "delivered", "email.bounced": "bounced", "email.complained": "complained",
           "email.opened": "opened", "email.clicked": "clicked", "email.failed": "undelivered"}


def verify(request: InboundRequest, secret: Any) -> None:
    if secret is None:
        raise SignatureError("the integration has no webhook_secret")
    h = request.headers
    headers = {"webhook-id": h.get("svix-id") or h.get("webhook-id") or "",
               "webhook-timestamp": h.get("svix-timestamp") or h.get("webhook-timestamp") or "",
               "webhook-signature": h.get("svix-signature") or h.get("webhook-signature") or ""}
    try:
        standardwebhooks.Webhook(secret.get_secret_value()).verify(request.body, headers)
    except standardwebhooks.WebhookVerificationError as exc:
        raise SignatureError(f"the signature does not verify: {exc}") from exc


async def parse(request: InboundRequest, config: Any, context: ParseContext) -> Parsed:
    verify(request, getattr(config, "webhook_secret", None))
    item = json_body(request)
    data = item.get("data") if isinstance(item, dict) else None
    if not isinstance(data, dict) or not data.get("email_id"):
        raise PayloadError("expected a Resend event with data.email_id")
    name = _EVENTS.get(str(item.get("type")))
    if name is None:
        return Parsed(ignored=1)
    bounce, click, failed = (_dict(data.get(k)) for k in ("bounce", "click", "failed"))
    event_id = request.headers.get("svix-id") or request.headers.get("webhook-id") or f"{data['email_id']}:{name}"
    return Parsed(events=[DeliveryEvent(
        message_ids=[str(data["email_id"])], event=name, occurred_at=from_iso(item.get("created_at")),
        event_id=event_id, bounce_type=("hard" if bounce.get("type") == "Permanent" else "soft")
        if name == "bounced" else None, reason=bounce.get("message") or failed.get("reason"), url=click.get("link"),
        raw=item,
    )])


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
