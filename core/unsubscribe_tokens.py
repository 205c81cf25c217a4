"""Tokens of one-click unsubscribe links: who (environment, subscriber) leaves which workflow's email.

A token is ``base64url(json).base64url(hmac-sha256)`` keyed with a key derived from the instance's
secret, so a link cannot be forged for another subscriber or workflow, and needs no storage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Unsubscribe:
    environment_id: str
    subscriber_id: str
    workflow_id: str


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"clarion-unsubscribe:" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make(secret: str, target: Unsubscribe) -> str:
    body = _b64(json.dumps([target.environment_id, target.subscriber_id, target.workflow_id]).encode())
    return f"{body}.{_b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())}"


def read(secret: str, token: str) -> Unsubscribe | None:
    """The target of a genuine token, or None for anything else."""
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        env, subscriber, workflow = json.loads(_unb64(body))
    except (ValueError, binascii.Error, TypeError):
        return None
    return Unsubscribe(str(env), str(subscriber), str(workflow))
