"""A generic HTTP SMS gateway: the integration names the URL, the headers and the JSON fields.

Many regional gateways take ``{"to": ..., "text": ...}`` with an API-key header; this provider
covers them without code. The idempotency key is sent as a header (``Idempotency-Key`` by
default) so gateways that support it can drop duplicates.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr

from channels import _http
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.messages import SmsMessage


class HttpSmsConfig(_http.HttpConfig):
    """Where and how to call the gateway; header values may hold API keys, so they are secret."""

    url: str
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    to_field: str = "to"
    content_field: str = "content"
    from_field: str = "from"
    default_from: str | None = None
    extra_fields: dict[str, Any] = Field(default_factory=dict)
    idempotency_header: str | None = "Idempotency-Key"
    message_id_field: str | None = "id"


class HttpSmsProvider(ChannelProvider[HttpSmsConfig, SmsMessage]):
    """Sends SMS to a configurable HTTP gateway as a JSON body."""

    id: ClassVar[str] = "http_sms"
    channel: ClassVar[Channel] = Channel.SMS
    display_name: ClassVar[str] = "HTTP SMS gateway"
    config_model: ClassVar[type[BaseModel]] = HttpSmsConfig
    message_model: ClassVar[type[BaseModel]] = SmsMessage
    capabilities: ClassVar[Capabilities] = Capabilities(idempotency=True)

    async def send(self, message: SmsMessage, *, idempotency_key: str) -> SendResult:
        config = self.config
        # Message fields are applied last so a static extra field cannot overwrite the recipient.
        body: dict[str, Any] = {**config.extra_fields, config.to_field: message.to}
        body[config.content_field] = message.content
        if sender := message.from_ or config.default_from:
            body[config.from_field] = sender
        headers = {name: value.get_secret_value() for name, value in config.headers.items()}
        if config.idempotency_header:
            headers[config.idempotency_header] = idempotency_key
        response = await _http.request(
            self.context, config.method, config.url, timeout=config.timeout, json=body, headers=headers
        )
        _http.raise_for_status(response)
        answer = _http.json_or_empty(response)
        remote_id = None
        if config.message_id_field and isinstance(answer, dict):
            remote_id = answer.get(config.message_id_field)
        return SendResult(provider_id=self.id, provider_message_id=str(remote_id) if remote_id else None)
