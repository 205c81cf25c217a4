"""A local APNs: HTTP/2 only (hypercorn, h2c prior knowledge), answering as Apple documents
``POST /3/device/<token>``, and checking the provider token as Apple does (ES256, ``kid``, ``iss``,
``iat`` under an hour old) with the public half of a freshly made ``.p8`` key."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypercorn.asyncio import serve
from hypercorn.config import Config

KEY_ID = "ABC123DEFG"
TEAM_ID = "TEAM456XYZ"
BUNDLE = "com.example.clarion"


@dataclass
class Pushed:
    http_version: str
    token: str
    headers: dict[str, str]
    body: dict[str, Any]
    jwt_header: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class FakeApns:
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    url: str = ""
    pushed: list[Pushed] = field(default_factory=list)
    # token -> (status, reason) answered for it; anything else is accepted.
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)  # provider tokens answered ExpiredProviderToken
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def p8(self) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {"key_id": KEY_ID, "team_id": TEAM_ID, "private_key": self.p8, "bundle_id": BUNDLE,
                "base_url": self.url, **extra}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, reason, apns_id = self._answer(scope, headers, body)
        out = [(b"apns-id", apns_id.encode())]
        payload = json.dumps({"reason": reason, **({"timestamp": int(time.time() * 1000)} if status == 410 else {})
                              }).encode() if reason else b""
        if status == 429:
            out.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": payload})

    def _answer(self, scope: dict[str, Any], headers: dict[str, str], body: bytes) -> tuple[int, str, str]:
        apns_id = headers.get("apns-id") or str(uuid.uuid4()).upper()
        path = scope["path"]
        if scope["method"] != "POST":
            return 405, "MethodNotAllowed", apns_id
        if not path.startswith("/3/device/"):
            return 404, "BadPath", apns_id
        token = path.removeprefix("/3/device/")
        provider_token = headers.get("authorization", "").removeprefix("bearer ")
        try:
            jwt_header = jwt.get_unverified_header(provider_token)
            claims = jwt.decode(provider_token, self.key.public_key(), algorithms=["ES256"],
                                options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as exc:
            self.refused.append((token, f"InvalidProviderToken: {exc}"))
            return 403, "InvalidProviderToken", apns_id
        if jwt_header.get("kid") != KEY_ID or claims["iss"] != TEAM_ID or time.time() - claims["iat"] > 3600:
            return 403, "InvalidProviderToken", apns_id
        if provider_token in self.expired:
            return 403, "ExpiredProviderToken", apns_id
        if headers.get("apns-topic") != BUNDLE:
            return 400, "BadTopic" if headers.get("apns-topic") else "MissingTopic", apns_id
        self.pushed.append(Pushed(scope["http_version"], token, headers, json.loads(body), jwt_header, claims))
        status, reason = self.answers.get(token, (200, ""))
        return status, reason, apns_id


@asynccontextmanager
async def fake_apns() -> AsyncIterator[FakeApns]:
    fake = FakeApns()
    sock = socket.create_server(("127.0.0.1", 0))
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.loglevel = "WARNING"
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(fake, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield fake
    finally:
        stop.set()
        await serving
        sock.detach()  # hypercorn closed the descriptor it was handed
