"""Postmark: ``POST /email`` with the ``X-Postmark-Server-Token`` header.

Postmark answers ``{"MessageID", "ErrorCode": 0}``; a refused message is a 422 whose
``ErrorCode`` (300 invalid email, 406 inactive recipient, ...) becomes ``provider_code``. 429 and
5xx are retryable, every other status permanent.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, SecretStr

from channels import _email_api, _http
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError
from channels.messages import EmailMessage


class PostmarkConfig(_email_api.EmailApiConfig):
    """A Postmark server token; ``message_stream`` picks the stream (``outbound`` by default)."""

    message_stream: str = "outbound"
    base_url: str = "https://api.postmarkapp.com"
    # The basic-auth password of the webhook URL configured in Postmark (Postmark signs nothing).
    webhook_password: SecretStr | None = None


class PostmarkProvider(ChannelProvider[PostmarkConfig, EmailMessage]):
    """Sends email through Postmark's email API."""

    id: ClassVar[str] = "postmark"
    channel: ClassVar[Channel] = Channel.EMAIL
    display_name: ClassVar[str] = "Postmark"
    config_model: ClassVar[type[BaseModel]] = PostmarkConfig
    message_model: ClassVar[type[BaseModel]] = EmailMessage
    capabilities: ClassVar[Capabilities] = Capabilities(html=True, attachments=True, batch=True, check=True)

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> SendResult:
        response = await self._request("POST", "/email", json=self.body(message, idempotency_key=idempotency_key))
        body = _http.json_or_empty(response)
        message_id = body.get("MessageID") if isinstance(body, dict) else None
        return SendResult(provider_id=self.id, provider_message_id=str(message_id) if message_id else None)

    def body(self, message: EmailMessage, *, idempotency_key: str) -> dict[str, Any]:
        """The documented request body (public so tests can inspect it)."""
        body: dict[str, Any] = {
            "From": _email_api.formatted_sender(self.config, message),
            "To": ", ".join(message.to),
            "Subject": message.subject,
            "MessageStream": self.config.message_stream,
            "Metadata": {"clarion_key": idempotency_key[:80]},
        }
        if message.html is not None:
            body["HtmlBody"] = message.html
        if message.text is not None:
            body["TextBody"] = message.text
        if message.cc:
            body["Cc"] = ", ".join(message.cc)
        if message.bcc:
            body["Bcc"] = ", ".join(message.bcc)
        if reply := _email_api.reply_to(self.config, message):
            body["ReplyTo"] = reply
        if headers := _email_api.custom_headers(self.id, message):
            body["Headers"] = [{"Name": k, "Value": v} for k, v in headers.items()]
        if message.attachments:
            body["Attachments"] = [
                {"Name": a.filename, "Content": a.content_base64, "ContentType": a.mime_type}
                for a in message.attachments
            ]
        return body

    async def check(self) -> CheckResult:
        try:
            await self._request("GET", "/server")
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Accept": "application/json", "X-Postmark-Server-Token": self.config.api_key.get_secret_value()}
        response = await _http.request(
            self.context, method, self.config.base_url.rstrip("/") + path, timeout=self.config.timeout,
            headers=headers, **kwargs,
        )
        if not response.is_success:
            body = _http.json_or_empty(response)
            code = body.get("ErrorCode") if isinstance(body, dict) else None
            detail = str(body.get("Message", "")) if isinstance(body, dict) and body else response.text
            error = _http.error_for_status(
                response.status_code, detail, retry_after=_http.retry_after(response),
                provider_code=str(code) if code else None,
            )
            if error is not None:
                raise error
        return response
