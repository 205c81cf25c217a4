"""``/v1/inbox/notifications``: the session subscriber's in-app notifications as ``@novu/js`` reads and changes them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.novu.inbox.auth import InboxCaller, InboxReader, InboxWriter
from api.novu.inbox.schemas import (
    MAX_SNOOZE_DURATION_HOURS,
    ActionTypeBody,
    CountDto,
    CountsPage,
    NotificationDto,
    NotificationEnvelope,
    NotificationsPage,
    Severity,
    SnoozeBody,
    notification_dto,
)
from api.novu.routes.inbox_common import MAX_PAGE, own_message, parse_ids, parse_json_object
from api.novu.routes.inbox_v2 import COUNT_CAP, count_filters
from api.novu.schemas.inbox_requests import INBOX_MARKS, InboxFilter, SeenBody
from store import messages, snoozes
from store.base import utcnow
from store.message_filters import FeedFilter
from store.models import Message

router = APIRouter(prefix="/v1/inbox/notifications", tags=["session-inbox"])
NotificationId = Annotated[str, Path(alias="notificationId")]
_NO_CONTENT: dict[str, Any] = {"status_code": 204, "response_class": Response}
_ONE: dict[str, Any] = {"response_model": NotificationEnvelope, "response_model_by_alias": True,
                        "response_model_exclude_none": True}  # fmt: skip
_MAX_MILLIS = 253_402_300_799_000
_TAG_GROUP = re.compile(r"^tags\[(\d{1,2})\]\[\]$")


def _tag_groups(request: Request) -> list[list[str]]:
    """``tags[]=a&tags[]=b`` is one group (a or b); ``tags[0][]=a&tags[1][]=b`` is a and b, as @novu/js sends them."""
    single = request.query_params.getlist("tags[]") + request.query_params.getlist("tags")
    groups: dict[int, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if (match := _TAG_GROUP.match(key)) is not None:
            groups.setdefault(int(match.group(1)), []).append(value)
    found = [single] if single else []
    return found + [groups[i] for i in sorted(groups)]


async def _dtos(session: AsyncSession, caller: InboxCaller, rows: Sequence[Message]) -> list[NotificationDto]:
    env = caller.principal.environment_id
    flows = await messages.workflows(session=session, environment_id=env, messages=rows)
    now = utcnow()
    return [
        notification_dto(m, subscriber=caller.subscriber, workflow=flows.get(m.workflow_id) if m.workflow_id else None,
                         snoozed=m.snoozed_until is not None and m.snoozed_until > now)
        for m in rows
    ]  # fmt: skip


async def _fresh(session: AsyncSession, caller: InboxCaller, notification_id: str) -> NotificationEnvelope:
    found = await own_message(session, caller.principal, caller.subscriber, notification_id, channel=messages.IN_APP)
    return NotificationEnvelope(data=(await _dtos(session, caller, [found]))[0])


@router.get("", response_model=NotificationsPage, response_model_by_alias=True, response_model_exclude_none=True)
async def list_notifications(
    request: Request,
    caller: InboxReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    after: Annotated[str | None, Query(description="the id of the last notification of the previous page")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_PAGE * 100)] = 0,
    read: bool | None = None,
    seen: bool | None = None,
    archived: bool | None = None,
    snoozed: bool | None = None,
    severity: Annotated[list[Severity] | None, Query(alias="severity[]")] = None,
    one_severity: Annotated[Severity | None, Query(alias="severity")] = None,
    data: Annotated[str | None, Query(description="a JSON object matched against the payload")] = None,
    created_gte: Annotated[float | None, Query(alias="createdGte", ge=0, le=_MAX_MILLIS)] = None,
    created_lte: Annotated[float | None, Query(alias="createdLte", ge=0, le=_MAX_MILLIS)] = None,
) -> Any:
    """Newest first; page with ``after`` (a notification id) or ``offset``; ``tags[]`` / ``tags[N][]`` filter by tag."""
    payload = parse_json_object(data, field="data", message="Invalid JSON format for data parameter") if data else None
    severities = list(severity or []) + ([one_severity] if one_severity else [])
    filters = FeedFilter(
        read=read, seen=seen, archived=archived, snoozed=snoozed, payload=payload, tag_groups=_tag_groups(request),
        severities=severities,
        created_gte=datetime.fromtimestamp(created_gte / 1000, UTC) if created_gte is not None else None,
        created_lte=datetime.fromtimestamp(created_lte / 1000, UTC) if created_lte is not None else None,
    )  # fmt: skip
    cursor = None
    if after is not None:
        try:
            cursor = await own_message(session, caller.principal, caller.subscriber, after, channel=messages.IN_APP)
        except NotFound:
            raise BadRequest("Invalid after cursor", field_errors={"after": "names no notification"}) from None
    rows, more = await messages.feed_page(
        session=session, environment_id=caller.principal.environment_id, subscriber_pk=caller.subscriber.id,
        filters=filters, offset=offset, limit=limit, after=cursor,
    )  # fmt: skip
    echo = {"tags": [list(g) for g in filters.tag_groups] or None, "read": read, "seen": seen, "archived": archived,
            "snoozed": snoozed, "data": payload, "severity": severities or None}  # fmt: skip
    return NotificationsPage(data=await _dtos(session, caller, rows), has_more=more,
                             filter={k: v for k, v in echo.items() if v is not None})  # fmt: skip


@router.get("/count", response_model=CountsPage, response_model_by_alias=True)
async def count_notifications(
    caller: InboxReader,
    session: SessionDep,
    filters: Annotated[str, Query(description='a JSON array, e.g. [{"read": false}, {"severity": "high"}]')],
) -> Any:
    """One count per filter, each capped at 100 as Novu's are."""
    return CountsPage(data=[
        CountDto(count=await messages.count(
            session=session, environment_id=caller.principal.environment_id, subscriber_pk=caller.subscriber.id,
            filters=feed_filter, cap=COUNT_CAP,
        ), filter=raw)
        for raw, feed_filter in count_filters(filters)
    ])  # fmt: skip


