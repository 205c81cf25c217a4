from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from channels import PermanentDeliveryError, PushMessage, RetryableDeliveryError
from channels.expo_push import ExpoPushConfig, ExpoPushProvider
from channels.fcm_push import FcmPushConfig, FcmPushProvider

PUSH = PushMessage(tokens=["tok-a", "tok-b"], title="t", content="c")
FCM_PATH = "/v1/projects/p1/messages:send"


def expo(url: str) -> ExpoPushProvider:
    return ExpoPushProvider(ExpoPushConfig(base_url=url))


def ticket_error(reason: str) -> dict[str, Any]:
    return {"status": "error", "message": "boom", "details": {"error": reason}}


async def test_expo_device_not_registered_is_permanent(http_server: Any) -> None:
    http_server.reply(json_body={"data": [ticket_error("DeviceNotRegistered")] * 2})
    with pytest.raises(PermanentDeliveryError) as caught:
        await expo(http_server.url).send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "DeviceNotRegistered"
    assert "authorization" not in http_server.requests[0].headers


async def test_expo_rate_exceeded_is_retryable(http_server: Any) -> None:
    http_server.reply(json_body={"data": [ticket_error("MessageRateExceeded")] * 2})
    with pytest.raises(RetryableDeliveryError):
        await expo(http_server.url).send(PUSH, idempotency_key="k")


async def test_expo_partial_failure_is_a_delivery_listing_dead_tokens(http_server: Any) -> None:
    http_server.reply(json_body={"data": [{"status": "ok", "id": "t1"}, ticket_error("DeviceNotRegistered")]})
    result = await expo(http_server.url).send(PUSH, idempotency_key="k")
    assert result.provider_message_id == "t1"
    assert result.detail["failed_tokens"] == {"tok-b": "DeviceNotRegistered"}


async def test_expo_misaligned_answer_is_permanent(http_server: Any) -> None:
    http_server.reply(json_body={"data": [{"status": "ok", "id": "t1"}]})
    with pytest.raises(PermanentDeliveryError, match="unexpected response"):
        await expo(http_server.url).send(PUSH, idempotency_key="k")


def fcm_error(status: int, code: str) -> dict[str, Any]:
    detail = {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
    return {"error": {"code": status, "status": "NOT_FOUND", "details": [detail]}}


def fcm(url: str, **overrides: Any) -> FcmPushProvider:
    config = {"project_id": "p1", "access_token": "at", "base_url": url, **overrides}
    return FcmPushProvider(FcmPushConfig.model_validate(config))


async def test_fcm_unregistered_token_is_reported_not_retried(http_server: Any) -> None:
    http_server.reply(json_body={"name": "projects/p1/messages/9"}, path=FCM_PATH)
    http_server.reply(404, json_body=fcm_error(404, "UNREGISTERED"), path=FCM_PATH, times=1)
    result = await fcm(http_server.url).send(PUSH, idempotency_key="k")
    assert result.detail["failed_tokens"] == {"tok-a": "UNREGISTERED"}
    assert result.provider_message_id == "projects/p1/messages/9"


async def test_fcm_all_unregistered_is_permanent(http_server: Any) -> None:
    http_server.reply(404, json_body=fcm_error(404, "UNREGISTERED"), path=FCM_PATH)
    with pytest.raises(PermanentDeliveryError) as caught:
        await fcm(http_server.url).send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "UNREGISTERED"


async def test_fcm_bad_credentials_stop_at_the_first_token(http_server: Any) -> None:
    body = {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
    http_server.reply(401, json_body=body, path=FCM_PATH)
    with pytest.raises(PermanentDeliveryError) as caught:
        await fcm(http_server.url).send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "UNAUTHENTICATED" and len(http_server.requests) == 1


def test_fcm_config_needs_exactly_one_credential() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FcmPushConfig(project_id="p")
    with pytest.raises(ValueError, match="exactly one"):
        FcmPushConfig.model_validate({"project_id": "p", "access_token": "a", "service_account_json": "{}"})


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def test_fcm_service_account_mints_a_token_with_a_signed_jwt(http_server: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "p1",
        "client_email": "svc@p1.iam.gserviceaccount.com",
        "private_key": pem,
        "private_key_id": "kid-1",
    }
    token_url = f"{http_server.url}/token"
    http_server.reply(json_body={"access_token": "minted-123", "expires_in": 3600}, path="/token")
    http_server.reply(json_body={"name": "projects/p1/messages/1"}, path=FCM_PATH)
    provider = FcmPushProvider(
        FcmPushConfig.model_validate(
            {"service_account_json": json.dumps(account), "base_url": http_server.url, "token_url": token_url}
        )
    )

    await provider.send(PushMessage(tokens=["tok-a"], title="t", content="c"), idempotency_key="k")

    token_request, send_request = http_server.requests
    form = token_request.form()
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    header, claims, signature = form["assertion"].split(".")
    key.public_key().verify(
        _b64decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert json.loads(_b64decode(header)) == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    decoded = json.loads(_b64decode(claims))
    assert decoded["iss"] == account["client_email"] and decoded["aud"] == token_url
    assert decoded["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
    assert decoded["exp"] - decoded["iat"] == 3600
    assert send_request.path == FCM_PATH and send_request.headers["authorization"] == "Bearer minted-123"


async def test_fcm_refused_grant_is_permanent(http_server: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "project_id": "p1",
        "client_email": "svc@x",
        "private_key": pem,
        "token_uri": f"{http_server.url}/token",
    }
    http_server.reply(400, json_body={"error": "invalid_grant"}, path="/token")
    provider = FcmPushProvider(
        FcmPushConfig.model_validate(
            {"service_account_json": json.dumps(account), "base_url": http_server.url}
        )
    )
    with pytest.raises(PermanentDeliveryError) as caught:
        await provider.send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "invalid_grant"
    assert [r.path for r in http_server.requests] == ["/token"]
