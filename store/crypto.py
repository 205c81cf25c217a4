"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) keyed by HKDF-SHA256 of the secret key.

Deriving the key (instead of using the secret directly) lets the same ``secret_key`` serve other
purposes under other ``info`` labels without the keys being related.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["CredentialCipher", "UnreadableCredentials"]

INFO = b"clarion/integration-credentials/v1"


class UnreadableCredentials(ValueError):
    """Stored ciphertext does not decrypt: the secret key changed or the row was tampered with."""


class CredentialCipher:
    """Seals and opens integration credentials (a JSON object) with a key derived from ``secret``."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("an empty secret cannot protect credentials")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            value = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise UnreadableCredentials("stored credentials cannot be decrypted with this secret key") from None
        if not isinstance(value, dict):
            raise UnreadableCredentials("stored credentials are not a JSON object")
        return value

    def seal_secret(self, secret: str) -> str:
        """One string (an API key, for Novu's subscriberHash) sealed the same way."""
        return self.seal({"secret": secret})

    def open_secret(self, token: str) -> str:
        return str(self.open(token).get("secret", ""))
