"""Novu's ``POST /v2/workflows/{workflowId}/step/{stepId}/preview``: one step rendered with a payload.

It runs the dry run of ``dryRun: true`` for a workflow made of that one step (with the control
values given, and without its conditions), so a preview renders exactly as a send would.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from temporalio.service import RPCError

from api.deps import NativeAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound, ServiceUnavailable
from api.novu.routes.events import TriggersDep
from api.operations.trigger_starts import send_policy
from core.dry_run_payloads import DRY_RUN_WORKFLOW, DryRunInput, DryRunResult
from core.payloads import SubscriberInput, TriggerContext, TriggerInput

router = APIRouter(prefix="/v2/workflows", tags=["workflows"])
PREVIEW_SUBSCRIBER = "preview-subscriber"


class PreviewPayload(BaseModel):
    model_config = ConfigDict(extra="allow")

    payload: dict[str, Any] = Field(default_factory=dict)
    subscriber: dict[str, Any] = Field(default_factory=dict)


class PreviewBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    control_values: dict[str, Any] | None = Field(default=None, alias="controlValues")
    preview_payload: PreviewPayload = Field(default_factory=PreviewPayload, alias="previewPayload")


class PreviewEnvelope(BaseModel):
    data: dict[str, Any]


@router.post("/{workflowId}/step/{stepId}/preview", response_model=PreviewEnvelope, status_code=201)
async def preview_step(
    workflow_id: Annotated[str, Path(alias="workflowId")], step_id: Annotated[str, Path(alias="stepId")],
    principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep, triggers: TriggersDep,
    body: PreviewBody | None = None,
) -> Any:
    """Render one step for a payload and subscriber, as it would be sent; nothing is sent or stored."""
    body = body or PreviewBody()
    cached = await triggers.cache.get(session, principal.environment_id, workflow_id)
    if cached is None:
        raise NotFound(f"Workflow {workflow_id!r} not found")
    step = next((s for s in cached.snapshot.steps if step_id in (s.id, s.name)), None)
    if step is None:
        raise NotFound(f"Step {step_id!r} not found in workflow {workflow_id!r}")
    controls = {k: v for k, v in (body.control_values or step.controls).items() if k != "conditions"}
    one = step.model_copy(update={"controls": controls, "active": True})
    subscriber = {"subscriberId": PREVIEW_SUBSCRIBER, **body.preview_payload.subscriber}
    sub = SubscriberInput.model_validate(subscriber)
    context = TriggerContext(
        environment_id=str(principal.environment_id), organization_id=str(principal.organization_id),
        transaction_id=f"preview-{uuid.uuid4().hex}", payload=body.preview_payload.payload,
        workflow=cached.snapshot.model_copy(update={"steps": [one]}),
    )
    trigger = TriggerInput(context=context, subscribers=[sub], policy=send_policy(settings))
    try:
        result = await temporal.execute_workflow(
            DRY_RUN_WORKFLOW, DryRunInput(trigger=trigger, limit=1), id=f"preview:{principal.environment_id}:"
            f"{uuid.uuid4().hex}", task_queue=settings.temporal.task_queue, result_type=DryRunResult,
            static_summary=f"preview of {workflow_id}/{step.id}",
        )
    except RPCError as exc:
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    decided = result.recipients[0].steps[0]
    preview: dict[str, Any] = dict(decided.content or {})
    return PreviewEnvelope(data={
        "result": {"type": step.type, "preview": preview},
        "previewPayloadExample": {"payload": body.preview_payload.payload, "subscriber": subscriber},
        "schema": None,
        "outcome": decided.outcome, "reason": decided.reason,  # Clarion's: what a send would do
    })
