"""Novu's v2 inbox of one subscriber: a cursor-paged list, filtered counts, and seen/read/archived changes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from api.novu.routes.inbox_common import (
    MAX_PAGE,
    ReadSubscriber,
    WriteSubscriber,
    own_message,
    parse_ids,
    parse_json_object,
)
from api.novu.schemas.inbox import (
    ButtonType,
    CountResultDto,
    Envelope,
    InboxListResponse,
    InboxNotificationDto,
    inbox_dto,
)
from api.novu.schemas.inbox_requests import INBOX_MARKS, InboxFilter, SeenBody, Severity, tag_groups
from store import messages
from store.message_filters import FeedFilter
from store.models import Message, Subscriber

router = APIRouter(prefix="/v2/subscribers/{subscriberId}/notifications", tags=["inbox"])
NotificationId = Annotated[str, Path(alias="notificationId")]
# createdGte/createdLte are milliseconds since the epoch, bounded so that none overflows a datetime.
_MAX_MILLIS = 253_402_300_799_000
_NO_CONTENT: dict[str, Any] = {"status_code": 204, "response_class": Response}
# Novu's counts stop at 100 (an inbox badge shows "99+"), and it takes at most 30 filters per call.
COUNT_CAP, MAX_FILTERS = 100, 30
_UNSUPPORTED = "Filtering for unread and archived notifications is not supported."


async def _dtos(
    session: AsyncSession, principal: Principal, subscriber: Subscriber, rows: Sequence[Message]
) -> list[InboxNotificationDto]:
    flows = await messages.workflows(session=session, environment_id=principal.environment_id, messages=rows)
    return [
        inbox_dto(m, subscriber=subscriber, workflow=flows.get(m.workflow_id) if m.workflow_id else None) for m in rows
    ]


def _millis(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


@router.get("", response_model=InboxListResponse)
async def list_notifications(
    subscriber: ReadSubscriber,
    principal: NativeAuth,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    after: Annotated[str | None, Query(description="the id of the last notification of the previous page")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_PAGE * 100)] = 0,
    read: bool | None = None,
    seen: bool | None = None,
    archived: bool | None = None,
    snoozed: bool | None = None,
    tags: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    data: Annotated[str | None, Query(description="a JSON object matched against the payload")] = None,
    created_gte: Annotated[float | None, Query(alias="createdGte", ge=0, le=_MAX_MILLIS)] = None,
    created_lte: Annotated[float | None, Query(alias="createdLte", ge=0, le=_MAX_MILLIS)] = None,
) -> Any:
    """The subscriber's in-app notifications, newest first; page with ``after`` (a notification id) or ``offset``."""
    if read is False and archived is True:
        raise BadRequest(_UNSUPPORTED)
    payload = parse_json_object(data, field="data", message="Invalid JSON format for data parameter") if data else None
    filters = FeedFilter(
        read=read, seen=seen, archived=archived, snoozed=snoozed, payload=payload, tag_groups=tag_groups(tags),
        severities=list(severity or []), created_gte=_millis(created_gte), created_lte=_millis(created_lte),
    )  # fmt: skip
    cursor = None
    if after is not None:
        try:
            cursor = await own_message(session, principal, subscriber, after, channel=messages.IN_APP)
        except NotFound:
            raise BadRequest("Invalid after cursor", field_errors={"after": "names no notification"}) from None
    rows, more = await messages.feed_page(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id, filters=filters,
        offset=offset, limit=limit, after=cursor,
    )  # fmt: skip
    echo = {"tags": tags, "read": read, "seen": seen, "archived": archived, "snoozed": snoozed, "data": payload,
            "severity": severity}  # fmt: skip
    return InboxListResponse(
        data=await _dtos(session, principal, subscriber, rows),
        has_more=more,
        filter={k: v for k, v in echo.items() if v is not None},
    )


def count_filters(text: str) -> list[tuple[dict[str, Any], FeedFilter]]:
    message = "Invalid filters, the JSON object should be provided."
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest(message, field_errors={"filters": "is not JSON"}) from None
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw) or len(raw) > MAX_FILTERS:
        raise BadRequest(message, field_errors={"filters": f"must be an array of at most {MAX_FILTERS} objects"})
    try:
        parsed = [InboxFilter.model_validate(f) for f in raw]
    except ValidationError as exc:
        raise BadRequest(message, field_errors={"filters": exc.errors()[0]["msg"]}) from None
    if any(f.read is False and f.archived is True for f in parsed):
        raise BadRequest(_UNSUPPORTED)
    return [(f, p.feed_filter()) for f, p in zip(raw, parsed, strict=True)]


@router.get("/count", response_model=Envelope[list[CountResultDto]])
async def count_notifications(
    subscriber: ReadSubscriber,
    principal: NativeAuth,
    session: SessionDep,
    filters: Annotated[str, Query(description='a JSON array, e.g. [{"read": false}, {"tags": ["a"]}]')],
) -> Any:
    """One count per filter, each capped at 100 as Novu's are."""
    results = [
        CountResultDto(count=await messages.count(
            session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
            filters=feed_filter, cap=COUNT_CAP,
        ), filter=raw)
        for raw, feed_filter in count_filters(filters)
    ]  # fmt: skip
    return Envelope(data=results)


