"""Notification workflow definitions (Novu's ``/v2/workflows``, as novu-py's ``client.workflows``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, RendererDep, SessionDep, WorkflowCacheDep
from api.errors import BadRequest, NotFound
from api.novu.content_validation import check_layouts
from api.novu.schemas.workflows import (
    CreateWorkflowDto,
    ListWorkflowResponse,
    PatchWorkflowDto,
    PreferencesResponseDto,
    StepEnvelope,
    StepSummaryDto,
    UpdateWorkflowDto,
    WorkflowEnvelope,
    WorkflowFields,
    WorkflowListEnvelope,
    WorkflowListItemDto,
    WorkflowPreferencesDto,
    WorkflowResponseDto,
)
from api.novu.workflow_validation import (
    Problems,
    build_steps,
    check_payload_schema,
    normalize_preferences,
    preferences_from,
    slugify,
    step_response,
    step_uuid,
)
from api.paging import MAX_OFFSET
from store import workflows as workflow_store
from store.models import NotificationWorkflow

router = APIRouter(prefix="/v2/workflows", tags=["workflows"])

WorkflowKey = Annotated[str, Path(alias="workflowId", description="The workflow identifier or its _id")]


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _origin(row: NotificationWorkflow) -> Literal["novu-cloud", "external"]:
    return "external" if row.origin == "external" else "novu-cloud"


def _summary(row: NotificationWorkflow) -> dict[str, Any]:
    return {
        "_id": str(row.id),
        "workflowId": row.identifier,
        "slug": row.identifier,
        "name": row.name,
        "tags": list(row.tags or []),
        "status": "ACTIVE" if row.active else "INACTIVE",
        "origin": _origin(row),
        "createdAt": _stamp(row.created_at),
        "updatedAt": _stamp(row.updated_at),
    }


def _response(row: NotificationWorkflow) -> WorkflowEnvelope:
    prefs = WorkflowPreferencesDto.model_validate(normalize_preferences(row.preferences))
    dto = WorkflowResponseDto.model_validate({
        **_summary(row),
        "description": row.description,
        "active": row.active,
        "severity": row.severity or "none",
        "validatePayload": row.payload_schema is not None,
        "payloadSchema": row.payload_schema,
        # One stored level: what Novu splits into workflow defaults and dashboard overrides.
        "preferences": PreferencesResponseDto(default=prefs, user=None),
        "steps": [step_response(step, row, _origin(row)) for step in row.steps],
    })
    return WorkflowEnvelope(data=dto)


def _list_item(row: NotificationWorkflow) -> WorkflowListItemDto:
    steps = [StepSummaryDto(slug=str(s["id"]), type=str(s["type"])) for s in row.steps]
    return WorkflowListItemDto.model_validate({
        **_summary(row), "stepTypeOverviews": list(dict.fromkeys(s.type for s in steps)), "steps": steps
    })


async def _load(session: AsyncSession, principal: Principal, key: str) -> NotificationWorkflow:
    row = await workflow_store.get(session=session, environment_id=principal.environment_id, key=key)
    if row is None:
        raise NotFound("Workflow not found")
    return row


async def _identifier_taken(session: AsyncSession, principal: Principal, identifier: str) -> bool:
    found = await workflow_store.get_by_identifier(
        session=session, environment_id=principal.environment_id, identifier=identifier
    )
    return found is not None


def _optional_values(body: WorkflowFields, problems: Problems) -> dict[str, Any]:
    """The optional fields the client sent; absent ones keep their stored value."""
    sent = body.model_fields_set
    values: dict[str, Any] = {}
    if "description" in sent:
        values["description"] = body.description
    if body.tags is not None:
        values["tags"] = body.tags
    if body.active is not None:
        values["active"] = body.active
    if body.severity is not None:  # the Inbox shows it and filters by it (api/novu/inbox)
        values["severity"] = body.severity
    if "payload_schema" in sent:
        # Explicit null clears the schema. validatePayload follows from having one (no column of its own).
        check_payload_schema(body.payload_schema, problems)
        values["payload_schema"] = body.payload_schema
    return values


def _duplicate(identifier: str) -> BadRequest:
    # Novu answers a duplicate with 400 (and novu-py would retry a 409 for an hour).
    return BadRequest(f'Workflow "{identifier}" already exists', field_errors={"workflowId": "already exists"})


@router.post("", status_code=201, response_model=WorkflowEnvelope, response_model_by_alias=True)
async def create_workflow(
    body: CreateWorkflowDto, principal: NativeAuth, session: SessionDep, renderer: RendererDep
) -> Any:
    """Create a workflow; its identifier (``workflowId``) is the trigger name."""
    problems = Problems()
    identifier = body.workflow_id or slugify(body.name)
    if not identifier:
        problems.add("workflowId", "cannot derive an identifier from the name; send workflowId")
    elif await _identifier_taken(session, principal, identifier):
        problems.add("workflowId", f'a workflow "{identifier}" already exists')
    values = {"active": True, **_optional_values(body, problems)}
    values["steps"] = build_steps(body.steps, renderer=renderer, problems=problems)
    await check_layouts(session, principal.environment_id, body.steps, problems)
    values["preferences"] = preferences_from(body.preferences, current=None, problems=problems)
    problems.raise_if_any()
    values.update(name=body.name, critical=values["preferences"]["all"]["readOnly"], origin="novu-cloud")
    try:
        row = await workflow_store.create(
            session=session, environment_id=principal.environment_id, identifier=identifier, values=values
        )
        await session.commit()
    except IntegrityError as exc:  # another request took the identifier after our check
        await session.rollback()
        raise _duplicate(identifier) from exc
    return _response(row)


@router.get("", response_model=WorkflowListEnvelope, response_model_by_alias=True)
async def list_workflows(
    principal: NativeAuth,
    session: SessionDep,
    # novu-py sends numbers as floats (``limit=10.0``).
    limit: Annotated[float, Query(ge=1, le=100)] = 10,
    offset: Annotated[float, Query(ge=0, le=MAX_OFFSET)] = 0,
    query: Annotated[str | None, Query(max_length=255)] = None,
    tags: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[Literal["ACTIVE", "INACTIVE", "ERROR"]] | None, Query()] = None,
    order_by: Annotated[
        Literal["createdAt", "updatedAt", "name", "lastTriggeredAt"], Query(alias="orderBy")
    ] = "createdAt",
    order_direction: Annotated[Literal["ASC", "DESC"], Query(alias="orderDirection")] = "DESC",
) -> Any:
    """List workflows, filtered by name or identifier (``query``), tags and status."""
    wanted = set(status or ("ACTIVE", "INACTIVE"))
    if not wanted & {"ACTIVE", "INACTIVE"}:  # only ERROR: Clarion validates on save, so none is in error
        return WorkflowListEnvelope(data=ListWorkflowResponse(workflows=[], total_count=0))
    active = None if {"ACTIVE", "INACTIVE"} <= wanted else "ACTIVE" in wanted
    rows, total = await workflow_store.search(
        session=session,
        environment_id=principal.environment_id,
        limit=int(limit),
        offset=int(offset),
        query=query,
        tags=tags or (),
        active=active,
        # Trigger times live in Temporal, not on the row: fall back to creation order.
        order_by="createdAt" if order_by == "lastTriggeredAt" else order_by,
        descending=order_direction == "DESC",
    )
    return WorkflowListEnvelope(
        data=ListWorkflowResponse(workflows=[_list_item(row) for row in rows], total_count=total)
    )


@router.get("/{workflowId}", response_model=WorkflowEnvelope, response_model_by_alias=True)
async def get_workflow(workflow_id: WorkflowKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One workflow by identifier or _id."""
    return _response(await _load(session, principal, workflow_id))


