"""Expo push notifications: POST the messages to ``{base_url}/--/api/v2/push/send``.

Expo answers 200 with one ticket per message; a ticket with ``status: "error"`` names the reason in
``details.error``. ``DeviceNotRegistered`` and the other reasons are permanent for that token;
``MessageRateExceeded`` is transient.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, SecretStr

from channels import _http, _push
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.errors import PermanentDeliveryError
from channels.messages import PushMessage

TRANSIENT_TICKET_ERRORS = frozenset({"MessageRateExceeded"})


class ExpoPushConfig(_http.HttpConfig):
    """Expo settings; the access token is only needed when enhanced push security is on."""

    access_token: SecretStr | None = None
    base_url: str = "https://exp.host"


class ExpoPushProvider(ChannelProvider[ExpoPushConfig, PushMessage]):
    """Sends push notifications through Expo's push service."""

    id: ClassVar[str] = "expo_push"
    channel: ClassVar[Channel] = Channel.PUSH
    display_name: ClassVar[str] = "Expo push"
    config_model: ClassVar[type[BaseModel]] = ExpoPushConfig
    message_model: ClassVar[type[BaseModel]] = PushMessage
    capabilities: ClassVar[Capabilities] = Capabilities(batch=True)

    async def send(self, message: PushMessage, *, idempotency_key: str) -> SendResult:
        # One entry per token keeps the tickets aligned with the tokens, index for index.
        batch = [
            {"to": token, "title": message.title, "body": message.content, "data": message.data}
            for token in message.tokens
        ]
        headers = {"Accept": "application/json"}
        if self.config.access_token is not None:
            headers["Authorization"] = f"Bearer {self.config.access_token.get_secret_value()}"
        response = await _http.request(
            self.context,
            "POST",
            f"{self.config.base_url.rstrip('/')}/--/api/v2/push/send",
            timeout=self.config.timeout,
            json=batch,
            headers=headers,
        )
        _http.raise_for_status(response)
        body = _http.json_or_empty(response)
        tickets = body.get("data") if isinstance(body, dict) else None
        if not isinstance(tickets, list) or len(tickets) != len(message.tokens):
            raise PermanentDeliveryError(f"expo_push: unexpected response: {response.text[:300]}")
        outcomes = [_outcome(token, ticket) for token, ticket in zip(message.tokens, tickets, strict=True)]
        return _push.settle(self.id, outcomes)


def _outcome(token: str, ticket: Any) -> _push.TokenOutcome:
    if isinstance(ticket, dict) and ticket.get("status") == "ok":
        return _push.TokenOutcome(token=token, message_id=str(ticket.get("id")))
    details = ticket.get("details") if isinstance(ticket, dict) else None
    reason = details.get("error") if isinstance(details, dict) else None
    error = str(reason or (ticket.get("message") if isinstance(ticket, dict) else None) or "unknown")
    return _push.TokenOutcome(token=token, error=error, retryable=error in TRANSIENT_TICKET_ERRORS)
