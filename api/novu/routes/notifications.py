"""Novu's activity feed: the environment's notifications with their jobs and execution details."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import NativeAuth, SessionDep, SettingsDep
from api.errors import NotFound
from api.novu.schemas.activity import ActivitiesResponse, NotificationEnvelope, notification_dto
from store import activity_feed as activity
from store import tenancy

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

# novu-py sends arrays exploded (``channels=a&channels=b``); other clients join them with commas.
ListParam = Annotated[list[str] | None, Query()]


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


async def _organization_id(session: SessionDep, environment_id: uuid.UUID) -> str:
    env = await tenancy.get_environment(session=session, environment_id=environment_id)
    if env is None:
        raise NotFound("Environment not found")
    return str(env.organization_id)


@router.get("", response_model=ActivitiesResponse)
async def list_notifications(
    principal: NativeAuth,
    session: SessionDep,
    settings: SettingsDep,
    channels: ListParam = None,
    templates: ListParam = None,
    emails: ListParam = None,
    subscriber_ids: Annotated[list[str] | None, Query(alias="subscriberIds")] = None,
    transaction_id: Annotated[str | None, Query(alias="transactionId")] = None,
    search: str | None = None,
    # ``int`` also parses novu-py's ``page=0.0`` and ``limit=10.0``.
    page: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> Any:
    """List the environment's notifications, newest first, filtered and paged (page is 0-based)."""
    filters = activity.NotificationFilter(
        channels=_split(channels),
        templates=_split(templates),
        subscriber_ids=_split(subscriber_ids),
        emails=_split(emails),
        transaction_id=transaction_id or None,
        search=search or None,
    )
    result = await activity.list_notifications(
        session=session, environment_id=principal.environment_id, filters=filters, page=page, limit=limit
    )
    org = await _organization_id(session, principal.environment_id)
    data = [notification_dto(v, organization_id=org, temporal=settings.temporal) for v in result.items]
    return ActivitiesResponse(
        data=data, page=page, page_size=limit, has_more=(page + 1) * limit < result.total, total_count=result.total
    )


@router.get("/{notificationId}", response_model=NotificationEnvelope)
async def get_notification(
    notification_id: Annotated[str, Path(alias="notificationId")],
    principal: NativeAuth,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    """One notification with its jobs, each with its execution details."""
    try:
        key = uuid.UUID(notification_id)
    except ValueError:
        # Not an id Clarion could have issued: the same answer as an unknown one.
        raise NotFound("Notification not found") from None
    view = await activity.get_notification(
        session=session, environment_id=principal.environment_id, notification_id=key
    )
    if view is None:
        raise NotFound("Notification not found")
    org = await _organization_id(session, principal.environment_id)
    return NotificationEnvelope(data=notification_dto(view, organization_id=org, temporal=settings.temporal))
