"""Tokens of email open pixels and tracked links: which message was opened, or which link clicked.

A token is ``base64url(json).base64url(hmac-sha256)`` keyed with a key derived from the instance's
secret (distinct from the unsubscribe key). A click token carries the original URL inside the
signed part, so the redirect can only ever go where the email's author linked: no open redirect.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal

Kind = Literal["o", "c"]


@dataclass(frozen=True)
class Hit:
    """``kind`` is ``o`` (open) or ``c`` (click, with ``url``); ``key`` is the message's idempotency key."""

    environment_id: str
    key: str
    kind: Kind
    url: str = ""


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"clarion-tracking:" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())


def make(secret: str, hit: Hit) -> str:
    body = _b64(json.dumps([hit.environment_id, hit.key, hit.kind, hit.url], separators=(",", ":")).encode())
    return f"{body}.{_sign(secret, body)}"


def read(secret: str, token: str, kind: Kind) -> Hit | None:
    """The hit of a genuine token of ``kind``, or None for anything else."""
    body, _, signature = token.partition(".")
    if not signature or not hmac.compare_digest(signature, _sign(secret, body)):
        return None
    try:
        env, key, found, url = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error, TypeError):
        return None
    if found != kind or not all(isinstance(v, str) for v in (env, key, url)):
        return None
    return Hit(env, key, kind, url)
