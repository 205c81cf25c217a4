"""Mailgun: ``POST /v3/{domain}/messages`` as multipart form data, HTTP basic auth ``api:<key>``.

Mailgun answers ``{"id": "<...@domain>", "message": "Queued. Thank you."}``. Its webhooks name
the message by the Message-ID without angle brackets, so the id is stored the same way.
``region="eu"`` uses ``api.eu.mailgun.net``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, SecretStr

from channels import _email_api, _http
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError, PermanentDeliveryError
from channels.messages import EmailMessage

_REGIONS = {"us": "https://api.mailgun.net", "eu": "https://api.eu.mailgun.net"}


class MailgunConfig(_email_api.EmailApiConfig):
    """A Mailgun private API key and the sending domain; ``base_url`` overrides the region."""

    domain: str
    region: Literal["us", "eu"] = "us"
    base_url: str | None = None
    # The HTTP webhook signing key (Mailgun: Sending → Webhooks), to verify delivery events.
    webhook_signing_key: SecretStr | None = None


class MailgunProvider(ChannelProvider[MailgunConfig, EmailMessage]):
    """Sends email through Mailgun's messages API."""

    id: ClassVar[str] = "mailgun"
    channel: ClassVar[Channel] = Channel.EMAIL
    display_name: ClassVar[str] = "Mailgun"
    config_model: ClassVar[type[BaseModel]] = MailgunConfig
    message_model: ClassVar[type[BaseModel]] = EmailMessage
    capabilities: ClassVar[Capabilities] = Capabilities(html=True, attachments=True, batch=True, check=True)

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> SendResult:
        files = []
        for a in message.attachments:
            try:
                data = base64.b64decode(a.content_base64, validate=True)
            except binascii.Error as exc:
                raise PermanentDeliveryError(f"mailgun: attachment {a.filename!r} is not base64") from exc
            files.append(("attachment", (a.filename, data, a.mime_type)))
        response = await self._request(
            "POST", f"/v3/{self.config.domain}/messages", data=self.form(message, idempotency_key=idempotency_key),
            files=files or None,
        )
        body = _http.json_or_empty(response)
        message_id = body.get("id") if isinstance(body, dict) else None
        return SendResult(
            provider_id=self.id, provider_message_id=str(message_id).strip("<>") if message_id else None
        )

    def form(self, message: EmailMessage, *, idempotency_key: str) -> dict[str, Any]:
        """The documented form fields (repeated fields as lists)."""
        form: dict[str, Any] = {
            "from": _email_api.formatted_sender(self.config, message),
            "to": message.to,
            "subject": message.subject,
            "v:clarion_key": idempotency_key,
        }
        if message.html is not None:
            form["html"] = message.html
        if message.text is not None:
            form["text"] = message.text
        if message.cc:
            form["cc"] = message.cc
        if message.bcc:
            form["bcc"] = message.bcc
        if reply := _email_api.reply_to(self.config, message):
            form["h:Reply-To"] = reply
        for name, value in _email_api.custom_headers(self.id, message).items():
            form[f"h:{name}"] = value
        return form

    async def check(self) -> CheckResult:
        try:
            await self._request("GET", f"/v4/domains/{self.config.domain}")
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        base = self.config.base_url or _REGIONS[self.config.region]
        response = await _http.request(
            self.context, method, base.rstrip("/") + path, timeout=self.config.timeout,
            auth=("api", self.config.api_key.get_secret_value()), **kwargs,
        )
        if not response.is_success:
            body = _http.json_or_empty(response)
            detail = str(body.get("message", "")) if isinstance(body, dict) and body else response.text
            error = _http.error_for_status(response.status_code, detail, retry_after=_http.retry_after(response))
            if error is not None:
                raise error
        return response
