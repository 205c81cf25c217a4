"""``/management/v1/topics``: the native topics, in Qala's shape, with their accepted event types (§1.6)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import PrincipalDep, SessionDep, TemporalDep
from api.errors import Conflict
from api.qala.http import both, optional_str, problem, read_json, read_object, required_str
from api.qala.management.common import caller, resolve_event_types, topic_or_404, topic_view
from api.qala.management.subscriptions import cancel_pending
from store import topic_listing, webhooks
from store import topics as topic_store

router = APIRouter(prefix="/management/v1", tags=["management"])
NAME = re.compile(r"^[\w.:\-]{1,255}$")


@both(router, "GET", "/topics")
async def list_topics(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    who = await caller(session, principal, "webhook:manage", groups_allowed=True)
    rows = await topic_listing.list_all(session=session, environment_id=who.env)
    return [await topic_view(session, t) for t in rows if who.may_use(t.key)]


@both(router, "POST", "/topics")
async def create_topic(request: Request, principal: PrincipalDep, session: SessionDep) -> JSONResponse:
    who = await caller(session, principal, "webhook:manage")
    body = read_object(await read_json(request, required=True))
    name = required_str(body, "name", pattern=NAME)
    description = optional_str(body, "description", max_length=2000)
    types = await resolve_event_types(session, who.env, body.get("eventTypeIds"))
    topic, created = await topic_store.create(session=session, environment_id=who.env, key=name, name=name)
    if not created:
        raise problem("name", f"A topic named '{name}' already exists.", "CONFLICT", Conflict)
    topic.description, topic.event_types = description, types
    await session.commit()
    return JSONResponse(await topic_view(session, topic), status_code=201)


@both(router, "GET", "/topics/{name}")
async def get_topic(name: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, "webhook:manage", groups_allowed=True)
    return await topic_view(session, await topic_or_404(session, who, name))


@both(router, "PUT", "/topics/{name}")
async def update_topic(name: str, request: Request, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, "webhook:manage")
    topic = await topic_or_404(session, who, name)
    body = read_object(await read_json(request))
    if "description" in body:
        topic.description = optional_str(body, "description", max_length=2000)
    if "eventTypeIds" in body:
        topic.event_types = await resolve_event_types(session, who.env, body["eventTypeIds"])
    await session.commit()
    return await topic_view(session, topic)


@both(router, "DELETE", "/topics/{name}")
async def delete_topic(name: str, principal: PrincipalDep, session: SessionDep, temporal: TemporalDep) -> Response:
    who = await caller(session, principal, "webhook:manage")
    topic = await topic_or_404(session, who, name)
    if await topic_store.has_members(session=session, environment_id=who.env, topic_id=topic.id):
        raise problem("name", "The topic still has subscriber members.", "CONFLICT", Conflict)
    subs = await webhooks.list_subscriptions(session=session, environment_id=who.env, topic_id=topic.id)
    await cancel_pending(session, temporal, [s.id for s in subs])
    await topic_store.delete(session=session, environment_id=who.env, topic_id=topic.id)
    await session.commit()
    return Response(status_code=204)
