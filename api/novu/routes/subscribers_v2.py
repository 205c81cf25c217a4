"""Novu's v2 subscriber routes, as novu-py 3.19's ``client.subscribers`` calls them."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, Conflict
from api.novu.schemas.subscribers import (
    CreateSubscriberDto,
    DeletedEnvelope,
    ProfileDto,
    SubscriberEnvelope,
    SubscriberSearchResponse,
)
from api.novu.views.subscribers import delete_or_404, envelope, subscriber_dto, subscriber_or_404
from api.operations.lifecycle import EmitCommitted
from store import subscriber_search
from store import subscribers as subscriber_store
from store.models import Subscriber
from store.subscriber_search import Filters, Position, SortBy

router = APIRouter(prefix="/v2/subscribers", tags=["subscribers"], dependencies=[EmitCommitted])

SubscriberKey = Annotated[str, Path(alias="subscriberId")]
# Novu sorts by ``_id``, a time-ordered ObjectId; Clarion's ids are random UUIDs, so creation time
# (with the id as tie-breaker) gives the same order.
_SORTS: dict[str, SortBy] = {"_id": "createdAt", "createdAt": "createdAt", "updatedAt": "updatedAt"}


def _encode(position: Position, sort_by: SortBy) -> str:
    raw = json.dumps([sort_by, position.value.isoformat(), str(position.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort_by: SortBy, field: str) -> Position:
    """A cursor this route issued for the same sort; anything else is a 400 naming the parameter."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, ident = json.loads(raw)
        position = Position(value=datetime.fromisoformat(value), id=uuid.UUID(ident))
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise BadRequest("Invalid cursor", field_errors={field: "is not a cursor returned by this list"}) from None
    if kind != sort_by or position.value.tzinfo is None:
        raise BadRequest("Invalid cursor", field_errors={field: "was issued for another orderBy"})
    return position


def _exists(row: Subscriber, principal: Principal) -> Conflict:
    # novu-py parses a 409 here as the existing subscriber (SubscriberResponseDtoError): the body is
    # Novu's error and that subscriber's fields side by side.
    existing = subscriber_dto(row, principal).model_dump(mode="json", by_alias=True)
    return Conflict("Subscriber already exists", field_errors={"subscriberId": "already exists"}, extra=existing)


@router.post("", status_code=201, response_model=SubscriberEnvelope)
async def create_or_update_subscriber(
    body: CreateSubscriberDto,
    principal: NativeAuth,
    session: SessionDep,
    fail_if_exists: Annotated[bool, Query(alias="failIfExists")] = False,
) -> Any:
    """Create a subscriber, or update an existing one unless ``failIfExists`` (then 409, as Novu)."""
    found = await subscriber_store.get(
        session=session, environment_id=principal.environment_id, subscriber_id=body.subscriber_id
    )
    if fail_if_exists and found is not None:
        raise _exists(found, principal)
    rows, created = await subscriber_store.save_many(
        session=session, environment_id=principal.environment_id, profiles={body.subscriber_id: body.sent()}
    )
    if fail_if_exists and body.subscriber_id not in created:  # another request created it meanwhile
        await session.rollback()
        raise _exists(rows[body.subscriber_id], principal)
    await session.commit()
    return envelope(rows[body.subscriber_id], principal)


@router.get("", response_model=SubscriberSearchResponse)
async def search_subscribers(
    principal: NativeAuth,
    session: SessionDep,
    # novu-py sends numbers as floats (``limit=10.0``); ``int`` parses those.
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    after: Annotated[str | None, Query(max_length=512)] = None,
    before: Annotated[str | None, Query(max_length=512)] = None,
    include_cursor: Annotated[bool, Query(alias="includeCursor")] = False,
    order_by: Annotated[Literal["_id", "createdAt", "updatedAt"], Query(alias="orderBy")] = "_id",
    order_direction: Annotated[Literal["ASC", "DESC"], Query(alias="orderDirection")] = "DESC",
    subscriber_id: Annotated[str | None, Query(alias="subscriberId", max_length=255)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    name: Annotated[str | None, Query(max_length=512)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Search subscribers (exact subscriberId, email, phone; part of the name), a cursor page at a time."""
    sort_by = _SORTS[order_by]
    page = await subscriber_search.search(
        session=session,
        environment_id=principal.environment_id,
        filters=Filters(subscriber_id=subscriber_id, email=email, phone=phone, name=name),
        limit=limit,
        after=_decode(after, sort_by, "after") if after else None,
        before=_decode(before, sort_by, "before") if before else None,
        include_cursor=include_cursor,
        sort_by=sort_by,
        descending=order_direction == "DESC",
    )

    def cursor(index: int) -> str:
        return _encode(subscriber_search.position_of(page.rows[index], sort_by), sort_by)

    return SubscriberSearchResponse(
        data=[subscriber_dto(row, principal) for row in page.rows],
        next=cursor(-1) if page.has_after else None,
        previous=cursor(0) if page.has_before else None,
        total_count=page.total,
        total_count_capped=page.capped,
    )


@router.get("/{subscriberId}", response_model=SubscriberEnvelope)
async def retrieve_subscriber(subscriber_id: SubscriberKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One subscriber by subscriberId."""
    return envelope(await subscriber_or_404(session, principal, subscriber_id), principal)


@router.patch("/{subscriberId}", response_model=SubscriberEnvelope)
async def patch_subscriber(
    subscriber_id: SubscriberKey, body: ProfileDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Change the fields sent; an explicit null clears a field."""
    row = await subscriber_or_404(session, principal, subscriber_id)
    row = await subscriber_store.update(session=session, subscriber=row, fields=body.patched())
    await session.commit()
    return envelope(row, principal)


@router.delete("/{subscriberId}", response_model=DeletedEnvelope)
async def remove_subscriber(subscriber_id: SubscriberKey, principal: NativeAuth, session: SessionDep) -> Any:
    """Delete a subscriber with their messages, preferences and topic memberships."""
    await delete_or_404(session, principal, subscriber_id)
    return DeletedEnvelope()
