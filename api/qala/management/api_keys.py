"""``/management/v1/api-keys``: keys bound to an organization, a project or one environment (§0.3-0.4).

A key cannot create a key broader than itself: the new binding must lie within the caller's, and
its scopes within the caller's. Absent ``projectId`` and ``environmentId`` mean the caller's own binding.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from api.errors import Forbidden, NotFound
from api.qala.http import both, problem, read_json, read_object, required_str
from api.qala.management.common import own_key, stamp
from store import tenancy
from store.models import ApiKey

router = APIRouter(prefix="/management/v1", tags=["management"])
SCOPES = frozenset({"*", "event:list", "event:trigger", "event:manage", "webhook:manage", "subscriber:session",
                    "topic:publish", "topic:consume", "topic:manage", "ws:subscribe", "ws:admin"})


def view(key: ApiKey) -> dict[str, Any]:
    return {"id": str(key.id), "name": key.name, "scopes": list(key.scopes),
            "organizationId": str(key.organization_id), "projectId": str(key.project_id) if key.project_id else None,
            "environmentId": str(key.environment_id) if key.environment_id else None,
            "createdAt": stamp(key.created_at), "lastUsedAt": stamp(key.last_used_at)}


def _uuid(body: dict[str, Any], name: str) -> uuid.UUID | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise problem(name, f"The {name} field must be a GUID.") from None


def _within(own: ApiKey, org: uuid.UUID, project: uuid.UUID | None, env: uuid.UUID | None) -> bool:
    """Whether the binding (org, project, env) is as narrow as ``own``'s or narrower."""
    if org != own.organization_id:
        return False
    if own.environment_id is not None:
        return env == own.environment_id
    return own.project_id is None or project == own.project_id


@both(router, "POST", "/api-keys")
async def create_key(request: Request, session: SessionDep) -> JSONResponse:
    own = await own_key(request, session)
    body = read_object(await read_json(request, required=True))
    name = required_str(body, "name", max_length=200)
    scopes = body.get("scopes") or ["*"]
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s in SCOPES for s in scopes):
        raise problem("scopes", f"Scopes must be an array of: {', '.join(sorted(SCOPES))}.")
    if "*" not in own.scopes and not set(scopes) <= set(own.scopes):
        raise Forbidden("A key cannot create a key with more scopes than its own")
    env_id, project_id = _uuid(body, "environmentId"), _uuid(body, "projectId")
    environment = project = None
    if env_id is None and project_id is None:
        env_id, project_id = own.environment_id, own.project_id
    if env_id is not None:
        environment = await tenancy.get_environment(session=session, environment_id=env_id)
        if environment is None or (project_id is not None and environment.project_id != project_id):
            raise Forbidden("The environment is outside this key's organization or project")
        project_id = environment.project_id
    elif project_id is not None:
        project = await tenancy.get_project(session=session, project_id=project_id)
        if project is None:
            raise Forbidden("The project is outside this key's organization")
    org = environment.organization_id if environment else project.organization_id if project else own.organization_id
    if not _within(own, org, project_id, env_id):
        raise Forbidden("A key cannot create a key bound more broadly than itself")
    issued = await tenancy.create_key(session=session, name=name, environment=environment, scopes=list(scopes),
                                      organization_id=org, project_id=project_id,
                                      seal=request.app.state.cipher.seal_secret)
    await session.commit()
    return JSONResponse({**view(issued.row), "key": issued.raw}, status_code=201)


async def _visible(session: AsyncSession, own: ApiKey) -> list[ApiKey]:
    return await tenancy.live_keys_within(
        session=session, organization_id=own.organization_id, project_id=own.project_id,
        environment_id=own.environment_id,
    )


@both(router, "GET", "/api-keys")
async def list_keys(request: Request, session: SessionDep) -> list[dict[str, Any]]:
    return [view(k) for k in await _visible(session, await own_key(request, session))]


@both(router, "DELETE", "/api-keys/{key_id}")
async def delete_key(key_id: str, request: Request, session: SessionDep) -> Response:
    """Revoke; the key stops working at once on this API process, within the auth cache's 5 s on others."""
    own = await own_key(request, session)
    target = next((k for k in await _visible(session, own) if str(k.id) == key_id.lower()), None)
    if target is None:
        raise problem("id", "The API key was not found.", "NOT_FOUND", NotFound)
    await tenancy.revoke_key(session=session, key_id=target.id)
    await session.commit()
    request.app.state.key_cache.forget(target.id)
    return Response(status_code=204)
