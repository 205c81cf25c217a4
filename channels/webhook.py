"""Generic outbound webhooks, signed per the Standard Webhooks specification.

Each request carries ``webhook-id`` (the message's ``webhook_id``, identical across retries so the
receiver can deduplicate), ``webhook-timestamp`` (seconds, fresh per attempt so the receiver's
replay window holds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">``,
keyed with the base64-decoded part of a ``whsec_...`` secret. The body is
``{"type": event_type, "timestamp": ..., "data": payload}``. A 410 Gone means the receiver
retired the endpoint: permanent, with ``provider_code="410"``.
"""

from __future__ import annotations

import binascii
import json
import time
from datetime import UTC, datetime
from typing import ClassVar

import httpx
from pydantic import BaseModel, Field, SecretStr, field_validator

from channels import _http, signing
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.errors import PermanentDeliveryError
from channels.messages import WebhookMessage


class WebhookConfig(_http.HttpConfig):
    """Default endpoint and signing secret; ``WebhookMessage.url`` overrides the endpoint."""

    url: str | None = None
    secret: SecretStr
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("secret")
    @classmethod
    def _decodable(cls, value: SecretStr) -> SecretStr:
        try:
            signing.secret_key(value.get_secret_value())
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the signing secret must be whsec_ followed by base64: {exc}") from None
        return value


class WebhookProvider(ChannelProvider[WebhookConfig, WebhookMessage]):
    """POSTs signed JSON events to an HTTP endpoint."""

    id: ClassVar[str] = "webhook"
    channel: ClassVar[Channel] = Channel.WEBHOOK
    display_name: ClassVar[str] = "Webhook (Standard Webhooks)"
    config_model: ClassVar[type[BaseModel]] = WebhookConfig
    message_model: ClassVar[type[BaseModel]] = WebhookMessage
    capabilities: ClassVar[Capabilities] = Capabilities(idempotency=True)

    async def send(self, message: WebhookMessage, *, idempotency_key: str) -> SendResult:
        url = message.url or self.config.url
        if not url:
            raise PermanentDeliveryError("webhook: no URL: the message and the integration set none")
        now = time.time()
        envelope = {
            "type": message.event_type,
            "timestamp": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
            "data": message.payload,
        }
        # The signature covers these exact bytes, so serialise once and send them verbatim.
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
        # httpx.Headers replaces case-insensitively, so a configured header cannot shadow these.
        headers = httpx.Headers(self.config.headers)
        headers["content-type"] = "application/json"
        headers.update(signing.standard_headers(
            self.config.secret.get_secret_value(), webhook_id=message.webhook_id, timestamp_s=int(now), body=body
        ))
        # Through the one outbound sender: the URL is the workflow author's, so private addresses
        # are refused outside dev mode, and redirects are never followed.
        response = await self.context.sender().post(
            url, content=body.encode(), headers=headers, timeout=self.config.timeout
        )
        error = _http.error_for_status(response.status, response.excerpt, retry_after=response.retry_after)
        if error is not None:
            raise error
        return SendResult(provider_id=self.id, provider_message_id=message.webhook_id)

