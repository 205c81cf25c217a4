"""Firebase Cloud Messaging, HTTP v1 API: one ``messages:send`` call per device token.

Credentials are either a service-account key (the production path: a short-lived OAuth token is
minted per send, with a configurable token URL) or a ready access token (tests, or hosts that mint
tokens themselves). FCM reports the per-token reason in ``error.details[].errorCode``:
``UNREGISTERED`` and ``INVALID_ARGUMENT`` are permanent, ``QUOTA_EXCEEDED`` and ``UNAVAILABLE``
arrive as 429/503 and are retried.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, SecretStr, model_validator

from channels import _google_oauth, _http, _push
from channels.base import Capabilities, Channel, ChannelProvider, SendResult
from channels.errors import PermanentDeliveryError, RetryableDeliveryError
from channels.messages import PushMessage

_CREDENTIAL_ERRORS = frozenset({"401", "403", "UNAUTHENTICATED", "PERMISSION_DENIED"})


class FcmPushConfig(_http.HttpConfig):
    """FCM settings: exactly one of ``service_account_json`` or ``access_token``."""

    project_id: str | None = None
    service_account_json: SecretStr | None = None
    access_token: SecretStr | None = None
    base_url: str = "https://fcm.googleapis.com"
    token_url: str | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> FcmPushConfig:
        if (self.service_account_json is None) == (self.access_token is None):
            raise ValueError("set exactly one of service_account_json or access_token")
        if self.service_account_json is not None:
            try:
                account = json.loads(self.service_account_json.get_secret_value())
            except ValueError:
                raise ValueError("service_account_json is not valid JSON") from None
            if not isinstance(account, dict) or not {"client_email", "private_key"} <= account.keys():
                raise ValueError("service_account_json needs client_email and private_key")
            self.project_id = self.project_id or account.get("project_id")
        if not self.project_id:
            raise ValueError("project_id is required (or given by the service account)")
        return self


class FcmPushProvider(ChannelProvider[FcmPushConfig, PushMessage]):
    """Sends push notifications through FCM HTTP v1."""

    id: ClassVar[str] = "fcm_push"
    channel: ClassVar[Channel] = Channel.PUSH
    display_name: ClassVar[str] = "Firebase Cloud Messaging"
    config_model: ClassVar[type[BaseModel]] = FcmPushConfig
    message_model: ClassVar[type[BaseModel]] = PushMessage
    capabilities: ClassVar[Capabilities] = Capabilities(batch=True)

    async def send(self, message: PushMessage, *, idempotency_key: str) -> SendResult:
        headers = {"Authorization": f"Bearer {await self._token()}"}
        url = f"{self.config.base_url.rstrip('/')}/v1/projects/{self.config.project_id}/messages:send"
        # FCM data values must be strings; nested values travel as JSON text.
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in message.data.items()}
        outcomes = []
        for token in message.tokens:
            body: dict[str, Any] = {
                "token": token,
                "notification": {"title": message.title, "body": message.content},
            }
            if data:
                body["data"] = data
            outcomes.append(await self._send_one(url, headers, token, body))
        return _push.settle(self.id, outcomes)

    async def _send_one(
        self, url: str, headers: dict[str, str], token: str, body: dict[str, Any]
    ) -> _push.TokenOutcome:
        try:
            response = await _http.request(
                self.context,
                "POST",
                url,
                timeout=self.config.timeout,
                json={"message": body},
                headers=headers,
            )
            _http.raise_for_status(response, provider_code=_error_code(_http.json_or_empty(response)))
        except RetryableDeliveryError as exc:
            return _push.TokenOutcome(
                token, error=exc.provider_code or str(exc), retryable=True, retry_after=exc.retry_after
            )
        except PermanentDeliveryError as exc:
            if exc.provider_code in _CREDENTIAL_ERRORS:
                raise  # wrong credentials fail every token alike; stop instead of repeating it
            return _push.TokenOutcome(token, error=exc.provider_code or str(exc))
        answer = _http.json_or_empty(response)
        name = answer.get("name") if isinstance(answer, dict) else None
        return _push.TokenOutcome(token=token, message_id=str(name) if name else None)

    async def _token(self) -> str:
        if self.config.access_token is not None:
            return self.config.access_token.get_secret_value()
        assert self.config.service_account_json is not None  # the config validator guarantees it
        account = json.loads(self.config.service_account_json.get_secret_value())
        token_url = self.config.token_url or account.get("token_uri") or "https://oauth2.googleapis.com/token"
        return await _google_oauth.access_token(
            self.context, account, token_url=token_url, timeout=self.config.timeout
        )


def _error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    status = error.get("status")
    return str(status) if status else None
