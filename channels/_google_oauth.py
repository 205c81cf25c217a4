"""Mint a Google OAuth access token from a service-account key (the JWT bearer grant, RFC 7523).

Only ``fcm_push`` needs this. Signing RS256 needs the ``cryptography`` package, imported lazily so
the rest of ``channels`` installs without it.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from channels import _http
from channels.base import ProviderContext
from channels.errors import PermanentDeliveryError

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_assertion(account: dict[str, Any], *, audience: str, scope: str, now: float) -> str:
    """A signed JWT asserting ``account`` for ``scope``, valid for one hour."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError as exc:
        raise PermanentDeliveryError("a service-account key needs the 'cryptography' package") from exc
    try:
        key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
        email = str(account["client_email"])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise PermanentDeliveryError(f"invalid service-account key: {type(exc).__name__}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PermanentDeliveryError("invalid service-account key: not an RSA key")
    header = {"alg": "RS256", "typ": "JWT"}
    if "private_key_id" in account:
        header["kid"] = str(account["private_key_id"])
    claims = {"iss": email, "scope": scope, "aud": audience, "iat": int(now), "exp": int(now) + 3600}
    signing_input = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


async def access_token(
    context: ProviderContext, account: dict[str, Any], *, token_url: str, timeout: float
) -> str:
    """Exchange a service-account assertion for an access token at ``token_url``."""
    assertion = signed_assertion(account, audience=token_url, scope=FCM_SCOPE, now=time.time())
    response = await _http.request(
        context,
        "POST",
        token_url,
        timeout=timeout,
        data={"grant_type": JWT_BEARER, "assertion": assertion},
    )
    if response.status_code in (400, 401):
        # The token endpoint says invalid_grant/invalid_client: the key is revoked or wrong.
        body = _http.json_or_empty(response)
        code = body.get("error") if isinstance(body, dict) else None
        raise PermanentDeliveryError(
            f"OAuth token refused: {code or response.status_code}", provider_code=code
        )
    _http.raise_for_status(response)
    body = _http.json_or_empty(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        raise PermanentDeliveryError("OAuth token endpoint returned no access_token")
    return token
