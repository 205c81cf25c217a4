"""Bitcaster's Events API (shared/event-apis.md §4): list an application's events, trigger one,
read what became of it. A thin router over the shared publish operation (``api.operations.publishing``).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.bitcaster.auth import any_key, caller_for
from api.bitcaster.body import TriggerRequest, drf_error, parse_trigger
from api.bitcaster.status import occurrence_body
from api.deps import SessionDep, TemporalDep
from api.errors import NotFound
from api.operations.publishing import Publisher, PublishOptions, PublishRefused
from channels.steps import STEP_KINDS
from core.payloads import TriggerInput
from core.subscriber_selector import Selector
from store import integrations, occurrences
from store import workflows as workflow_store

router = APIRouter(tags=["Bitcaster"])
BASE = "/api/o/{org}/p/{prj}/a/{app}"
EVENT_NOT_FOUND = {"detail": "Not found.", "error": "Event not found"}
MAX_CID = 255
OCCURRENCE_ID = re.compile(r"[0-9]{1,10}")
MAX_OCCURRENCE_ID = 2**31 - 1


def _channels_of(steps: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(step.get("type", "") for step in steps if step.get("type") in STEP_KINDS))


@router.get("/api/system/ping/", include_in_schema=False)
@router.get("/api/system/ping", summary="Check a Bitcaster key")
async def ping(request: Request, session: SessionDep) -> dict[str, str]:
    _, name = await any_key(request, session)
    return {"token": name}


@router.get(BASE + "/e/", include_in_schema=False)
@router.get(BASE + "/e", summary="List an application's events")
async def list_events(request: Request, session: SessionDep, org: str, prj: str, app: str) -> list[dict[str, Any]]:
    caller = await caller_for(request, session, org, prj, app)
    caller.require("event:list")
    found = await workflow_store.list_all(session=session, environment_id=caller.environment.id)
    # Sorted here, not by the database: SQLite and PostgreSQL collations order case differently.
    rows = sorted(found, key=lambda row: (row.name.casefold(), row.name, row.identifier))
    return [
        {"id": str(row.id), "name": row.name, "slug": row.identifier, "description": row.description or "",
         "active": row.active, "channels": _channels_of(row.steps)}
        for row in rows
    ]


async def _channel_types(session: AsyncSession, environment_id: uuid.UUID, names: list[str]) -> set[str]:
    """Step channel types, integration identifiers or provider ids, as the channel types they name."""
    known = await integrations.list_for(session=session, environment_id=environment_id)
    types: set[str] = set()
    unknown: list[str] = []
    for name in names:
        if name in STEP_KINDS:
            types.add(name)
            continue
        matched = {row.channel for row in known if name in (row.identifier, row.provider_id)}
        if not matched:
            unknown.append(name)
        types |= matched
    if unknown:
        raise drf_error({"options": {"channels": [f"Unknown channel(s): {', '.join(unknown)}"]}})
    return types


def _shape_trigger(prepared_trigger: TriggerInput, body: TriggerRequest, channel_types: set[str] | None) -> None:
    """Apply Bitcaster's options to the planned native trigger (recipients and steps)."""
    context = prepared_trigger.context
    if body.selector is not None:  # "external" mode: the filters choose among all subscribers
        prepared_trigger.everyone, prepared_trigger.topic_keys = True, []
        context.selector = Selector(include=body.selector.include, exclude=body.selector.exclude,
                                    limit_to=body.limit_to).model_dump()
    elif body.limit_to is not None:
        context.selector = Selector(limit_to=body.limit_to).model_dump()
    if channel_types is not None:
        steps = [s for s in context.workflow.steps if s.type not in STEP_KINDS or s.type in channel_types]
        context.workflow = context.workflow.model_copy(update={"steps": steps})


