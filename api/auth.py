"""One dependency resolves the caller's environment from any header the dialects use."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import BadRequest, Forbidden, Unauthorized
from api.operations.shared_loads import SharedLoads
from store import session_tokens, tenancy

CACHE_SECONDS = 5.0  # a revoked key stops working within this long


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the one environment every query of this request is scoped to."""

    key_id: uuid.UUID
    scopes: frozenset[str]
    organization_id: uuid.UUID
    project_id: uuid.UUID | None
    environment_id: uuid.UUID
    # "key" for API keys; "subscriber" (sst_) and "group" (sgt_) for session tokens, which hold no scopes.
    kind: str = "key"
    subscriber_id: str | None = None
    group_id: uuid.UUID | None = None
    name: str = ""

    def allows(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes

    @property
    def owner(self) -> str:
        """Who owns the sockets opened with this credential (event-apis.md §3.6)."""
        return f"subscriber:{self.subscriber_id}" if self.kind == "subscriber" else str(self.key_id)


def credential_from(request: Request) -> str | None:
    """The first non-empty credential in the order of shared/event-apis.md §0.3."""
    headers = request.headers
    if first := headers.get("x-auth-token", "").strip():
        return first
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    by_scheme = {scheme.lower(): value.strip()} if value.strip() else {}
    if token := by_scheme.get("bearer"):
        return token
    if token := headers.get("x-api-key", "").strip():
        return token
    return by_scheme.get("key") or by_scheme.get("apikey") or None


@dataclass
class _Cached:
    name: str
    key_id: uuid.UUID
    scopes: frozenset[str]
    organization_id: uuid.UUID
    project_id: uuid.UUID | None
    environment_id: uuid.UUID | None
    expires: float


class KeyCache:
    """Caches key look-ups for a few seconds: auth is on every request's hot path."""

    def __init__(self) -> None:
        self._entries: dict[str, _Cached] = {}
        self._loads: SharedLoads[str, _Cached | None] = SharedLoads()

    async def lookup(self, session: AsyncSession, raw: str) -> _Cached | None:
        now = time.monotonic()
        hit = self._entries.get(raw)
        if hit is not None and hit.expires > now:
            return hit
        entry = await self._loads.load(raw, lambda: self._read(session, raw))
        if entry is None:
            self._entries.pop(raw, None)
            return None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[raw] = entry
        return entry

    @staticmethod
    async def _read(session: AsyncSession, raw: str) -> _Cached | None:
        row = await tenancy.find_key(session=session, raw=raw)
        if row is None:
            return None
        return _Cached(row.name, row.id, frozenset(row.scopes), row.organization_id, row.project_id,
                       row.environment_id, time.monotonic() + CACHE_SECONDS)

    def forget(self, key_id: uuid.UUID) -> None:
        """Drop a revoked key at once in this process (others see it within ``CACHE_SECONDS``)."""
        self._entries = {raw: e for raw, e in self._entries.items() if e.key_id != key_id}


async def _session_principal(request: Request, session: AsyncSession, raw: str) -> Principal:
    token = await session_tokens.find_live(session=session, raw=raw)
    if token is None:
        raise Unauthorized("Session token not found, expired or revoked")
    wanted = request.headers.get("x-environment-id", "").strip()
    if wanted and wanted.lower() != str(token.environment_id):
        raise Forbidden("This session token belongs to another environment")
    env = await tenancy.get_environment(session=session, environment_id=token.environment_id)
    if env is None:
        raise Unauthorized("Session token not found, expired or revoked")
    return Principal(
        token.id, frozenset(), env.organization_id, env.project_id, env.id,
        kind=token.kind, subscriber_id=token.subscriber_id, group_id=token.group_id,
        name=token.subscriber_id or str(token.group_id),
    )


async def resolve_principal(
    request: Request, session: AsyncSession, cache: KeyCache, raw: str | None = None
) -> Principal:
    """The caller behind the request's credential (``raw`` overrides the headers, for sockets)."""
    raw = raw or credential_from(request)
    if not raw:
        raise Unauthorized("API Key not found: send it as 'Authorization: ApiKey <key>'")
    if session_tokens.is_session_token(raw):
        return await _session_principal(request, session, raw)
    key = await cache.lookup(session, raw)
    if key is None:
        raise Unauthorized("API Key not found or revoked")
    wanted = request.headers.get("x-environment-id", "").strip()
    if key.environment_id is not None:
        if wanted and wanted.lower() != str(key.environment_id):
            raise Forbidden("This key is limited to another environment")
        return Principal(
            key.key_id, key.scopes, key.organization_id, key.project_id, key.environment_id, name=key.name
        )
    if not wanted:
        raise BadRequest("x-environment-id is required with this key", field_errors={"x-environment-id": "required"})
    try:
        env_id = uuid.UUID(wanted)
    except ValueError:
        raise BadRequest("x-environment-id is not a GUID", field_errors={"x-environment-id": "not a GUID"}) from None
    env = await tenancy.get_environment(session=session, environment_id=env_id)
    # Unknown and foreign environments answer alike, so existence is not revealed.
    if (
        env is None
        or env.organization_id != key.organization_id
        or (key.project_id is not None and env.project_id != key.project_id)
    ):
        raise Forbidden("The environment is outside this key's organization or project")
    return Principal(key.key_id, key.scopes, key.organization_id, key.project_id, env.id, name=key.name)


def scope_checker(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Principal) -> Principal:
        if not principal.allows(scope):
            raise Forbidden(f"This key lacks the '{scope}' scope")
        return principal

    return check
