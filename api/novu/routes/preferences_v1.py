"""Subscriber preferences over Novu's v1 routes, as novu 1.14's ``SubscriberApi`` calls them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest
from api.novu.schemas.preferences import (
    GlobalPreferenceV1Dto,
    GlobalPreferenceV1Envelope,
    PreferencesV1Envelope,
    PreferenceV1Dto,
    UpdateGlobalPreferenceV1Dto,
    UpdateWorkflowPreferenceV1Dto,
    WorkflowPreferenceV1Envelope,
)
from api.novu.views.preferences import refuse_if_locked, rows_of, v1_item, workflow_or_404
from api.novu.views.subscribers import subscriber_or_404
from api.operations.lifecycle import EmitCommitted
from core import preferences as preference_rule
from store import preferences as preference_store

router = APIRouter(prefix="/v1/subscribers/{subscriberId}/preferences", tags=["subscriber-preferences"],
                   dependencies=[EmitCommitted])

SubscriberKey = Annotated[str, Path(alias="subscriberId", description="The subscriber's subscriberId")]
WorkflowKey = Annotated[str, Path(alias="workflowId", description="The workflow identifier or its _id")]

_NOTHING_TO_CHANGE = "In order to make an update you need to provide channel or enabled"


@router.get("", response_model=PreferencesV1Envelope, response_model_by_alias=True)
async def list_preferences_v1(subscriber_id: SubscriberKey, principal: NativeAuth, session: SessionDep) -> Any:
    """The subscriber's effective preferences for every active workflow, critical ones flagged."""
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    rows = await rows_of(session, principal, subscriber)
    workflows = await preference_store.listed_workflows(session=session, environment_id=principal.environment_id)
    return PreferencesV1Envelope(data=[v1_item(workflow, rows) for workflow in workflows])


@router.patch("", response_model=GlobalPreferenceV1Envelope, response_model_by_alias=True)
async def update_global_preferences_v1(
    subscriber_id: SubscriberKey, body: UpdateGlobalPreferenceV1Dto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Switch the subscriber's global preference or some of its channels."""
    if body.enabled is None and not body.preferences:
        raise BadRequest(_NOTHING_TO_CHANGE, field_errors={"preferences": "send enabled or channel switches"})
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    row = await preference_store.upsert(
        session=session,
        environment_id=principal.environment_id,
        subscriber_pk=subscriber.id,
        workflow_id=None,
        enabled=body.enabled,
        channels={toggle.type: toggle.enabled for toggle in body.preferences or []},
    )
    await session.commit()
    enabled, channels = preference_rule.resolve_global(row)
    return GlobalPreferenceV1Envelope(
        data=GlobalPreferenceV1Dto(preference=PreferenceV1Dto(enabled=enabled, channels=channels))
    )


@router.patch("/{workflowId}", response_model=WorkflowPreferenceV1Envelope, response_model_by_alias=True)
async def update_workflow_preference_v1(
    subscriber_id: SubscriberKey,
    workflow_id: WorkflowKey,
    body: UpdateWorkflowPreferenceV1Dto,
    principal: NativeAuth,
    session: SessionDep,
) -> Any:
    """Switch one channel of a workflow (``channel``), or the whole workflow (``enabled``)."""
    if body.enabled is None and body.channel is None:
        raise BadRequest(_NOTHING_TO_CHANGE, field_errors={"channel": "send channel or enabled"})
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    workflow = await workflow_or_404(session, principal, workflow_id)
    refuse_if_locked(workflow, "workflowId")
    await preference_store.upsert(
        session=session,
        environment_id=principal.environment_id,
        subscriber_pk=subscriber.id,
        workflow_id=workflow.id,
        enabled=body.enabled,
        channels={body.channel.type: body.channel.enabled} if body.channel else None,
    )
    await session.commit()
    rows = await rows_of(session, principal, subscriber)
    return WorkflowPreferenceV1Envelope(data=v1_item(workflow, rows))
