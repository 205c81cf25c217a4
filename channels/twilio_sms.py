"""Twilio Programmable Messaging: a form POST to ``/2010-04-01/Accounts/{sid}/Messages.json``.

Twilio's error bodies carry a numeric ``code`` (21211 invalid number, 20003 auth, 20429 too many
requests); it becomes ``provider_code`` while the HTTP status still decides retryable or not.
"""

from __future__ import annotations

from typing import ClassVar

import httpx
from pydantic import BaseModel, SecretStr

from channels import _http
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError, PermanentDeliveryError
from channels.messages import SmsMessage


class TwilioSmsConfig(_http.HttpConfig):
    """Twilio account settings; set ``from_number`` or ``messaging_service_sid``."""

    account_sid: str
    auth_token: SecretStr
    from_number: str | None = None
    messaging_service_sid: str | None = None
    base_url: str = "https://api.twilio.com"


class TwilioSmsProvider(ChannelProvider[TwilioSmsConfig, SmsMessage]):
    """Sends SMS through the Twilio REST API."""

    id: ClassVar[str] = "twilio_sms"
    channel: ClassVar[Channel] = Channel.SMS
    display_name: ClassVar[str] = "Twilio SMS"
    config_model: ClassVar[type[BaseModel]] = TwilioSmsConfig
    message_model: ClassVar[type[BaseModel]] = SmsMessage
    capabilities: ClassVar[Capabilities] = Capabilities(check=True)

    async def send(self, message: SmsMessage, *, idempotency_key: str) -> SendResult:
        form = {"To": message.to, "Body": message.content}
        sender = message.from_ or self.config.from_number
        if sender:
            form["From"] = sender
        elif self.config.messaging_service_sid:
            form["MessagingServiceSid"] = self.config.messaging_service_sid
        else:
            raise PermanentDeliveryError("twilio_sms: set from_number or messaging_service_sid")
        response = await self._request("POST", "/Messages.json", data=form)
        body = _http.json_or_empty(response)
        sid = body.get("sid") if isinstance(body, dict) else None
        return SendResult(
            provider_id=self.id,
            provider_message_id=str(sid) if sid else None,
            detail={"status": body.get("status")} if isinstance(body, dict) else {},
        )

    async def check(self) -> CheckResult:
        try:
            await self._request("GET", ".json")
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True)

    async def _request(self, method: str, suffix: str, **kwargs: object) -> httpx.Response:
        config = self.config
        url = f"{config.base_url.rstrip('/')}/2010-04-01/Accounts/{config.account_sid}{suffix}"
        response = await _http.request(
            self.context,
            method,
            url,
            timeout=config.timeout,
            auth=(config.account_sid, config.auth_token.get_secret_value()),
            **kwargs,
        )
        if not response.is_success:
            body = _http.json_or_empty(response)
            code = body.get("code") if isinstance(body, dict) else None
            _http.raise_for_status(response, provider_code=str(code) if code else None)
        return response
