"""Resend: ``POST /emails`` with a bearer API key and an ``Idempotency-Key`` header.

Resend answers ``{"id"}``; errors are ``{"statusCode", "name", "message"}`` and ``name``
(``validation_error``, ``rate_limit_exceeded``, ...) becomes ``provider_code``. Resend keeps an
idempotency key for 24 hours, so a retry after a lost answer does not send twice.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, SecretStr

from channels import _email_api, _http
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError
from channels.messages import EmailMessage

_KEY_LIMIT = 256  # Resend's documented maximum idempotency-key length


class ResendConfig(_email_api.EmailApiConfig):
    """A Resend API key (``re_...``) and a sender on a verified domain."""

    base_url: str = "https://api.resend.com"
    # The webhook's signing secret (``whsec_...``) from Resend's dashboard.
    webhook_secret: SecretStr | None = None


class ResendProvider(ChannelProvider[ResendConfig, EmailMessage]):
    """Sends email through Resend's API."""

    id: ClassVar[str] = "resend"
    channel: ClassVar[Channel] = Channel.EMAIL
    display_name: ClassVar[str] = "Resend"
    config_model: ClassVar[type[BaseModel]] = ResendConfig
    message_model: ClassVar[type[BaseModel]] = EmailMessage
    capabilities: ClassVar[Capabilities] = Capabilities(
        html=True, attachments=True, batch=True, idempotency=True, check=True
    )

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> SendResult:
        response = await self._request(
            "POST", "/emails", json=self.body(message), headers={"Idempotency-Key": idempotency_key[:_KEY_LIMIT]}
        )
        body = _http.json_or_empty(response)
        message_id = body.get("id") if isinstance(body, dict) else None
        return SendResult(provider_id=self.id, provider_message_id=str(message_id) if message_id else None)

    def body(self, message: EmailMessage) -> dict[str, Any]:
        """The documented request body (public so tests can inspect it)."""
        body: dict[str, Any] = {
            "from": _email_api.formatted_sender(self.config, message),
            "to": message.to,
            "subject": message.subject,
        }
        if message.html is not None:
            body["html"] = message.html
        if message.text is not None:
            body["text"] = message.text
        if message.cc:
            body["cc"] = message.cc
        if message.bcc:
            body["bcc"] = message.bcc
        if reply := _email_api.reply_to(self.config, message):
            body["reply_to"] = [reply]
        if headers := _email_api.custom_headers(self.id, message):
            body["headers"] = headers
        if message.attachments:
            body["attachments"] = [
                {"filename": a.filename, "content": a.content_base64, "content_type": a.mime_type}
                for a in message.attachments
            ]
        return body

    async def check(self) -> CheckResult:
        try:
            await self._request("GET", "/domains")
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True)

    async def _request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                       **kwargs: Any) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.config.api_key.get_secret_value()}", **(headers or {})}
        response = await _http.request(
            self.context, method, self.config.base_url.rstrip("/") + path, timeout=self.config.timeout,
            headers=auth, **kwargs,
        )
        if not response.is_success:
            body = _http.json_or_empty(response)
            name = body.get("name") if isinstance(body, dict) else None
            detail = str(body.get("message", "")) if isinstance(body, dict) and body else response.text
            error = _http.error_for_status(
                response.status_code, detail, retry_after=_http.retry_after(response),
                provider_code=str(name) if name else None,
            )
            if error is not None:
                raise error
        return response
