"""Loading and shaping a subscriber's preferences, shared by the v1 and v2 preference routes.

The values reported are the ones the send-time rule applies (``core.preferences.resolve``
mirrors ``activities.preferences.channel_allowed``), so what a client reads is what happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import BadRequest, NotFound
from api.novu.schemas.preferences import (
    LevelPreferenceDto,
    OverrideDto,
    PreferenceV1Dto,
    PreferenceWorkflowDto,
    TemplateV1Dto,
    WorkflowPreferenceV1Dto,
)
from core import preferences as preference_rule
from store import preferences as preference_store
from store import workflows as workflow_store
from store.models import NotificationWorkflow, Subscriber, SubscriberPreference


async def workflow_or_404(session: AsyncSession, principal: Principal, key: str) -> NotificationWorkflow:
    """A workflow by identifier or ``_id`` (Novu accepts both in preference routes)."""
    found = await workflow_store.get(session=session, environment_id=principal.environment_id, key=key)
    if found is None:
        raise NotFound("Workflow not found")
    return found


def refuse_if_locked(workflow: NotificationWorkflow, field: str) -> None:
    """Novu answers 400 when a subscriber tries to change a critical workflow's preferences."""
    if workflow.critical:
        raise BadRequest(
            "Critical workflow can not be updated",
            field_errors={field: "the workflow is critical: subscribers cannot change its preferences"},
        )
    if preference_rule.locked(workflow):
        raise BadRequest(
            "The workflow's preferences are read-only",
            field_errors={field: "the workflow's preferences are read-only: subscribers cannot change them"},
        )


@dataclass
class Rows:
    """One subscriber's stored preference rows."""

    global_row: SubscriberPreference | None
    per_workflow: dict[uuid.UUID, SubscriberPreference]

    def resolve(
        self, workflow: NotificationWorkflow, channels: Sequence[str] = preference_rule.PREFERENCE_CHANNELS
    ) -> preference_rule.Resolved:
        return preference_rule.resolve(
            workflow, global_row=self.global_row, workflow_row=self.per_workflow.get(workflow.id), channels=channels
        )


async def rows_of(session: AsyncSession, principal: Principal, subscriber: Subscriber) -> Rows:
    global_row, per_workflow = await preference_store.for_subscriber(
        session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id
    )
    return Rows(global_row, dict(per_workflow))


def overrides(resolved: preference_rule.Resolved) -> list[OverrideDto]:
    return [OverrideDto.model_validate({"channel": c, "source": s}) for c, s in resolved.sources.items()]


def v1_item(workflow: NotificationWorkflow, rows: Rows) -> WorkflowPreferenceV1Dto:
    resolved = rows.resolve(workflow)
    return WorkflowPreferenceV1Dto(
        preference=PreferenceV1Dto(enabled=resolved.enabled, channels=resolved.channels, overrides=overrides(resolved)),
        template=TemplateV1Dto.model_validate({
            "_id": str(workflow.id),
            "name": workflow.name,
            # Critical and read-only both mean "not the subscriber's to change".
            "critical": preference_rule.locked(workflow),
            "triggers": [workflow.identifier],
            "tags": list(workflow.tags or []),
        }),
    )


def level_item(workflow: NotificationWorkflow, rows: Rows) -> LevelPreferenceDto:
    resolved = rows.resolve(workflow)
    return LevelPreferenceDto(
        level="template",
        enabled=resolved.enabled,
        channels=resolved.channels,
        workflow=PreferenceWorkflowDto(
            id=str(workflow.id),
            identifier=workflow.identifier,
            name=workflow.name,
            critical=preference_rule.locked(workflow),
            severity=workflow.severity if workflow.severity in ("high", "medium", "low") else "none",
            tags=list(workflow.tags or []),
        ),
    )