@router.put("/{workflowId}", response_model=WorkflowEnvelope, response_model_by_alias=True)
async def update_workflow(
    workflow_id: WorkflowKey,
    body: UpdateWorkflowDto,
    principal: NativeAuth,
    session: SessionDep,
    renderer: RendererDep,
    cache: WorkflowCacheDep,
) -> Any:
    """Replace a workflow's name, steps and preferences; optional fields left out keep their value."""
    row = await _load(session, principal, workflow_id)
    problems = Problems()
    identifier = body.workflow_id or row.identifier
    if identifier != row.identifier and await _identifier_taken(session, principal, identifier):
        problems.add("workflowId", f'a workflow "{identifier}" already exists')
    values = _optional_values(body, problems)
    values["steps"] = build_steps(
        body.steps, renderer=renderer, problems=problems, workflow_id=row.id, existing=row.steps
    )
    await check_layouts(session, principal.environment_id, body.steps, problems)
    values["preferences"] = preferences_from(body.preferences, current=row.preferences, problems=problems)
    problems.raise_if_any()
    values.update(identifier=identifier, name=body.name, critical=values["preferences"]["all"]["readOnly"])
    try:
        updated = await workflow_store.update(
            session=session, environment_id=principal.environment_id, workflow_id=row.id, values=values
        )
        await session.commit()
        cache.invalidate(principal.environment_id)
    except IntegrityError as exc:  # another request took the identifier after our check
        await session.rollback()
        raise _duplicate(identifier) from exc
    return _response(updated or row)


@router.patch("/{workflowId}", response_model=WorkflowEnvelope, response_model_by_alias=True)
async def patch_workflow(
    workflow_id: WorkflowKey, body: PatchWorkflowDto, principal: NativeAuth, session: SessionDep,
    cache: WorkflowCacheDep,
) -> Any:
    """Change some of a workflow's fields (name, description, tags, active, payload schema)."""
    row = await _load(session, principal, workflow_id)
    problems = Problems()
    values = _optional_values(body, problems)
    problems.raise_if_any()
    if body.name is not None:
        values["name"] = body.name
    updated = await workflow_store.update(
        session=session, environment_id=principal.environment_id, workflow_id=row.id, values=values
    )
    await session.commit()
    cache.invalidate(principal.environment_id)
    return _response(updated or row)


@router.delete("/{workflowId}", status_code=204, response_class=Response)
async def delete_workflow(
    workflow_id: WorkflowKey, principal: NativeAuth, session: SessionDep, cache: WorkflowCacheDep
) -> Response:
    """Delete a workflow."""
    row = await _load(session, principal, workflow_id)
    await workflow_store.delete(session=session, environment_id=principal.environment_id, workflow_id=row.id)
    await session.commit()
    cache.invalidate(principal.environment_id)
    return Response(status_code=204)


@router.get("/{workflowId}/steps/{stepId}", response_model=StepEnvelope, response_model_by_alias=True)
async def get_workflow_step(
    workflow_id: WorkflowKey,
    step_id: Annotated[str, Path(alias="stepId", description="The stepId or the step's _id")],
    principal: NativeAuth,
    session: SessionDep,
) -> Any:
    """One step of a workflow by stepId or _id."""
    row = await _load(session, principal, workflow_id)
    for step in row.steps:
        if step_id in (step["id"], step_uuid(row.id, step)):
            return StepEnvelope(data=step_response(step, row, _origin(row)))
    raise NotFound("Step not found")
