"""``GET /v1/events/pending`` and bulk ``cancel`` / ``fast-forward`` of the waits it lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import NativeAuth, SessionDep, SettingsDep, TemporalDep
from api.novu.pending import Scope, act_on_pending, find_pending
from api.novu.schemas.pending import PendingEnvelope, PendingScopeBody

router = APIRouter(prefix="/v1/events/pending", tags=["events"])


@router.get("", response_model=PendingEnvelope)
async def list_pending(
    principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
    subscriber_id: Annotated[str | None, Query(alias="subscriberId", max_length=255)] = None,
    tenant: Annotated[str | None, Query(max_length=255)] = None,
    workflow_id: Annotated[str | None, Query(alias="workflowId", max_length=255)] = None,
) -> Any:
    """The delays and digests waiting for one subscriber, tenant or workflow (name exactly one)."""
    found = await find_pending(session=session, client=temporal, temporal=settings.temporal,
                               environment_id=principal.environment_id,
                               scope=Scope(subscriber_id=subscriber_id, tenant=tenant, workflow=workflow_id))
    return PendingEnvelope(data=found)


@router.post("/cancel", response_model=PendingEnvelope)
async def cancel_pending(
    body: PendingScopeBody, principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
) -> Any:
    """Stop everything waiting for them: runs in a delay are cancelled (for one subscriber of a shared
    run, only their remaining steps), and their events leave pending digests."""
    done = await act_on_pending(session=session, client=temporal, temporal=settings.temporal,
                                environment_id=principal.environment_id, action="cancel",
                                scope=Scope(subscriber_id=body.subscriber_id, tenant=body.tenant,
                                            workflow=body.workflow_id))
    return PendingEnvelope(data=done)


@router.post("/fast-forward", response_model=PendingEnvelope)
async def fast_forward_pending(
    body: PendingScopeBody, principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
) -> Any:
    """End their waits now: delays and digest windows close at once and the steps after them run."""
    done = await act_on_pending(session=session, client=temporal, temporal=settings.temporal,
                                environment_id=principal.environment_id, action="fast_forward",
                                scope=Scope(subscriber_id=body.subscriber_id, tenant=body.tenant,
                                            workflow=body.workflow_id))
    return PendingEnvelope(data=done)
