"""Apple Push Notification service, direct: one HTTP/2 ``POST /3/device/<token>`` per device token.

Authentication is token-based: an ES256 JWT from the team's ``.p8`` key (``channels._apns_token``,
cached and renewed before Apple's hour runs out; a ``403 ExpiredProviderToken`` renews it at once
and that token is sent again). Requests go through the outbound sender (``channels.outbound``) in
its HTTP/2 mode, so the base URL, which a test or a relay may override, is resolution-pinned and
address-checked like any other.

The payload is ``{"aps": {"alert": {"title", "body"}, "sound"}, **data}``. Keys of ``data`` that
Apple defines inside ``aps`` (``badge``, ``sound``, ``category``, ``thread-id``...) move there, and
``apns-collapse-id`` becomes the header of that name. Apple's answers map as documented: 400 (e.g.
``BadDeviceToken``) and 410 ``Unregistered`` fail that token for good (it shows in the result's
``failed_tokens``; ``unregistered_tokens`` lists the ones to forget); 429 and 5xx are retried; a
400/403 about the topic or the credentials fails every token alike, so it stops at the first.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from channels import _apns_token, _http, _push
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.errors import PermanentDeliveryError, RetryableDeliveryError
from channels.messages import PushMessage

PRODUCTION_URL = "https://api.push.apple.com"
SANDBOX_URL = "https://api.sandbox.push.apple.com"
# Reasons that are about the integration, not the device: every other token would fail the same way.
_INTEGRATION_REASONS = frozenset({
    "BadCertificate", "BadCertificateEnvironment", "BadTopic", "ExpiredProviderToken",
    "Forbidden", "InvalidProviderToken", "MissingProviderToken", "MissingTopic", "TopicDisallowed",
    "UnrelatedKeyIdInToken", "BadPath", "MethodNotAllowed", "InvalidPushType",
})  # fmt: skip
_APS_KEYS = ("badge", "sound", "category", "thread-id", "mutable-content", "content-available",
             "interruption-level", "relevance-score", "target-content-id")
_ID_NAMESPACE = uuid.UUID("6f1c2a8e-8d9b-4f0e-9a57-3c1e2b7d4a10")


class ApnsConfig(_http.HttpConfig):
    """Token-based APNs credentials and the defaults every notification of this integration gets."""

    key_id: str = Field(min_length=1, description="The 10-character Key ID of the .p8 key.")
    team_id: str = Field(min_length=1, description="The Apple developer Team ID (the JWT issuer).")
    private_key: SecretStr = Field(description="The .p8 key's PEM text.")
    bundle_id: str = Field(min_length=1, description="The app's bundle id, sent as apns-topic.")
    production: bool = Field(default=True, description="api.push.apple.com, or the sandbox host when false.")
    base_url: str | None = Field(default=None, description="Overrides the host (tests, relays).")
    push_type: Literal["alert", "background", "voip", "complication", "fileprovider", "mdm", "liveactivity"] = \
        "alert"
    priority: Literal[1, 5, 10] | None = Field(default=None, description="10 (alert) or 5 (background) by default.")
    expiration_seconds: int = Field(default=86400, ge=0, description="How long APNs keeps an undelivered push.")
    sound: str | None = "default"

    @field_validator("private_key")
    @classmethod
    def _is_p8(cls, value: SecretStr) -> SecretStr:
        _apns_token.load_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _background_is_low_priority(self) -> ApnsConfig:
        if self.push_type == "background" and self.priority == 10:
            raise ValueError("background pushes must use priority 5 (Apple refuses 10)")
        return self

    @property
    def url(self) -> str:
        return (self.base_url or (PRODUCTION_URL if self.production else SANDBOX_URL)).rstrip("/")


class ApnsProvider(ChannelProvider[ApnsConfig, PushMessage]):
    """Sends push notifications straight to APNs over HTTP/2."""

    id: ClassVar[str] = "apns"
    channel: ClassVar[Channel] = Channel.PUSH
    display_name: ClassVar[str] = "Apple Push Notification service"
    config_model: ClassVar[type[BaseModel]] = ApnsConfig
    message_model: ClassVar[type[BaseModel]] = PushMessage
    capabilities: ClassVar[Capabilities] = Capabilities(batch=True, idempotency=True)

    async def send(self, message: PushMessage, *, idempotency_key: str) -> SendResult:
        body, collapse_id = _payload(message, self.config)
        content = json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "apns-topic": self.config.bundle_id,
            "apns-push-type": self.config.push_type,
            "apns-priority": str(self.config.priority or (5 if self.config.push_type == "background" else 10)),
            "apns-expiration": str(int(time.time()) + self.config.expiration_seconds
                                   if self.config.expiration_seconds else 0),
            "content-type": "application/json",
        }
        if collapse_id:
            headers["apns-collapse-id"] = collapse_id[:64]
        outcomes = []
        for token in message.tokens:
            # Stable across retries, so APNs' answer and Apple's delivery log name the same id.
            apns_id = str(uuid.uuid5(_ID_NAMESPACE, f"{idempotency_key}\n{token}"))
            outcomes.append(await self._send_one(token, content, {**headers, "apns-id": apns_id}))
        result = _push.settle(self.id, outcomes)
        gone = [t for t, reason in result.detail.get("failed_tokens", {}).items() if reason in _GONE]
        if gone:
            result.detail["unregistered_tokens"] = gone
        return result

    async def _send_one(self, token: str, content: bytes, headers: dict[str, str]) -> _push.TokenOutcome:
        for attempt in (1, 2):
            jwt = _apns_token.provider_token(self.config.private_key.get_secret_value(),
                                             key_id=self.config.key_id, team_id=self.config.team_id)
            response = await self.context.sender().post(
                f"{self.config.url}/3/device/{token}", content=content, timeout=self.config.timeout,
                headers={**headers, "authorization": f"bearer {jwt}"}, http2=True, excerpt_bytes=2048,
            )
            if response.is_success:
                return _push.TokenOutcome(token, message_id=response.headers.get("apns-id") or headers["apns-id"])
            reason = _reason(response.excerpt)
            if response.status == 403 and reason == "ExpiredProviderToken" and attempt == 1:
                _apns_token.forget(jwt)
                continue
            error = _http.error_for_status(response.status, response.excerpt, retry_after=response.retry_after,
                                           provider_code=reason)
            if isinstance(error, RetryableDeliveryError):
                return _push.TokenOutcome(token, error=error.provider_code, retryable=True,
                                          retry_after=error.retry_after)
            if reason in _INTEGRATION_REASONS or response.status in (401, 403):
                raise PermanentDeliveryError(f"apns: {error}", provider_code=reason or str(response.status))
            return _push.TokenOutcome(token, error=reason or str(response.status))
        raise AssertionError("unreachable: the second attempt always returns or raises")


# 410: the device no longer has the app (or the token expired); the host should forget it.
_GONE = frozenset({"Unregistered", "ExpiredToken"})


def _reason(excerpt: str) -> str | None:
    try:
        answer = json.loads(excerpt)
    except ValueError:
        return None
    reason = answer.get("reason") if isinstance(answer, dict) else None
    return str(reason) if reason else None


def _payload(message: PushMessage, config: ApnsConfig) -> tuple[dict[str, Any], str | None]:
    data = dict(message.data)
    collapse = data.pop("apns-collapse-id", None)
    aps: dict[str, Any] = {}
    if config.push_type == "background":
        aps["content-available"] = 1
    else:
        aps["alert"] = {"title": message.title, "body": message.content}
        if config.sound:
            aps["sound"] = config.sound
    for key in _APS_KEYS:
        if key in data:
            aps[key] = data.pop(key)
    data.pop("aps", None)  # Apple's namespace: custom data may not replace it
    return {"aps": aps, **data}, str(collapse) if collapse is not None else None
