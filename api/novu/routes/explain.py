"""Why a notification did (not) arrive: ``GET /v1/notifications/explain`` and per notification id.

Included before the activity feed's ``/v1/notifications/{notificationId}``, so ``explain`` is never
read as a notification id.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import NativeAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.novu.explain import explanation_json
from api.novu.schemas.explain import ExplanationEnvelope
from store import explanations

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


def _answer(body: bytes) -> Response:
    # Serialized once, by ``explanation_json``: models (and FastAPI's validation of the response
    # model, which documents the answer) would cost more than all of the store's queries.
    return Response(body, media_type="application/json")


@router.get("/explain", response_model=ExplanationEnvelope)
async def explain(
    principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
    transaction_id: Annotated[str, Query(alias="transactionId", min_length=1, max_length=255)],
    subscriber_id: Annotated[str | None, Query(alias="subscriberId", max_length=255)] = None,
) -> Any:
    """Per recipient and step, what was decided and why, with its evidence and links to every run."""
    data = await explanation_json(
        session=session, client=temporal, temporal=settings.temporal, environment_id=principal.environment_id,
        transaction_id=transaction_id, subscriber_id=subscriber_id or None,
    )
    return _answer(data)


@router.get("/{notificationId}/explain", response_model=ExplanationEnvelope)
async def explain_notification(
    notification_id: Annotated[str, Path(alias="notificationId")],
    principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
) -> Any:
    """The explanation of one notification: its transaction, for its one subscriber."""
    try:
        key = uuid.UUID(notification_id)
    except ValueError:
        raise NotFound("Notification not found") from None
    found = await explanations.notification_transaction(
        session=session, environment_id=principal.environment_id, notification_id=key
    )
    if found is None:
        raise NotFound("Notification not found")
    data = await explanation_json(
        session=session, client=temporal, temporal=settings.temporal, environment_id=principal.environment_id,
        transaction_id=found.transaction_id, subscriber_id=found.subscriber_id,
    )
    return _answer(data)
