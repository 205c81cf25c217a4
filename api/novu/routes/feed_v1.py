"""Novu's v1 in-app feed of one subscriber: the feed, the unseen count, mark-as, mark-all and actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest
from api.novu.routes.inbox_common import (
    MAX_PAGE,
    ReadSubscriber,
    WriteSubscriber,
    own_message,
    parse_ids,
    parse_payload_filter,
)
from api.novu.schemas.inbox import ButtonType, CountDto, Envelope, FeedResponse, MessageDto, message_dto
from api.novu.schemas.inbox_requests import (
    V1_CHANGES_ONLY,
    V1_MARKS,
    ActionBody,
    LegacyMarkAsBody,
    MarkAllBody,
    MarkAsBody,
)
from store import messages
from store.message_filters import FeedFilter
from store.models import Message, Subscriber

router = APIRouter(prefix="/v1/subscribers/{subscriberId}", tags=["feed"])
_CREATED: dict[str, Any] = {"status_code": 201}


async def _dtos(
    session: AsyncSession, principal: Principal, rows: Sequence[Message], subscriber: Subscriber | None = None
) -> list[MessageDto]:
    flows = await messages.workflows(session=session, environment_id=principal.environment_id, messages=rows)
    org = str(principal.organization_id)
    return [
        message_dto(m, organization_id=org, workflow=flows.get(m.workflow_id) if m.workflow_id else None,
                    subscriber=subscriber)
        for m in rows
    ]  # fmt: skip


@router.get("/notifications/feed", response_model=FeedResponse)
async def feed(
    subscriber: ReadSubscriber,
    principal: NativeAuth,
    session: SessionDep,
    # ``int`` also parses novu-py's ``page=0.0`` and ``limit=10.0``.
    page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    read: bool | None = None,
    seen: bool | None = None,
    payload: Annotated[str | None, Query(description="base64-encoded (or plain) JSON object")] = None,
) -> Any:
    """The subscriber's in-app messages, newest first, in 0-based pages; ``payload`` matches a partial payload."""
    filters = FeedFilter(read=read, seen=seen, payload=parse_payload_filter(payload) if payload else None)
    rows, more = await messages.feed_page(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id, filters=filters,
        offset=page * limit, limit=limit,
    )  # fmt: skip
    data = await _dtos(session, principal, rows, subscriber)
    # Novu's totalCount is the size of the page, not of the whole feed; clients page by ``hasMore``.
    return FeedResponse(data=data, has_more=more, page=page, page_size=limit, total_count=len(data))


@router.get("/notifications/unseen", response_model=Envelope[CountDto])
async def unseen_count(
    subscriber: ReadSubscriber,
    principal: NativeAuth,
    session: SessionDep,
    seen: bool = False,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
) -> Any:
    """How many in-app messages are unseen (or seen, with ``seen=true``), counting at most ``limit``."""
    count = await messages.count(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
        filters=FeedFilter(seen=seen), cap=limit,
    )  # fmt: skip
    return Envelope(data=CountDto(count=count))


async def _mark(
    session: AsyncSession,
    principal: Principal,
    subscriber: Subscriber,
    raw_ids: str | list[str],
    flags: dict[str, bool],
) -> list[MessageDto]:
    if not (raw_ids if isinstance(raw_ids, list) else raw_ids.strip()):
        raise BadRequest("messageId is required", field_errors={"messageId": "is required"})
    ids = parse_ids(raw_ids)
    if flags:
        # Novu marks the subscriber's messages on any channel, not only in-app ones.
        await messages.set_state(
            session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id, flags=flags,
            ids=ids, channel=None,
        )  # fmt: skip
        await session.commit()
    rows = await messages.by_ids(session=session, environment_id=principal.environment_id,
                                 subscriber_pk=subscriber.id, ids=ids)  # fmt: skip
    return await _dtos(session, principal, rows)


@router.post("/messages/mark-as", response_model=Envelope[list[MessageDto]], **_CREATED)
async def mark_as(body: MarkAsBody, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep) -> Any:
    """Mark one or many messages read, seen, unread or unseen; answers the messages (unknown ids are skipped)."""
    return Envelope(data=await _mark(session, principal, subscriber, body.message_id, V1_MARKS[body.mark_as]))


@router.post("/messages/markAs", response_model=Envelope[list[MessageDto]], **_CREATED)
async def mark_as_legacy(
    body: LegacyMarkAsBody, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep
) -> Any:
    """The legacy form (novu 1.14's ``mark_as``): ``mark`` sets ``seen`` and ``read`` exactly as given."""
    flags = {name: value for name, value in body.mark.model_dump().items() if value is not None}
    return Envelope(data=await _mark(session, principal, subscriber, body.message_id, flags))


@router.post("/messages/mark-all", response_model=Envelope[int], **_CREATED)
async def mark_all(body: MarkAllBody, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep) -> Any:
    """Mark every in-app message of the subscriber; answers how many changed."""
    changed = await messages.set_state(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
        flags=V1_MARKS[body.mark_as], filters=V1_CHANGES_ONLY[body.mark_as],
    )  # fmt: skip
    await session.commit()
    return Envelope(data=changed)


@router.post("/messages/{messageId}/actions/{type}", response_model=Envelope[MessageDto], **_CREATED)
async def mark_action(
    body: ActionBody,
    message_id: Annotated[str, Path(alias="messageId")],
    button: Annotated[ButtonType, Path(alias="type")],
    subscriber: WriteSubscriber,
    principal: NativeAuth,
    session: SessionDep,
) -> Any:
    """Record the answer to a message's primary or secondary action button (``status`` pending or done)."""
    found = await own_message(session, principal, subscriber, message_id, lock=True)
    await messages.set_action(session=session, message=found, button=button, status=body.status, payload=body.payload)
    await session.commit()
    fresh = await own_message(session, principal, subscriber, message_id)
    return Envelope(data=(await _dtos(session, principal, [fresh]))[0])
