"""Subscriber preferences over Novu's v2 routes, as novu-py's ``subscribers.preferences`` calls them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.novu.schemas.preferences import (
    BulkPreferencesDto,
    BulkPreferencesEnvelope,
    Criticality,
    GlobalPreferenceDto,
    PatchPreferencesDto,
    SubscriberPreferencesDto,
    SubscriberPreferencesEnvelope,
    WorkflowInfoDto,
    WorkflowPreferenceDto,
)
from api.novu.views.preferences import Rows, level_item, overrides, refuse_if_locked, rows_of, workflow_or_404
from api.novu.views.subscribers import stamp, subscriber_or_404
from api.operations.lifecycle import EmitCommitted
from core import preferences as preference_rule
from store import preferences as preference_store
from store.models import NotificationWorkflow, Subscriber

router = APIRouter(prefix="/v2/subscribers/{subscriberId}/preferences", tags=["subscriber-preferences"],
                   dependencies=[EmitCommitted])

SubscriberKey = Annotated[str, Path(alias="subscriberId", description="The subscriber's subscriberId")]


def _wanted(workflow: NotificationWorkflow, criticality: Criticality) -> bool:
    if criticality == "all":
        return True
    return preference_rule.locked(workflow) == (criticality == "critical")


def _workflow_item(workflow: NotificationWorkflow, rows: Rows) -> WorkflowPreferenceDto:
    # v2 lists only the channels the workflow's steps use (Novu's includeInactiveChannels=false).
    resolved = rows.resolve(workflow, preference_rule.step_channels(workflow))
    own = rows.per_workflow.get(workflow.id)
    return WorkflowPreferenceDto(
        enabled=resolved.enabled,
        channels=resolved.channels,
        overrides=overrides(resolved),
        workflow=WorkflowInfoDto(
            slug=workflow.identifier, identifier=workflow.identifier, name=workflow.name,
            updated_at=stamp(workflow.updated_at),
        ),
        # Present only once the subscriber has set this workflow's preference, as in Novu.
        updated_at=stamp(own.updated_at) if own is not None else None,
    )


async def _preferences(
    session: AsyncSession, principal: Principal, subscriber: Subscriber, criticality: Criticality
) -> SubscriberPreferencesEnvelope:
    rows = await rows_of(session, principal, subscriber)
    enabled, channels = preference_rule.resolve_global(rows.global_row)
    workflows = await preference_store.listed_workflows(session=session, environment_id=principal.environment_id)
    return SubscriberPreferencesEnvelope(
        data=SubscriberPreferencesDto(
            global_=GlobalPreferenceDto(enabled=enabled, channels=channels),
            workflows=[_workflow_item(w, rows) for w in workflows if _wanted(w, criticality)],
        )
    )


@router.get(
    "", response_model=SubscriberPreferencesEnvelope, response_model_by_alias=True, response_model_exclude_none=True
)
async def get_preferences_v2(
    subscriber_id: SubscriberKey,
    principal: NativeAuth,
    session: SessionDep,
    criticality: Annotated[Criticality, Query()] = "nonCritical",
) -> Any:
    """Global switches and each active workflow's effective switches, filtered by criticality."""
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    return await _preferences(session, principal, subscriber, criticality)


@router.patch(
    "", response_model=SubscriberPreferencesEnvelope, response_model_by_alias=True, response_model_exclude_none=True
)
async def update_preferences_v2(
    subscriber_id: SubscriberKey, body: PatchPreferencesDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Switch channels of one workflow (``workflowId``: identifier or _id), or the global ones without it."""
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    workflow_id = None
    if body.workflow_id is not None:
        workflow = await workflow_or_404(session, principal, body.workflow_id)
        refuse_if_locked(workflow, "workflowId")
        workflow_id = workflow.id
    await preference_store.upsert(
        session=session,
        environment_id=principal.environment_id,
        subscriber_pk=subscriber.id,
        workflow_id=workflow_id,
        channels=body.channels.switches() if body.channels else None,
    )
    await session.commit()
    return await _preferences(session, principal, subscriber, "nonCritical")


@router.patch("/bulk", response_model=BulkPreferencesEnvelope, response_model_by_alias=True)
async def bulk_update_preferences_v2(
    subscriber_id: SubscriberKey, body: BulkPreferencesDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Switch channels of up to 100 workflows at once; nothing changes unless every item is allowed."""
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    workflows: list[NotificationWorkflow] = []
    for index, item in enumerate(body.preferences):
        workflow = await workflow_or_404(session, principal, item.workflow_id)
        refuse_if_locked(workflow, f"preferences.{index}.workflowId")
        workflows.append(workflow)
    for workflow, item in zip(workflows, body.preferences, strict=True):
        await preference_store.upsert(
            session=session,
            environment_id=principal.environment_id,
            subscriber_pk=subscriber.id,
            workflow_id=workflow.id,
            channels=item.channels.switches(),
        )
    await session.commit()
    rows = await rows_of(session, principal, subscriber)
    return BulkPreferencesEnvelope(data=[level_item(workflow, rows) for workflow in workflows])
