"""Web Push against a local push service: the browser's keys decrypt the body, the VAPID JWT verifies."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from channels import ProviderContext, PushMessage
from channels.web_push import WebPushConfig, WebPushProvider

LOCAL = ProviderContext(allow_private_addresses=True)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def browser(endpoint: str) -> tuple[ec.EllipticCurvePrivateKey, bytes, str]:
    key, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    token = json.dumps({"endpoint": endpoint, "keys": {"p256dh": b64u(public), "auth": b64u(auth)}})
    return key, auth, token


async def test_payload_is_encrypted_for_the_browser_and_vapid_signed(http_server: Any) -> None:
    http_server.reply(201, headers={"Location": f"{http_server.url}/push/m1"})
    app_key = ec.generate_private_key(ec.SECP256R1())
    config = WebPushConfig(vapid_private_key=b64u(app_key.private_numbers().private_value.to_bytes(32, "big")),
                           vapid_subject="mailto:ops@clarion.example")
    key, auth, token = browser(f"{http_server.url}/push/sub-1")
    message = PushMessage(tokens=[token], title="Hi", content="You have mail", data={"n": 1})

    result = await WebPushProvider(config, context=LOCAL).send(message, idempotency_key="k")

    (req,) = http_server.requests
    assert req.path == "/push/sub-1" and req.headers["content-encoding"] == "aes128gcm"
    plain = http_ece.decrypt(req.body, private_key=key, auth_secret=auth, version="aes128gcm")
    assert json.loads(plain) == {"title": "Hi", "body": "You have mail", "data": {"n": 1}}
    scheme, _, params = req.headers["authorization"].partition(" ")
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert scheme == "vapid"
    header, claims, signature = fields["t"].split(".")
    raw = unb64u(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(fields["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    assert public.public_numbers() == app_key.public_key().public_numbers()
    assert json.loads(unb64u(claims))["aud"] == http_server.url
    assert result.provider_message_id == f"{http_server.url}/push/m1"


async def test_a_gone_subscription_is_reported_and_the_others_still_deliver(http_server: Any) -> None:
    http_server.reply(410, path="/push/gone")
    http_server.reply(201, path="/push/live")
    app_key = ec.generate_private_key(ec.SECP256R1())
    pem = app_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    config = WebPushConfig(vapid_private_key=pem, vapid_subject="mailto:ops@clarion.example")
    gone, live = browser(f"{http_server.url}/push/gone")[2], browser(f"{http_server.url}/push/live")[2]

    result = await WebPushProvider(config, context=LOCAL).send(
        PushMessage(tokens=[gone, live], title="Hi", content="x"), idempotency_key="k")

    assert result.detail["failed_tokens"] == {gone: "unregistered"}