@router.post(BASE + "/e/{evt}/trigger/", include_in_schema=False, status_code=201)
@router.post(BASE + "/e/{evt}/trigger", summary="Trigger an event", status_code=201)
async def trigger(
    request: Request, session: SessionDep, temporal: TemporalDep, org: str, prj: str, app: str, evt: str,
    cid: str | None = None,
) -> JSONResponse:
    caller = await caller_for(request, session, org, prj, app)
    caller.require("event:trigger")
    if cid is not None and len(cid) > MAX_CID:
        raise drf_error({"cid": [f"Ensure this field has no more than {MAX_CID} characters."]})
    body = parse_trigger(await request.body())
    env = caller.environment
    workflow = await workflow_store.get_by_identifier(session=session, environment_id=env.id, identifier=evt)
    if workflow is None:
        raise NotFound("Not found.", extra={"bitcaster_body": EVENT_NOT_FOUND})
    if not workflow.active:
        raise drf_error({"detail": "Event is not active", "error": "Event is not active"})
    channel_types = await _channel_types(session, env.id, body.channels) if body.channels is not None else None
    publisher: Publisher = request.app.state.publisher
    try:
        prepared = await publisher.prepare(
            session, environment_id=env.id, event_type=evt, event_id=None, data=body.context, audiences=None,
            topics="routed", require_route=False,
            options=PublishOptions(record={"bitcaster": {"cid": cid, "options": body.options}}),
        )
    except PublishRefused as exc:
        if any(issue.code == "INVALID_EVENT_TYPE" for issue in exc.issues):  # deleted a moment ago
            raise NotFound("Not found.", extra={"bitcaster_body": EVENT_NOT_FOUND}) from None
        raise drf_error({"context": [issue.reason for issue in exc.issues]}) from None
    if prepared.trigger is not None:
        _shape_trigger(prepared.trigger, body, channel_types)
        prepared.trigger.context.correlation_id = cid
    row = await occurrences.create(
        session=session, environment_id=env.id, event=evt, transaction_id=prepared.event_id, correlation_id=cid,
        options=body.options, environs=body.environs,
    )
    occurrence_id = row.id
    await publisher.publish(session, temporal, prepared)  # commits the occurrence with the event
    return JSONResponse({"occurrence": occurrence_id, "transaction_id": prepared.event_id}, status_code=201)


async def _occurrence(
    request: Request, session: SessionDep, temporal: TemporalDep, org: str, prj: str, app: str, occurrence_id: str,
    evt: str | None,
) -> dict[str, Any]:
    caller = await caller_for(request, session, org, prj, app)
    caller.require("event:list", "event:trigger")
    if not OCCURRENCE_ID.fullmatch(occurrence_id) or int(occurrence_id) > MAX_OCCURRENCE_ID:
        raise NotFound("Not found.")  # also keeps ids beyond the integer column away from the database
    row = await occurrences.get(session=session, environment_id=caller.environment.id, occurrence_id=int(occurrence_id))
    if row is None or (evt is not None and row.event != evt):
        raise NotFound("Not found.")
    return await occurrence_body(session, temporal, row)


@router.get(BASE + "/occurrences/{occurrence_id}/", include_in_schema=False)
@router.get(BASE + "/occurrences/{occurrence_id}", summary="Read an occurrence (a Clarion addition)")
async def get_occurrence(
    request: Request, session: SessionDep, temporal: TemporalDep, org: str, prj: str, app: str, occurrence_id: str,
) -> dict[str, Any]:
    return await _occurrence(request, session, temporal, org, prj, app, occurrence_id, None)


@router.get(BASE + "/e/{evt}/occurrences/{occurrence_id}/", include_in_schema=False)
@router.get(BASE + "/e/{evt}/occurrences/{occurrence_id}", summary="Read an occurrence of one event")
async def get_event_occurrence(
    request: Request, session: SessionDep, temporal: TemporalDep, org: str, prj: str, app: str, evt: str,
    occurrence_id: str,
) -> dict[str, Any]:
    return await _occurrence(request, session, temporal, org, prj, app, occurrence_id, evt)