async def _mark(session: AsyncSession, caller: InboxCaller, notification_id: str, mark: str) -> NotificationEnvelope:
    found = await own_message(session, caller.principal, caller.subscriber, notification_id, channel=messages.IN_APP)
    await messages.set_state(
        session=session, environment_id=caller.principal.environment_id, subscriber_pk=caller.subscriber.id,
        flags=INBOX_MARKS[mark], ids=[found.id],
    )  # fmt: skip
    await session.commit()
    return await _fresh(session, caller, notification_id)


@router.patch("/{notificationId}/read", **_ONE)
async def read(notification_id: NotificationId, caller: InboxWriter, session: SessionDep) -> Any:
    """Mark one notification read (and so seen)."""
    return await _mark(session, caller, notification_id, "read")


@router.patch("/{notificationId}/unread", **_ONE)
async def unread(notification_id: NotificationId, caller: InboxWriter, session: SessionDep) -> Any:
    """Mark one notification unread."""
    return await _mark(session, caller, notification_id, "unread")


@router.patch("/{notificationId}/archive", **_ONE)
async def archive(notification_id: NotificationId, caller: InboxWriter, session: SessionDep) -> Any:
    """Archive one notification (and so read it)."""
    return await _mark(session, caller, notification_id, "archive")


@router.patch("/{notificationId}/unarchive", **_ONE)
async def unarchive(notification_id: NotificationId, caller: InboxWriter, session: SessionDep) -> Any:
    """Move one notification back from the archive."""
    return await _mark(session, caller, notification_id, "unarchive")


def _snooze_until(text: str) -> datetime:
    try:
        until = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("snoozeUntil must be an ISO 8601 date", field_errors={"snoozeUntil": "not a date"}) from None
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    now = utcnow()
    if until <= now:
        raise BadRequest("Snooze time must be in the future", field_errors={"snoozeUntil": "is not in the future"})
    if until > now + timedelta(hours=MAX_SNOOZE_DURATION_HOURS):
        raise BadRequest(f"Snooze duration cannot exceed {MAX_SNOOZE_DURATION_HOURS} hours",
                         field_errors={"snoozeUntil": "is too far ahead"})  # fmt: skip
    return until.astimezone(UTC)


@router.patch("/{notificationId}/snooze", **_ONE)
async def snooze(notification_id: NotificationId, body: SnoozeBody, caller: InboxWriter, session: SessionDep) -> Any:
    """Hide one notification until ``snoozeUntil``; it then comes back unread, counted and announced live."""
    until = _snooze_until(body.snooze_until)
    found = await own_message(session, caller.principal, caller.subscriber, notification_id, channel=messages.IN_APP)
    await snoozes.snooze(session=session, message=found, until=until)
    await session.commit()
    return await _fresh(session, caller, notification_id)


