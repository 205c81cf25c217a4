"""Novu's execution details: what happened at each step of one notification, for one subscriber."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import NativeAuth, SessionDep
from api.errors import NotFound
from api.novu.schemas.activity import ExecutionDetailsEnvelope, execution_detail_dto
from store import activity_feed as activity
from store import tenancy

router = APIRouter(prefix="/v1/execution-details", tags=["execution-details"])


@router.get("", response_model=ExecutionDetailsEnvelope)
async def list_execution_details(
    principal: NativeAuth,
    session: SessionDep,
    notification_id: Annotated[str, Query(alias="notificationId", min_length=1)],
    subscriber_id: Annotated[str, Query(alias="subscriberId", min_length=1)],
) -> Any:
    """The execution details of a notification for a subscriber (its subscriberId or internal id), oldest first."""
    try:
        key = uuid.UUID(notification_id)
    except ValueError:
        # Novu answers an unknown notification with an empty list; a malformed id is just as unknown.
        return ExecutionDetailsEnvelope(data=[])
    notification, details = await activity.execution_details(
        session=session, environment_id=principal.environment_id, notification_id=key, subscriber_id=subscriber_id
    )
    if notification is None or not details:
        return ExecutionDetailsEnvelope(data=[])
    env = await tenancy.get_environment(session=session, environment_id=principal.environment_id)
    if env is None:
        raise NotFound("Environment not found")
    org = str(env.organization_id)
    return ExecutionDetailsEnvelope(
        data=[execution_detail_dto(d, notification=notification, organization_id=org) for d in details]
    )
