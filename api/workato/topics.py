"""Workato's Developer API for event topics: list, create, get, update, purge, delete (event-apis.md §2.3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.json_body import JsonBodyError, parse_json
from api.paging import MAX_PAGE
from api.workato.common import integer, invalid, json_body, require, route, topic_or_404, topic_view
from api.workato.long_poll import waiters_of
from core.stream_schema import SchemaError, normalise_fields
from store import streams
from store import workflows as workflow_store
from store.base import utcnow

router = APIRouter(prefix="/api/event_streams/topics", tags=["workato"])
SCOPE = "topic:manage"
FIELDS = ("name", "schema", "retention", "description", "event_type")
DEFAULT_RETENTION = 604_800
RETENTION_RANGE = (3_600, 7_776_000)
SORTS = ("id", "name", "activity")


async def _fields_of(request: Request) -> dict[str, Any]:
    """Create/update fields from the query string, overridden by the body's (the body wins)."""
    values: dict[str, Any] = {k: v for k, v in request.query_params.items() if k in FIELDS}
    if isinstance(values.get("schema"), str):
        values["schema"] = _json_or_text(values["schema"])
    body = await json_body(request, empty={})
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object", body="must be a JSON object")
    values.update({k: v for k, v in body.items() if k in FIELDS})
    return values


def _json_or_text(text: str) -> Any:
    try:
        return parse_json(text)
    except JsonBodyError:
        return text


async def _checked(session: AsyncSession, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """The given fields validated and normalised, in the column names of ``StreamTopic``."""
    out: dict[str, Any] = {}
    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise invalid("name must be a string of 1 to 255 characters", name="must be 1 to 255 characters")
        out["name"] = name
    if "schema" in values:
        try:
            out["fields"] = normalise_fields(values["schema"])
        except SchemaError as exc:
            raise invalid(str(exc), **exc.details) from None
    if "retention" in values:
        retention = integer(values["retention"], "retention")
        if not RETENTION_RANGE[0] <= retention <= RETENTION_RANGE[1]:
            low, high = RETENTION_RANGE
            raise invalid(f"retention must be between {low} and {high} seconds", retention=f"must be {low}-{high}")
        out["retention"] = retention
    if "description" in values:
        description = values["description"]
        if description is not None and not isinstance(description, str):
            raise invalid("description must be a string", description="must be a string")
        out["description"] = description
    if "event_type" in values:
        out["event_type"] = await _event_type(session, principal, values["event_type"])
    return out


async def _event_type(session: AsyncSession, principal: Principal, value: Any) -> str | None:
    if value is None:
        return None
    found = isinstance(value, str) and await workflow_store.get_by_identifier(
        session=session, environment_id=principal.environment_id, identifier=value
    )
    if not found:
        raise invalid(f"event_type {value!r} is not an event type of this environment", event_type="is unknown")
    return str(value)


@route(router, ["GET"], "")
async def list_topics(request: Request, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    require(principal, SCOPE)
    query = request.query_params
    sort = query.get("sort") or "id"
    if sort not in SORTS:
        raise invalid("sort must be one of id, name, activity", sort="must be id, name or activity")
    page = integer(query.get("page") or 1, "page")
    per_page = integer(query.get("per_page") or 100, "per_page")
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= 100:
        raise invalid(f"page must be 1 to {MAX_PAGE} and per_page 1 to 100",
                      page=f"must be 1 to {MAX_PAGE}", per_page="1-100")
    with_schema = (query.get("include_schema") or "").lower() in ("true", "1")
    total, topics = await streams.list_topics(
        session=session, environment_id=principal.environment_id, name=query.get("name"), sort=sort,
        page=page, per_page=per_page,
    )
    return {"count": total, "data": [topic_view(t, with_schema=with_schema) for t in topics]}


@route(router, ["POST"], "")
async def create_topic(
    request: Request, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    require(principal, SCOPE)
    values = await _fields_of(request)
    for required in ("name", "schema"):
        if values.get(required) is None:
            raise invalid(f"{required} is required", **{required: "is required"})
    checked = await _checked(session, principal, values)
    env = principal.environment_id
    await streams.lock_environment(session=session, environment_id=env)
    if await streams.count_topics(session=session, environment_id=env) >= settings.streams_max_topics:
        raise invalid(f"This environment already has {settings.streams_max_topics} topics, the limit",
                      "topic_limit_reached")
    await _refuse_taken_name(session, principal, checked.get("name"), None)
    topic = await streams.add_topic(
        session=session, environment_id=env, values={"retention": DEFAULT_RETENTION, **checked}
    )
    await _commit(session, checked["name"])
    return {"data": topic_view(topic)}


async def _refuse_taken_name(session: AsyncSession, principal: Principal, name: str | None, but: int | None) -> None:
    if name is not None and await streams.name_taken(
        session=session, environment_id=principal.environment_id, name=name, but=but
    ):
        raise invalid(f"A topic named {name!r} already exists", "name_taken", name="is taken")


async def _commit(session: AsyncSession, name: str) -> None:
    try:
        await session.commit()
    except IntegrityError:  # a concurrent create took the name between our check and our insert
        await session.rollback()
        raise invalid(f"A topic named {name!r} already exists", "name_taken", name="is taken") from None


@route(router, ["GET"], "/{topic_id}")
async def get_topic(topic_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    require(principal, SCOPE)
    return {"data": topic_view(await topic_or_404(session, principal, topic_id))}


@route(router, ["PUT", "PATCH"], "/{topic_id}")
async def update_topic(topic_id: str, request: Request, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    require(principal, SCOPE)
    topic = await topic_or_404(session, principal, topic_id)
    checked = await _checked(session, principal, await _fields_of(request))
    await _refuse_taken_name(session, principal, checked.get("name"), topic.id)
    for column, value in checked.items():
        setattr(topic, column, value)  # a shorter retention applies at once: reads filter by time
    topic.updated_at = utcnow()
    await _commit(session, topic.name)
    return {"data": topic_view(topic)}


@route(router, ["PUT", "POST"], "/{topic_id}/purge")
async def purge_topic(topic_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    require(principal, SCOPE)
    topic = await topic_or_404(session, principal, topic_id)
    await session.commit()  # end the read, so the purge's first statement takes the lock
    await streams.purge(session=session, topic=topic)
    await session.commit()
    return {"data": {"status": "success"}}


@route(router, ["DELETE"], "/{topic_id}")
async def delete_topic(topic_id: str, request: Request, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    require(principal, SCOPE)
    topic = await topic_or_404(session, principal, topic_id)
    await streams.delete_topic(session=session, topic=topic)
    await session.commit()
    waiters_of(request.app).wake(topic.id)  # waiting consumers end with no messages
    return {"data": {"status": "success"}}
