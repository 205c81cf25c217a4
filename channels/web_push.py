"""Web Push (RFC 8030) to browsers, encrypted (RFC 8291, aes128gcm) and VAPID-signed (RFC 8292).

pywebpush encrypts the payload and py-vapid signs the ``Authorization: vapid t=…, k=…`` header;
the request goes through the outbound sender, because a push service endpoint is the browser's
choice. A subscriber's device token is the browser's ``PushSubscription`` as JSON
(``{"endpoint", "keys": {"p256dh", "auth"}}``). 404 and 410 mean the subscription is gone.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from py_vapid import Vapid  # type: ignore[import-untyped]
from pydantic import BaseModel, Field, SecretStr
from pywebpush import WebPusher  # type: ignore[import-untyped]

from channels import _http
from channels._push import TokenOutcome, settle
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.errors import DeliveryError, PermanentDeliveryError
from channels.messages import PushMessage


class WebPushConfig(_http.HttpConfig):
    """The application server's VAPID key pair (private key as base64url raw or PEM) and contact."""

    vapid_private_key: SecretStr
    vapid_subject: str = Field(description="mailto: or https: contact the push service may use.")
    ttl_seconds: int = Field(default=86_400, ge=0, description="How long the push service keeps an undelivered push.")
    urgency: Literal["very-low", "low", "normal", "high"] = "normal"


class WebPushProvider(ChannelProvider[WebPushConfig, PushMessage]):
    """Sends push notifications to browsers' push services."""

    id: ClassVar[str] = "web_push"
    channel: ClassVar[Channel] = Channel.PUSH
    display_name: ClassVar[str] = "Web Push (VAPID)"
    config_model: ClassVar[type[BaseModel]] = WebPushConfig
    message_model: ClassVar[type[BaseModel]] = PushMessage
    capabilities: ClassVar[Capabilities] = Capabilities(batch=True)

    async def send(self, message: PushMessage, *, idempotency_key: str) -> SendResult:
        payload = json.dumps({"title": message.title, "body": message.content, "data": message.data}).encode()
        outcomes = await asyncio.gather(*(self._one(token, payload) for token in message.tokens))
        return settle(self.id, list(outcomes))

    async def _one(self, token: str, payload: bytes) -> TokenOutcome:
        try:
            subscription = json.loads(token)
            endpoint = str(subscription["endpoint"])
            body = WebPusher(subscription).encode(payload, "aes128gcm")["body"]
        except (ValueError, KeyError, TypeError) as exc:
            return TokenOutcome(token, error=f"not a push subscription: {exc}")
        parts = urlsplit(endpoint)
        claims = {"aud": f"{parts.scheme}://{parts.netloc}", "sub": self.config.vapid_subject,
                  "exp": int(time.time()) + 12 * 3600}
        key = self.config.vapid_private_key.get_secret_value()
        vapid = Vapid.from_pem(key.encode()) if key.lstrip().startswith("-----BEGIN") else Vapid.from_string(key)
        headers = {**vapid.sign(claims), "Content-Encoding": "aes128gcm", "TTL": str(self.config.ttl_seconds),
                   "Urgency": self.config.urgency, "Content-Type": "application/octet-stream"}
        try:
            response = await self.context.sender().post(endpoint, content=body, headers=headers,
                                                         timeout=self.config.timeout)
        except DeliveryError as exc:
            return TokenOutcome(token, error=str(exc), retryable=not isinstance(exc, PermanentDeliveryError))
        if 200 <= response.status < 300:
            return TokenOutcome(token, message_id=response.headers.get("location") or endpoint)
        if response.status in (404, 410):
            return TokenOutcome(token, error="unregistered")
        retryable = response.status in (408, 429) or response.status >= 500
        return TokenOutcome(token, error=f"HTTP {response.status}: {response.excerpt[:200]}", retryable=retryable,
                            retry_after=response.retry_after)

