"""The APNs provider against a local HTTP/2 server that answers and checks tokens as Apple documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from channels import PermanentDeliveryError, PushMessage, RetryableDeliveryError
from channels._apns_token import REFRESH_AFTER_SECONDS, provider_token
from channels.addresses import BlockedAddress
from channels.apns import ApnsConfig, ApnsProvider
from channels.base import ProviderContext
from tests.apns_fake import BUNDLE, KEY_ID, TEAM_ID, FakeApns, fake_apns

PUSH = PushMessage(tokens=["tok-a", "tok-b"], title="Hello", content="World",
                   data={"badge": 3, "orderId": "o-1", "apns-collapse-id": "orders"})


@pytest.fixture
async def apple() -> AsyncIterator[FakeApns]:
    async with fake_apns() as fake:
        yield fake


def apns(fake: FakeApns, **extra: Any) -> ApnsProvider:
    config = ApnsConfig.model_validate(fake.credentials(**extra))
    return ApnsProvider(config, context=ProviderContext(allow_private_addresses=True))


async def test_a_push_reaches_each_token_over_http2_with_apples_headers_body_and_token(apple: FakeApns) -> None:
    result = await apns(apple).send(PUSH, idempotency_key="run-1:buzz")
    assert [p.token for p in apple.pushed] == ["tok-a", "tok-b"] and apple.refused == []
    first = apple.pushed[0]
    assert first.http_version == "2"
    assert first.body == {"aps": {"alert": {"title": "Hello", "body": "World"}, "sound": "default", "badge": 3},
                          "orderId": "o-1"}
    headers = first.headers
    assert (headers["apns-topic"], headers["apns-push-type"], headers["apns-priority"]) == (BUNDLE, "alert", "10")
    assert headers["apns-collapse-id"] == "orders" and int(headers["apns-expiration"]) > 0
    assert (first.jwt_header["alg"], first.jwt_header["kid"], first.claims["iss"]) == ("ES256", KEY_ID, TEAM_ID)
    # One provider token serves both devices; the message id is the apns-id APNs answered.
    assert apple.pushed[1].headers["authorization"] == headers["authorization"]
    assert result.provider_message_id == headers["apns-id"]
    assert result.detail["message_ids"] == [p.headers["apns-id"] for p in apple.pushed]
    again = await apns(apple).send(PUSH, idempotency_key="run-1:buzz")
    assert again.provider_message_id == result.provider_message_id  # stable across a retried step


async def test_background_pushes_carry_content_available_and_priority_5(apple: FakeApns) -> None:
    await apns(apple, push_type="background", expiration_seconds=0).send(PUSH, idempotency_key="k")
    pushed = apple.pushed[0]
    assert pushed.body["aps"] == {"content-available": 1, "badge": 3}
    assert (pushed.headers["apns-priority"], pushed.headers["apns-expiration"]) == ("5", "0")


async def test_an_unregistered_device_is_reported_and_the_rest_delivered(apple: FakeApns) -> None:
    apple.answers["tok-a"] = (410, "Unregistered")
    result = await apns(apple).send(PUSH, idempotency_key="k")
    assert result.detail["failed_tokens"] == {"tok-a": "Unregistered"}
    assert result.detail["unregistered_tokens"] == ["tok-a"]
    assert result.provider_message_id == apple.pushed[1].headers["apns-id"]


async def test_bad_device_tokens_everywhere_fail_for_good(apple: FakeApns) -> None:
    apple.answers.update({"tok-a": (400, "BadDeviceToken"), "tok-b": (410, "Unregistered")})
    with pytest.raises(PermanentDeliveryError) as caught:
        await apns(apple).send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "BadDeviceToken"
    assert not isinstance(caught.value, RetryableDeliveryError)


async def test_too_many_requests_and_server_errors_are_retried(apple: FakeApns) -> None:
    apple.answers.update({"tok-a": (429, "TooManyRequests"), "tok-b": (503, "ServiceUnavailable")})
    with pytest.raises(RetryableDeliveryError) as caught:
        await apns(apple).send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "TooManyRequests" and caught.value.retry_after == 1.0


async def test_an_expired_provider_token_is_replaced_and_the_push_sent_again(apple: FakeApns) -> None:
    provider = apns(apple)
    await provider.send(PushMessage(tokens=["warm"], title="t", content="c"), idempotency_key="k0")
    stale = apple.pushed[0].headers["authorization"].removeprefix("bearer ")
    apple.expired.add(stale)
    result = await provider.send(PUSH, idempotency_key="k1")
    fresh = {p.headers["authorization"].removeprefix("bearer ") for p in apple.pushed[1:]}
    assert len(fresh) == 1 and stale not in fresh
    assert [p.token for p in apple.pushed[1:]] == ["tok-a", "tok-b"]
    assert result.detail["failed_tokens"] == {}


async def test_a_token_signed_with_another_key_stops_at_the_first_device(apple: FakeApns) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(PermanentDeliveryError) as caught:
        await apns(apple, private_key=other).send(PUSH, idempotency_key="k")
    assert caught.value.provider_code == "InvalidProviderToken"
    assert [token for token, _ in apple.refused] == ["tok-a"]


async def test_the_outbound_guard_applies(apple: FakeApns) -> None:
    provider = ApnsProvider(ApnsConfig.model_validate(apple.credentials()))
    with pytest.raises(BlockedAddress):
        await provider.send(PUSH, idempotency_key="k")
    assert apple.pushed == []


def test_provider_tokens_are_cached_for_50_minutes_then_renewed() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    first = provider_token(pem, key_id="K", team_id="T", now=1_000_000)
    assert provider_token(pem, key_id="K", team_id="T", now=1_000_000 + REFRESH_AFTER_SECONDS - 1) == first
    later = provider_token(pem, key_id="K", team_id="T", now=1_000_000 + REFRESH_AFTER_SECONDS)
    assert later != first and jwt.decode(later, options={"verify_signature": False})["iat"] == 1_003_000
    assert provider_token(pem, key_id="K2", team_id="T", now=1_003_000) != later


def test_config_refuses_a_key_that_is_not_p8_and_background_at_priority_10() -> None:
    base = {"key_id": KEY_ID, "team_id": TEAM_ID, "bundle_id": BUNDLE}
    with pytest.raises(ValidationError, match="private_key"):
        ApnsConfig.model_validate({**base, "private_key": "not a key"})
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(ValidationError, match="priority 5"):
        ApnsConfig.model_validate({**base, "private_key": pem, "push_type": "background", "priority": 10})
    config = ApnsConfig.model_validate({**base, "private_key": pem, "production": False})
    assert config.url == "https://api.sandbox.push.apple.com" and pem not in repr(config)
