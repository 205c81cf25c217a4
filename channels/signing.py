"""Webhook secrets and signatures (shared/event-apis.md §1.8): pure functions, no I/O.

They live in ``channels`` because the plugin room may import nothing else of the project, yet
both the ``webhook`` provider and the publishing webhook sender must sign the same way; one
implementation here means the two cannot drift apart.

Both schemes use the bytes that ``whsec_<base64>`` decodes to as the HMAC-SHA256 key:
Standard Webhooks signs ``{webhook-id}.{seconds}.{body}`` (base64), Qala style signs
``{Qflow-Request-Id}.{milliseconds}.{body}`` (lowercase hex).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = [
    "SECRET_PREFIX",
    "generate_secret",
    "qflow_signature",
    "secret_key",
    "signature_headers",
    "standard_headers",
    "standard_signature",
]

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A fresh ``whsec_`` secret with a 32-byte key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of ``whsec_<base64>``; ``ValueError`` unless it decodes to 24-64 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_'")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret's key is 24 to 64 bytes long")
    return key


def standard_signature(secret: str, webhook_id: str, timestamp_s: int, body: bytes) -> str:
    """One ``v1,<base64>`` Standard Webhooks signature."""
    signed = f"{webhook_id}.{timestamp_s}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def qflow_signature(secret: str, request_id: str, timestamp_ms: int, body: bytes) -> str:
    """One ``sha256=<hex>`` Qala style signature."""
    signed = f"{request_id}.{timestamp_ms}.".encode() + body
    return "sha256=" + hmac.new(secret_key(secret), signed, hashlib.sha256).hexdigest()


def signature_headers(
    secrets_newest_first: list[str], *, webhook_id: str, body: bytes, now_ms: int, qflow: bool
) -> dict[str, str]:
    """The signing headers of one attempt, one signature per active secret, newest first."""
    seconds = now_ms // 1000
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": " ".join(standard_signature(s, webhook_id, seconds, body) for s in secrets_newest_first),
    }
    if qflow:
        headers["Qflow-Request-Id"] = webhook_id
        headers["Qflow-TimeStamp"] = str(now_ms)
        headers["Qflow-Signature"] = ",".join(
            qflow_signature(s, webhook_id, now_ms, body) for s in secrets_newest_first
        )
    return headers


def standard_headers(secret: str, *, webhook_id: str, timestamp_s: int, body: str | bytes) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` for one secret.

    The body is signed exactly as it will be sent, so a ``str`` is encoded as UTF-8 here and the
    caller must send the same bytes.
    """
    raw = body.encode() if isinstance(body, str) else body
    return signature_headers([secret], webhook_id=webhook_id, body=raw, now_ms=timestamp_s * 1000, qflow=False)
