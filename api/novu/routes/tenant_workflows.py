"""A tenant's overrides of one workflow: ``/v1/tenants/{identifier}/workflows/{workflowId}``.

``{"active": false}`` switches the workflow off for triggers naming the tenant: they answer
``trigger_not_active``, and runs already under way (waiting in a delay or digest) skip their
remaining steps. ``{"preferences": {"channels": {"email": {"enabled": false}}}}`` replaces the
workflow's default for that channel in the tenant's runs: a subscriber's own switch still wins,
and critical or read-only workflows keep their own defaults (``core.preferences.decide``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from api.novu.raw_body import json_object
from api.novu.views.subscribers import stamp
from core.preferences import PREFERENCE_CHANNELS
from store import tenant_overrides
from store import tenants as tenant_store
from store import workflows as workflow_store
from store.models import NotificationWorkflow, Tenant, TenantWorkflowOverride

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

TenantKey = Annotated[str, Path(alias="identifier")]
WorkflowKey = Annotated[str, Path(alias="workflowId", description="The workflow identifier or its _id")]


class _Switch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    enabled: bool


class _Preferences(BaseModel):
    # ``readOnly`` is refused (extra="forbid"): only the workflow decides whether subscribers may switch.
    model_config = ConfigDict(extra="forbid", strict=True)

    all: _Switch | None = None
    channels: dict[str, _Switch] = Field(default_factory=dict)


class _OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    active: bool | None = None
    preferences: _Preferences | None = None


def _parse(body: dict[str, Any]) -> _OverrideBody:
    try:
        parsed = _OverrideBody.model_validate(body)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in err["loc"]) or "body": err["msg"] for err in exc.errors()}
        raise BadRequest(f"Invalid tenant override: {next(iter(fields.items()))}", field_errors=fields) from None
    unknown = sorted(set(parsed.preferences.channels) - set(PREFERENCE_CHANNELS)) if parsed.preferences else []
    if unknown:
        raise BadRequest(f"Unknown channel {unknown[0]!r}; known: {', '.join(PREFERENCE_CHANNELS)}",
                         field_errors={f"preferences.channels.{c}": "unknown channel" for c in unknown})
    return parsed


async def _targets(
    session: AsyncSession, principal: Principal, identifier: str, key: str
) -> tuple[Tenant, NotificationWorkflow]:
    env = principal.environment_id
    tenant = await tenant_store.get(session=session, environment_id=env, identifier=identifier)
    if tenant is None:
        raise NotFound("Tenant not found")
    workflow = await workflow_store.get(session=session, environment_id=env, key=key)
    if workflow is None:
        raise NotFound("Workflow not found")
    return tenant, workflow


def _dto(row: TenantWorkflowOverride, tenant: Tenant, workflow: NotificationWorkflow) -> dict[str, Any]:
    return {"data": {
        "_id": str(row.id), "tenantIdentifier": tenant.identifier, "workflowId": workflow.identifier,
        "_workflowId": str(workflow.id), "active": row.active, "preferences": row.preferences or {},
        # What triggers naming this tenant get: off when either the workflow or the tenant switched it off.
        "effectiveActive": bool(workflow.active) and row.active is not False,
        "createdAt": stamp(row.created_at), "updatedAt": stamp(row.updated_at),
    }}


@router.put("/{identifier}/workflows/{workflowId}")
async def put_override(
    identifier: TenantKey, workflow_id: WorkflowKey, request: Request, principal: NativeAuth, session: SessionDep
) -> Any:
    """Create or replace the tenant's override of a workflow (``active``, ``preferences``)."""
    body = _parse(await json_object(request))
    tenant, workflow = await _targets(session, principal, identifier, workflow_id)
    preferences = body.preferences.model_dump(exclude_none=True) if body.preferences else {}
    row = await tenant_overrides.put(
        session=session, tenant=tenant, workflow_id=workflow.id, active=body.active, preferences=preferences
    )
    await session.commit()
    return _dto(row, tenant, workflow)


@router.get("/{identifier}/workflows/{workflowId}")
async def get_override(
    identifier: TenantKey, workflow_id: WorkflowKey, principal: NativeAuth, session: SessionDep
) -> Any:
    """The tenant's override of a workflow; 404 when it has none."""
    tenant, workflow = await _targets(session, principal, identifier, workflow_id)
    row = await tenant_overrides.get(session=session, tenant_id=tenant.id, workflow_id=workflow.id)
    if row is None:
        raise NotFound("This tenant has no override of this workflow")
    return _dto(row, tenant, workflow)


@router.delete("/{identifier}/workflows/{workflowId}", status_code=204, response_class=Response)
async def delete_override(
    identifier: TenantKey, workflow_id: WorkflowKey, principal: NativeAuth, session: SessionDep
) -> Response:
    """Remove the tenant's override: the workflow applies to the tenant as defined."""
    tenant, workflow = await _targets(session, principal, identifier, workflow_id)
    if not await tenant_overrides.delete(session=session, tenant_id=tenant.id, workflow_id=workflow.id):
        raise NotFound("This tenant has no override of this workflow")
    await session.commit()
    return Response(status_code=204)
