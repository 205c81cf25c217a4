"""Subscriber groups and session tokens (``sgt_`` for groups, ``sst_`` for subscribers), §1.7 and §0.3."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import PrincipalDep, SessionDep
from api.errors import Forbidden, NotFound
from api.qala.http import AUDIENCE, MISSING, both, optional_str, problem, read_json, read_object, required_str
from api.qala.management.common import caller, stamp
from store import groups, session_tokens, topic_listing
from store import subscribers as subscriber_store
from store.base import utcnow
from store.models import SubscriberGroup

router = APIRouter(prefix="/management/v1", tags=["management"])
GROUPS = "/security/subscriber-groups"


def view(group: SubscriberGroup) -> dict[str, Any]:
    return {"key": str(group.id), "name": group.name, "description": group.description, "audience": group.audience,
            "availablePermissions": list(group.permissions or []), "createdAt": stamp(group.created_at),
            "updatedAt": stamp(group.updated_at)}


async def _values(session: AsyncSession, env: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    audience = optional_str(body, "audience", max_length=100)
    if audience is not None and not AUDIENCE.match(audience):
        raise problem("audience", "The audience must match ^[A-Za-z0-9._:\\-]{1,100}$.")
    permissions = body.get("availablePermissions") or []
    if not isinstance(permissions, list):
        raise problem("availablePermissions", "The availablePermissions field must be an array.")
    names = await topic_listing.keys(session=session, environment_id=env)
    kept = []
    for i, p in enumerate(permissions):
        at = f"availablePermissions[{i}]"
        if (not isinstance(p, dict) or p.get("permissionType") != "Topic:Subscribe"
                or p.get("resourceType") != "Topic" or not isinstance(p.get("resourceId"), str)):
            raise problem(at, "Only {permissionType: 'Topic:Subscribe', resourceType: 'Topic', resourceId} is allowed.")
        if p["resourceId"] not in names:
            raise problem(f"{at}.resourceId", f"Topic '{p['resourceId']}' was not found.", "NOT_FOUND")
        kept.append({"permissionType": "Topic:Subscribe", "resourceType": "Topic", "resourceId": p["resourceId"]})
    return {"name": required_str(body, "name"), "description": optional_str(body, "description", max_length=2000),
            "audience": audience, "permissions": kept}


async def _group(session: AsyncSession, env: uuid.UUID, group_id: str) -> SubscriberGroup:
    try:
        found = await groups.get(session=session, environment_id=env, group_id=uuid.UUID(group_id))
    except ValueError:
        found = None
    if found is None:
        raise problem("subscriberGroupId", "The subscriber group was not found.", "NOT_FOUND", NotFound)
    return found


def _ttl(body: Any) -> int:
    ttl = read_object(body).get("ttlSeconds") if body is not MISSING else None
    if ttl is None:
        return session_tokens.DEFAULT_TTL_SECONDS
    if (not isinstance(ttl, int) or isinstance(ttl, bool)
            or not session_tokens.MIN_TTL_SECONDS <= ttl <= session_tokens.MAX_TTL_SECONDS):
        raise problem("ttlSeconds", "The ttlSeconds field must be an integer from 300 to 86400.")
    return ttl


@both(router, "POST", GROUPS)
async def create_group(request: Request, principal: PrincipalDep, session: SessionDep) -> JSONResponse:
    who = await caller(session, principal, "webhook:manage")
    values = await _values(session, who.env, read_object(await read_json(request, required=True)))
    group = await groups.create(session=session, environment_id=who.env, values=values)
    await session.commit()
    return JSONResponse(view(group), status_code=201)


@both(router, "GET", GROUPS)
async def list_groups(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    who = await caller(session, principal, "webhook:manage")
    return [view(g) for g in await groups.list_all(session=session, environment_id=who.env)]


@both(router, "GET", GROUPS + "/{group_id}")
async def get_group(group_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, "webhook:manage")
    return view(await _group(session, who.env, group_id))


@both(router, "PUT", GROUPS + "/{group_id}")
async def update_group(group_id: str, request: Request, principal: PrincipalDep, session: SessionDep
                       ) -> dict[str, Any]:
    who = await caller(session, principal, "webhook:manage")
    group = await _group(session, who.env, group_id)
    for name, value in (await _values(session, who.env, read_object(await read_json(request)))).items():
        setattr(group, name, value)
    group.updated_at = utcnow()
    await session.commit()
    return view(group)


@both(router, "DELETE", GROUPS + "/{group_id}")
async def delete_group(group_id: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """Revokes the group's tokens; its subscriptions are kept."""
    who = await caller(session, principal, "webhook:manage")
    group = await _group(session, who.env, group_id)
    await session_tokens.revoke_group(session=session, group_id=group.id)
    await groups.delete(session=session, group=group)
    await session.commit()
    return Response(status_code=204)


async def _group_token(group_id: str, request: Request, principal: PrincipalDep, session: SessionDep
                       ) -> dict[str, Any]:
    who = await caller(session, principal, "webhook:manage")
    group = await _group(session, who.env, group_id)
    issued = await session_tokens.mint(session=session, environment_id=who.env, group_id=group.id,
                                       ttl_seconds=_ttl(await read_json(request)))
    await session.commit()
    return {"sessionToken": issued.raw, "expiresAt": stamp(issued.row.expires_at)}


both(router, "POST", GROUPS + "/{group_id}/session-tokens")(_group_token)
for _alias in ("/session-token", "/session-token/"):
    router.add_api_route(GROUPS + "/{group_id}" + _alias, _group_token, methods=["POST"], include_in_schema=False)


@both(router, "POST", "/subscribers/{subscriber_id}/session-tokens")
async def subscriber_token(subscriber_id: str, request: Request, principal: PrincipalDep, session: SessionDep
                           ) -> dict[str, Any]:
    who = await caller(session, principal, "subscriber:session")
    if await subscriber_store.get(session=session, environment_id=who.env, subscriber_id=subscriber_id) is None:
        raise problem("subscriberId", "The subscriber was not found.", "NOT_FOUND", NotFound)
    issued = await session_tokens.mint(session=session, environment_id=who.env, subscriber_id=subscriber_id,
                                       ttl_seconds=_ttl(await read_json(request)))
    await session.commit()
    return {"sessionToken": issued.raw, "subscriberId": subscriber_id, "expiresAt": stamp(issued.row.expires_at)}


@both(router, "POST", "/session-tokens/revoke")
async def revoke_token(request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    if principal.kind != "key" or not (principal.allows("webhook:manage") or principal.allows("subscriber:session")):
        raise Forbidden("Revoking a session token needs 'webhook:manage' or 'subscriber:session'")
    body = read_object(await read_json(request, required=True))
    token = required_str(body, "sessionToken", max_length=200)
    await session_tokens.revoke(session=session, raw=token, environment_id=principal.environment_id)
    await session.commit()
    return Response(status_code=204)
