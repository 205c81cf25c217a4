"""SendGrid v3 Mail Send: ``POST /v3/mail/send`` with a bearer API key.

SendGrid answers 202 with an empty body and the message id in the ``X-Message-Id`` header; the
event webhook reports ``sg_message_id`` as that id followed by ``.filter...``, which the inbound
route matches by prefix. Errors carry ``{"errors": [{"message", "field"}]}``; the HTTP status
decides retryable (408/429/5xx) or permanent, as SendGrid documents.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from channels import _email_api, _http
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError
from channels.messages import EmailMessage


class SendgridConfig(_email_api.EmailApiConfig):
    """A SendGrid API key with the ``mail.send`` scope and a verified sender."""

    base_url: str = "https://api.sendgrid.com"
    webhook_verification_key: str | None = Field(
        default=None, description="The Signed Event Webhook's public key (base64), to verify delivery events."
    )


class SendgridProvider(ChannelProvider[SendgridConfig, EmailMessage]):
    """Sends email through SendGrid's v3 Mail Send API."""

    id: ClassVar[str] = "sendgrid"
    channel: ClassVar[Channel] = Channel.EMAIL
    display_name: ClassVar[str] = "SendGrid"
    config_model: ClassVar[type[BaseModel]] = SendgridConfig
    message_model: ClassVar[type[BaseModel]] = EmailMessage
    capabilities: ClassVar[Capabilities] = Capabilities(html=True, attachments=True, batch=True, check=True)

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> SendResult:
        response = await _http.request(
            self.context, "POST", self._url("/v3/mail/send"), timeout=self.config.timeout,
            headers=self._auth(), json=self.body(message, idempotency_key=idempotency_key),
        )
        _raise(response)
        return SendResult(provider_id=self.id, provider_message_id=response.headers.get("x-message-id"))

    def body(self, message: EmailMessage, *, idempotency_key: str) -> dict[str, Any]:
        """The documented request body (public so tests and previews can inspect it)."""
        name, address = _email_api.sender(self.config, message)
        personalization: dict[str, Any] = {"to": [{"email": a} for a in message.to]}
        if message.cc:
            personalization["cc"] = [{"email": a} for a in message.cc]
        if message.bcc:
            personalization["bcc"] = [{"email": a} for a in message.bcc]
        # SendGrid requires text/plain before text/html.
        content = [{"type": "text/plain", "value": message.text}] if message.text is not None else []
        if message.html is not None:
            content.append({"type": "text/html", "value": message.html})
        body: dict[str, Any] = {
            "personalizations": [personalization],
            "from": {"email": address, **({"name": name} if name else {})},
            "subject": message.subject,
            "content": content,
            # Echoed on every event of the message, so events can be tied back without the id.
            "custom_args": {"clarion_key": idempotency_key[:200]},
        }
        if reply := _email_api.reply_to(self.config, message):
            body["reply_to"] = {"email": reply}
        if headers := _email_api.custom_headers(self.id, message):
            body["headers"] = headers
        if message.attachments:
            body["attachments"] = [
                {"content": a.content_base64, "filename": a.filename, "type": a.mime_type, "disposition": "attachment"}
                for a in message.attachments
            ]
        return body

    async def check(self) -> CheckResult:
        try:
            response = await _http.request(
                self.context, "GET", self._url("/v3/scopes"), timeout=self.config.timeout, headers=self._auth()
            )
            _raise(response)
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True)

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"}


def _raise(response: Any) -> None:
    if response.is_success:
        return
    body = _http.json_or_empty(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        detail = "; ".join(str(e.get("message", "")) + (f" ({e['field']})" if e.get("field") else "") for e in errors)
        error = _http.error_for_status(response.status_code, detail, retry_after=_http.retry_after(response))
        if error is not None:
            raise error
    _http.raise_for_status(response)
