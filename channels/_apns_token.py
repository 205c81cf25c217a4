"""APNs provider authentication tokens: ES256 JWTs signed with a ``.p8`` key, cached per key.

Apple accepts a token for one hour and answers ``TooManyProviderTokenUpdates`` when a provider
mints new ones more often than every 20 minutes, so one token serves every send with the same
key until it is 50 minutes old, or until APNs calls it expired (``ExpiredProviderToken``).
Provider instances live for one call, so the cache is module state keyed by the key material.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

REFRESH_AFTER_SECONDS = 50 * 60


@dataclass(frozen=True)
class _Minted:
    token: str
    issued_at: float


_CACHE: dict[tuple[str, str, str], _Minted] = {}


def load_key(pem: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 private key in a ``.p8`` PEM; ValueError when it is anything else."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"private_key is not a PEM (.p8) private key: {type(exc).__name__}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("private_key must be an APNs .p8 key (EC P-256)")
    return key


def provider_token(pem: str, *, key_id: str, team_id: str, now: float | None = None) -> str:
    """A valid token for this key: the cached one while younger than 50 minutes, else a new one."""
    at = time.time() if now is None else now
    cache_key = (team_id, key_id, hashlib.sha256(pem.encode()).hexdigest())
    minted = _CACHE.get(cache_key)
    if minted is None or at - minted.issued_at >= REFRESH_AFTER_SECONDS or at < minted.issued_at:
        token = jwt.encode({"iss": team_id, "iat": int(at)}, load_key(pem), algorithm="ES256",
                           headers={"kid": key_id})
        minted = _Minted(token, at)
        _CACHE[cache_key] = minted
    return minted.token


def forget(token: str) -> None:
    """Drop ``token`` from the cache after APNs called it expired, so the next call mints anew."""
    for cache_key, minted in list(_CACHE.items()):
        if minted.token == token:
            del _CACHE[cache_key]
