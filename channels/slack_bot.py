"""Slack bot tokens: ``chat.postMessage`` to a channel or user id.

Slack's Web API answers most failures with HTTP 200 and ``{"ok": false, "error": "..."}``, so the
status mapping is not enough: the ``error`` string decides. Only the codes Slack documents as
transient are retried; anything else (``channel_not_found``, ``invalid_auth``, ...) is permanent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, SecretStr

from channels import _http
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from channels.messages import ChatMessage

TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackBotConfig(_http.HttpConfig):
    """Slack app settings."""

    bot_token: SecretStr
    default_channel: str | None = None
    base_url: str = "https://slack.com"


class SlackBotProvider(ChannelProvider[SlackBotConfig, ChatMessage]):
    """Posts with a Slack bot token through the Web API."""

    id: ClassVar[str] = "slack_bot"
    channel: ClassVar[Channel] = Channel.CHAT
    display_name: ClassVar[str] = "Slack (bot token)"
    config_model: ClassVar[type[BaseModel]] = SlackBotConfig
    message_model: ClassVar[type[BaseModel]] = ChatMessage
    capabilities: ClassVar[Capabilities] = Capabilities(markdown=True, check=True)

    async def send(self, message: ChatMessage, *, idempotency_key: str) -> SendResult:
        channel = message.channel or self.config.default_channel
        if not channel:
            raise PermanentDeliveryError("slack_bot: no channel: the message and the integration set none")
        body = await self._call("chat.postMessage", {"channel": channel, "text": message.content})
        ts = body.get("ts")
        return SendResult(
            provider_id=self.id,
            provider_message_id=str(ts) if ts is not None else None,
            detail={"channel": body.get("channel", channel)},
        )

    async def check(self) -> CheckResult:
        try:
            body = await self._call("auth.test", {})
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True, message=f"authenticated as {body.get('user', '?')}")

    async def _call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = await _http.request(
            self.context,
            "POST",
            f"{self.config.base_url.rstrip('/')}/api/{method}",
            timeout=self.config.timeout,
            json=payload,
            headers={"Authorization": f"Bearer {self.config.bot_token.get_secret_value()}"},
        )
        _http.raise_for_status(response)
        body = _http.json_or_empty(response)
        if not isinstance(body, dict):
            raise PermanentDeliveryError("slack_bot: response is not a JSON object")
        if body.get("ok") is True:
            return body
        error = str(body.get("error", "unknown_error"))
        if error in TRANSIENT_ERRORS:
            raise RetryableDeliveryError(
                f"Slack {method}: {error}", provider_code=error, retry_after=_http.retry_after(response)
            )
        raise PermanentDeliveryError(f"Slack {method}: {error}", provider_code=error)