@router.patch("/{notificationId}/unsnooze", **_ONE)
async def unsnooze(notification_id: NotificationId, caller: InboxWriter, session: SessionDep) -> Any:
    """Bring a snoozed notification back now."""
    found = await own_message(session, caller.principal, caller.subscriber, notification_id, channel=messages.IN_APP)
    await snoozes.unsnooze(session=session, message=found)
    await session.commit()
    return await _fresh(session, caller, notification_id)


async def _action(
    session: AsyncSession, caller: InboxCaller, notification_id: str, body: ActionTypeBody, status: str
) -> NotificationEnvelope:
    found = await own_message(session, caller.principal, caller.subscriber, notification_id, channel=messages.IN_APP,
                              lock=True)  # fmt: skip
    await messages.set_action(session=session, message=found, button=body.action_type, status=status, payload=None)
    await session.commit()
    return await _fresh(session, caller, notification_id)


@router.patch("/{notificationId}/complete", **_ONE)
async def complete(
    notification_id: NotificationId, body: ActionTypeBody, caller: InboxWriter, session: SessionDep
) -> Any:
    """Complete the primary or secondary action (which also reads the notification)."""
    return await _action(session, caller, notification_id, body, "done")


@router.patch("/{notificationId}/revert", **_ONE)
async def revert(
    notification_id: NotificationId, body: ActionTypeBody, caller: InboxWriter, session: SessionDep
) -> Any:
    """Undo a completed action."""
    return await _action(session, caller, notification_id, body, "pending")


@router.delete("/{notificationId}/delete", **_NO_CONTENT)
async def remove(notification_id: NotificationId, caller: InboxWriter, session: SessionDep) -> Response:
    """Delete one notification: it leaves the inbox and its counts."""
    found = await own_message(session, caller.principal, caller.subscriber, notification_id, channel=messages.IN_APP)
    await messages.soft_delete(session=session, environment_id=caller.principal.environment_id, ids=[found.id])
    await session.commit()
    return Response(status_code=204)


Bulk = Literal["read", "archive", "read-archive"]


async def _bulk(session: AsyncSession, caller: InboxCaller, mark: str, filters: FeedFilter,
                ids: list[str] | None = None) -> Response:  # fmt: skip
    await messages.set_state(
        session=session, environment_id=caller.principal.environment_id, subscriber_pk=caller.subscriber.id,
        flags=INBOX_MARKS[mark], filters=filters, ids=parse_ids(ids) if ids is not None else None,
    )  # fmt: skip
    await session.commit()
    return Response(status_code=204)


@router.post("/read", **_NO_CONTENT)
async def read_all(caller: InboxWriter, session: SessionDep, body: InboxFilter | None = None) -> Response:
    """Read every unread notification matching ``tags`` and ``data``."""
    return await _bulk(session, caller, "read", replace((body or InboxFilter()).selection(), read=False))


@router.post("/archive", **_NO_CONTENT)
async def archive_all(caller: InboxWriter, session: SessionDep, body: InboxFilter | None = None) -> Response:
    """Archive every notification matching ``tags`` and ``data``."""
    return await _bulk(session, caller, "archive", replace((body or InboxFilter()).selection(), archived=False))


@router.post("/read-archive", **_NO_CONTENT)
async def archive_all_read(caller: InboxWriter, session: SessionDep, body: InboxFilter | None = None) -> Response:
    """Archive every read notification matching ``tags`` and ``data``."""
    only = replace((body or InboxFilter()).selection(), read=True, archived=False)
    return await _bulk(session, caller, "archive", only)


@router.post("/seen", **_NO_CONTENT)
async def seen(caller: InboxWriter, session: SessionDep, body: SeenBody | None = None) -> Response:
    """Mark the given notifications seen, or every unseen one matching ``tags`` and ``data``."""
    body = body or SeenBody()
    if body.notification_ids is not None:
        return await _bulk(session, caller, "seen", body.selection(), body.notification_ids)
    return await _bulk(session, caller, "seen", replace(body.selection(), seen=False))


@router.post("/delete", **_NO_CONTENT)
async def delete_all(caller: InboxWriter, session: SessionDep, body: InboxFilter | None = None) -> Response:
    """Delete every notification matching ``tags`` and ``data``."""
    await messages.soft_delete(
        session=session, environment_id=caller.principal.environment_id, subscriber_pk=caller.subscriber.id,
        filters=(body or InboxFilter()).selection(), channel=messages.IN_APP,
    )  # fmt: skip
    await session.commit()
    return Response(status_code=204)