async def _bulk(
    session: AsyncSession,
    principal: Principal,
    subscriber: Subscriber,
    mark: str,
    filters: FeedFilter,
    ids: list[str] | None = None,
) -> Response:
    await messages.set_state(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
        flags=INBOX_MARKS[mark], filters=filters, ids=parse_ids(ids) if ids is not None else None,
    )  # fmt: skip
    await session.commit()
    return Response(status_code=204)


@router.post("/seen", **_NO_CONTENT)
async def mark_seen(
    subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep, body: SeenBody | None = None
) -> Response:
    """Mark the given notifications seen, or every unseen one matching ``tags`` and ``data``."""
    body = body or SeenBody()
    if body.notification_ids is not None:
        return await _bulk(session, principal, subscriber, "seen", body.selection(), body.notification_ids)
    return await _bulk(session, principal, subscriber, "seen", replace(body.selection(), seen=False))


@router.post("/read", **_NO_CONTENT)
async def mark_all_read(
    subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep, body: InboxFilter | None = None
) -> Response:
    """Mark every unread notification matching ``tags`` and ``data`` read (and so seen)."""
    only = (body or InboxFilter()).selection()
    return await _bulk(session, principal, subscriber, "read", replace(only, read=False))


@router.post("/archive", **_NO_CONTENT)
async def archive_all(
    subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep, body: InboxFilter | None = None
) -> Response:
    """Archive every notification matching ``tags`` and ``data`` (archiving also reads them)."""
    only = (body or InboxFilter()).selection()
    return await _bulk(session, principal, subscriber, "archive", replace(only, archived=False))


@router.post("/read-archive", **_NO_CONTENT)
async def archive_all_read(
    subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep, body: InboxFilter | None = None
) -> Response:
    """Archive every read notification matching ``tags`` and ``data``."""
    only = (body or InboxFilter()).selection()
    return await _bulk(session, principal, subscriber, "archive", replace(only, read=True, archived=False))


@router.post("/delete", **_NO_CONTENT)
async def delete_all(
    subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep, body: InboxFilter | None = None
) -> Response:
    """Delete every notification matching ``tags`` and ``data``: they leave the inbox and its counts."""
    await messages.soft_delete(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
        filters=(body or InboxFilter()).selection(), channel=messages.IN_APP,
    )  # fmt: skip
    await session.commit()
    return Response(status_code=204)


async def _one(
    session: AsyncSession, principal: Principal, subscriber: Subscriber, notification_id: str, mark: str
) -> Envelope[InboxNotificationDto]:
    found = await own_message(session, principal, subscriber, notification_id, channel=messages.IN_APP)
    await messages.set_state(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
        flags=INBOX_MARKS[mark], ids=[found.id],
    )  # fmt: skip
    await session.commit()
    fresh = await own_message(session, principal, subscriber, notification_id, channel=messages.IN_APP)
    return Envelope(data=(await _dtos(session, principal, subscriber, [fresh]))[0])


@router.patch("/{notificationId}/read", response_model=Envelope[InboxNotificationDto])
async def mark_read(
    notification_id: NotificationId, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep
) -> Any:
    """Mark one notification read (and so seen)."""
    return await _one(session, principal, subscriber, notification_id, "read")


@router.patch("/{notificationId}/unread", response_model=Envelope[InboxNotificationDto])
async def mark_unread(
    notification_id: NotificationId, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep
) -> Any:
    """Mark one notification unread (and unarchived; it stays seen)."""
    return await _one(session, principal, subscriber, notification_id, "unread")


@router.patch("/{notificationId}/archive", response_model=Envelope[InboxNotificationDto])
async def archive(
    notification_id: NotificationId, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep
) -> Any:
    """Archive one notification (and so read it)."""
    return await _one(session, principal, subscriber, notification_id, "archive")


@router.patch("/{notificationId}/unarchive", response_model=Envelope[InboxNotificationDto])
async def unarchive(
    notification_id: NotificationId, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep
) -> Any:
    """Move one notification back from the archive; it stays read."""
    return await _one(session, principal, subscriber, notification_id, "unarchive")


@router.delete("/{notificationId}", **_NO_CONTENT)
async def delete_notification(
    notification_id: NotificationId, subscriber: WriteSubscriber, principal: NativeAuth, session: SessionDep
) -> Response:
    """Delete one notification from the inbox."""
    found = await own_message(session, principal, subscriber, notification_id, channel=messages.IN_APP)
    await messages.soft_delete(session=session, environment_id=principal.environment_id, ids=[found.id])
    await session.commit()
    return Response(status_code=204)


@router.patch("/{notificationId}/actions/{actionType}/{outcome}", response_model=Envelope[InboxNotificationDto])
async def answer_action(
    notification_id: NotificationId,
    action_type: Annotated[ButtonType, Path(alias="actionType")],
    outcome: Annotated[Literal["complete", "revert"], Path()],
    subscriber: WriteSubscriber,
    principal: NativeAuth,
    session: SessionDep,
) -> Any:
    """Complete (or revert) a notification's primary or secondary action."""
    found = await own_message(session, principal, subscriber, notification_id, channel=messages.IN_APP, lock=True)
    status = "done" if outcome == "complete" else "pending"
    await messages.set_action(session=session, message=found, button=action_type, status=status, payload=None)
    await session.commit()
    fresh = await own_message(session, principal, subscriber, notification_id, channel=messages.IN_APP)
    return Envelope(data=(await _dtos(session, principal, subscriber, [fresh]))[0])
