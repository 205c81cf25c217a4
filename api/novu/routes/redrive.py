"""Re-drive: ``POST /v1/events/trigger/{transactionId}/redrive`` sends again what failed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from api.deps import NativeAuth, SessionDep, SettingsDep, TemporalDep
from api.novu.redrive_planning import start_redrive
from api.novu.schemas.redrive import RedriveAnswer, RedriveBody, RedriveDelivery, RedriveEnvelope
from api.operations.run_histories import run_url
from api.operations.trigger_starts import send_policy

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("/trigger/{transactionId}/redrive", response_model=RedriveEnvelope, status_code=201)
async def redrive(
    transaction_id: Annotated[str, Path(alias="transactionId", max_length=255)],
    principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
    body: Annotated[RedriveBody | None, Body()] = None,
) -> Any:
    """Send again the deliveries that ended failed or with an unknown outcome (``include``: both by default;
    optionally only some subscribers, channels or steps), under their original idempotency keys: a delivery
    that was sent is never sent twice. Each listed delivery says whether it had failed or was unknown.
    409 while the transaction or an earlier re-drive of it is still running."""
    planned = await start_redrive(
        session=session, client=temporal, task_queue=settings.temporal.task_queue, policy=send_policy(settings),
        environment_id=principal.environment_id, transaction_id=transaction_id, body=body or RedriveBody(),
    )
    return RedriveEnvelope(data=RedriveAnswer(
        transaction_id=transaction_id, started=planned.workflow_id is not None,
        redrive_workflow_id=planned.workflow_id,
        temporal_url=run_url(settings.temporal, planned.workflow_id) if planned.workflow_id else None,
        deliveries=[RedriveDelivery(subscriber_id=d.subscriber_id, step_id=d.step_id, channel=d.channel,
                                    state=d.state) for d in planned.deliveries],
        failed=sum(d.state == "failed" for d in planned.deliveries),
        unknown=sum(d.state == "unknown" for d in planned.deliveries),
    ))
