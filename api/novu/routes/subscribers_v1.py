"""Novu's v1 subscriber routes: what novu 1.14's ``SubscriberApi`` and novu-py's bulk create call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import ValidationError

from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest
from api.novu.schemas.subscribers import (
    BulkCreateDto,
    BulkCreateEnvelope,
    BulkCreateResult,
    CreateSubscriberDto,
    DeletedEnvelope,
    FailedSubscriber,
    SubscriberEnvelope,
    SubscriberPageResponse,
    SubscriberRef,
    UpdateSubscriberDto,
)
from api.novu.views.subscribers import delete_or_404, envelope, merge_channels, subscriber_dto, subscriber_or_404
from api.operations.lifecycle import EmitCommitted
from api.paging import MAX_PAGE
from store import subscribers as subscriber_store

router = APIRouter(prefix="/v1/subscribers", tags=["subscribers"], dependencies=[EmitCommitted])

SubscriberKey = Annotated[str, Path(alias="subscriberId")]
BULK_LIMIT = 500


def _fields(body: CreateSubscriberDto | UpdateSubscriberDto, stored_channels: list[Any]) -> dict[str, Any]:
    fields = body.sent()
    if body.channels:
        fields["channels"] = merge_channels(stored_channels, body.channels, append=False)
    return fields


@router.post("", status_code=201, response_model=SubscriberEnvelope)
async def create_subscriber(body: CreateSubscriberDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Create a subscriber, or update the one with this subscriberId (null fields are left alone)."""
    found = await subscriber_store.get(
        session=session, environment_id=principal.environment_id, subscriber_id=body.subscriber_id
    )
    fields = _fields(body, found.channels if found else [])
    rows, _ = await subscriber_store.save_many(
        session=session, environment_id=principal.environment_id, profiles={body.subscriber_id: fields}
    )
    await session.commit()
    return envelope(rows[body.subscriber_id], principal)


@router.post("/bulk", status_code=201, response_model=BulkCreateEnvelope)
async def bulk_create_subscribers(body: BulkCreateDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Create or update up to 500 subscribers; an invalid entry is reported in ``failed`` alone."""
    if len(body.subscribers) > BULK_LIMIT:
        raise BadRequest(
            f"subscribers must contain no more than {BULK_LIMIT} elements",
            field_errors={"subscribers": f"at most {BULK_LIMIT} subscribers per request"},
        )
    valid: list[CreateSubscriberDto] = []
    failed: list[FailedSubscriber] = []
    for entry in body.subscribers:
        try:
            valid.append(CreateSubscriberDto.model_validate(entry))
        except ValidationError as exc:
            sid = entry.get("subscriberId") if isinstance(entry, dict) else None
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors())
            failed.append(FailedSubscriber(subscriber_id=None if sid is None else str(sid), message=problems))
    stored = await subscriber_store.get_many(
        session=session, environment_id=principal.environment_id, subscriber_ids=(s.subscriber_id for s in valid)
    )
    # A subscriberId repeated in one request: later entries update what earlier ones wrote.
    profiles: dict[str, dict[str, Any]] = {}
    for entry in valid:
        channels = profiles.get(entry.subscriber_id, {}).get("channels") or (
            stored[entry.subscriber_id].channels if entry.subscriber_id in stored else []
        )
        profiles.setdefault(entry.subscriber_id, {}).update(_fields(entry, channels))
    _, created = await subscriber_store.save_many(
        session=session, environment_id=principal.environment_id, profiles=profiles
    )
    await session.commit()
    seen: set[str] = set()
    result = BulkCreateResult(created=[], updated=[], failed=failed)
    for entry in valid:
        first_creation = entry.subscriber_id in created and entry.subscriber_id not in seen
        (result.created if first_creation else result.updated).append(SubscriberRef(subscriber_id=entry.subscriber_id))
        seen.add(entry.subscriber_id)
    return BulkCreateEnvelope(data=result)


@router.get("", response_model=SubscriberPageResponse)
async def list_subscribers(
    principal: NativeAuth,
    session: SessionDep,
    # ``int`` also parses floats such as ``page=1.0`` (novu-py's way of sending numbers).
    page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Any:
    """One page of the environment's subscribers, newest first (page is 0-based)."""
    rows, total = await subscriber_store.page(
        session=session, environment_id=principal.environment_id, page=page, limit=limit
    )
    return SubscriberPageResponse(
        data=[subscriber_dto(row, principal) for row in rows],
        page=page,
        page_size=limit,
        total_count=total,
        has_more=(page + 1) * limit < total,
    )


@router.get("/{subscriberId}", response_model=SubscriberEnvelope)
async def get_subscriber(subscriber_id: SubscriberKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One subscriber by subscriberId."""
    return envelope(await subscriber_or_404(session, principal, subscriber_id), principal)


@router.put("/{subscriberId}", response_model=SubscriberEnvelope)
async def update_subscriber(
    subscriber_id: SubscriberKey, body: UpdateSubscriberDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Update a subscriber; fields sent as null or left out keep their value."""
    row = await subscriber_or_404(session, principal, subscriber_id)
    row = await subscriber_store.update(session=session, subscriber=row, fields=_fields(body, row.channels))
    await session.commit()
    return envelope(row, principal)


@router.delete("/{subscriberId}", response_model=DeletedEnvelope)
async def delete_subscriber(subscriber_id: SubscriberKey, principal: NativeAuth, session: SessionDep) -> Any:
    """Delete a subscriber with their messages, preferences and topic memberships."""
    await delete_or_404(session, principal, subscriber_id)
    return DeletedEnvelope()
