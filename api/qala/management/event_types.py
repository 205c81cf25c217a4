"""``/management/v1/events/types``: event types are notification workflows (§0.5, §1.6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import PrincipalDep, SessionDep, WorkflowCacheDep
from api.errors import Conflict, Forbidden, NotFound
from api.operations.payload_schema import check_schema
from api.qala.http import both, optional_str, problem, read_json, read_object, required_str
from api.qala.management.common import Caller, caller
from api.qala.publish_routes import TYPE
from store import topic_listing
from store import workflows as workflow_store
from store.models import NotificationWorkflow

router = APIRouter(prefix="/management/v1", tags=["management"])


def view(row: NotificationWorkflow) -> dict[str, Any]:
    return {"id": str(row.id), "type": row.identifier, "description": row.description, "schema": row.payload_schema,
            "contentType": "application/json", "encoding": "utf-8", "categories": list(row.tags or []),
            "active": row.active, "hasSteps": bool(row.steps)}


async def group_types(session: AsyncSession, who: Caller) -> set[str] | None:
    """For a group token: the types its permitted topics accept (None = all of them, or no group)."""
    if who.group is None:
        return None
    topics = await topic_listing.list_all(session=session, environment_id=who.env)
    allowed: set[str] = set()
    for topic in topics:
        if who.may_use(topic.key):
            if not topic.event_types:
                return None
            allowed |= set(topic.event_types)
    return allowed


async def _find(session: AsyncSession, who: Caller, key: str) -> NotificationWorkflow:
    row = await workflow_store.get(session=session, environment_id=who.env, key=key)
    if row is None:
        raise problem("idOrType", "The event type was not found.", "NOT_FOUND", NotFound)
    allowed = await group_types(session, who)
    if allowed is not None and row.identifier not in allowed:
        raise Forbidden("This subscriber group may not see this event type")
    return row


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "description" in body:
        values["description"] = optional_str(body, "description", max_length=2000)
    if "schema" in body:
        schema = body["schema"]
        why = None if schema is None else check_schema(schema) if isinstance(schema, dict) else "not an object"
        if why:
            raise problem("schema", f"The schema is not a valid JSON Schema: {why}")
        values["payload_schema"] = schema
    if "categories" in body:
        cats = body["categories"]
        if cats is not None and (not isinstance(cats, list) or not all(isinstance(c, str) for c in cats)):
            raise problem("categories", "The categories field must be an array of strings.")
        values["tags"] = list(cats or [])
    return values


@both(router, "GET", "/events/types")
async def list_types(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    who = await caller(session, principal, "event:list", groups_allowed=True)
    rows = await workflow_store.list_all(session=session, environment_id=who.env)
    allowed = await group_types(session, who)
    return [view(r) for r in rows if allowed is None or r.identifier in allowed]


@both(router, "GET", "/events/types/{key}")
async def get_type(key: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, "event:list", groups_allowed=True)
    return view(await _find(session, who, key))


@both(router, "POST", "/events/types")
async def create_type(request: Request, principal: PrincipalDep, session: SessionDep,
                      cache: WorkflowCacheDep) -> JSONResponse:
    who = await caller(session, principal, "event:manage")
    body = read_object(await read_json(request, required=True))
    kind = required_str(body, "type", max_length=100, pattern=TYPE)
    values = _fields(body)
    if await workflow_store.get_by_identifier(session=session, environment_id=who.env, identifier=kind):
        raise problem("type", f"The event type '{kind}' already exists.", "CONFLICT", Conflict)
    row = await workflow_store.create(session=session, environment_id=who.env, identifier=kind,
                                      values={"name": kind, "active": True, "steps": [], **values})
    await session.commit()
    cache.invalidate(who.env, kind)
    return JSONResponse(view(row), status_code=201)


@both(router, "PUT", "/events/types/{key}")
async def update_type(key: str, request: Request, principal: PrincipalDep, session: SessionDep,
                      cache: WorkflowCacheDep) -> dict[str, Any]:
    who = await caller(session, principal, "event:manage")
    row = await _find(session, who, key)
    for name, value in _fields(read_object(await read_json(request))).items():
        setattr(row, name, value)
    await session.commit()
    cache.invalidate(who.env, row.identifier)
    return view(row)
