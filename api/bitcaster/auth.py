"""Bitcaster's key check: the key's binding must cover the path's org/project/application slugs.

A path outside the key's binding answers 403 whether or not it exists (shared/event-apis.md §4.1),
so a key never learns other tenants' slugs; inside the binding, a missing project or app is 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import KeyCache, credential_from, resolve_principal
from api.errors import Forbidden, NotFound, Unauthorized
from store import tenancy
from store.models import Environment
from store.session_tokens import is_session_token

OUT_OF_SCOPE = "Invalid organization/project/application for token"
NO_PERMISSION = "You do not have permission to perform this action."


@dataclass(frozen=True)
class BitcasterCaller:
    key_id: str
    key_name: str
    scopes: frozenset[str]
    environment: Environment

    def allows(self, *grants: str) -> bool:
        return "*" in self.scopes or any(grant in self.scopes for grant in grants)

    def require(self, *grants: str) -> None:
        if not self.allows(*grants):
            raise Forbidden(NO_PERMISSION)


_KeyFacts = tuple[str, str, frozenset[str], uuid.UUID, uuid.UUID | None, uuid.UUID | None]


async def _key(request: Request, session: AsyncSession) -> _KeyFacts:
    raw = credential_from(request)
    if not raw:
        raise Unauthorized("Authentication credentials were not provided.", headers={"WWW-Authenticate": "Key"})
    if is_session_token(raw):
        raise Unauthorized("Invalid token.", headers={"WWW-Authenticate": "Key"})
    cache: KeyCache = request.app.state.key_cache
    key = await cache.lookup(session, raw)
    if key is None:
        raise Unauthorized("Invalid token.", headers={"WWW-Authenticate": "Key"})
    return str(key.key_id), key.name, key.scopes, key.organization_id, key.project_id, key.environment_id


async def any_key(request: Request, session: AsyncSession) -> tuple[str, str]:
    """For ``/api/system/ping/``: any valid key; answers its id and name. An ``x-environment-id`` the
    key may not use is refused as everywhere else (§0.3)."""
    key_id, name, *_ = await _key(request, session)
    if request.headers.get("x-environment-id", "").strip():
        await resolve_principal(request, session, request.app.state.key_cache)
    return key_id, name


async def caller_for(request: Request, session: AsyncSession, org: str, prj: str, app: str) -> BitcasterCaller:
    """The caller, once its key is known to cover ``/o/{org}/p/{prj}/a/{app}``."""
    key_id, name, scopes, org_id, project_id, environment_id = await _key(request, session)
    organization = await tenancy.get_organization_by_slug(session=session, slug=org)
    if organization is None or organization.id != org_id:
        raise Forbidden(OUT_OF_SCOPE)
    project = await tenancy.get_project_by_slug(session=session, organization_id=organization.id, slug=prj)
    if project_id is not None and (project is None or project.id != project_id):
        raise Forbidden(OUT_OF_SCOPE)
    environment = None
    if project is not None:
        environment = await tenancy.get_environment_by_slug(session=session, project_id=project.id, slug=app)
    if environment_id is not None and (environment is None or environment.id != environment_id):
        raise Forbidden(OUT_OF_SCOPE)
    if environment is None:
        raise NotFound("Not found.")
    return BitcasterCaller(key_id=key_id, key_name=name, scopes=scopes, environment=environment)
