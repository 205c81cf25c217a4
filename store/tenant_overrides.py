"""Queries over tenants' overrides of workflows (switched off, or other preference defaults)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Tenant, TenantWorkflowOverride


async def get(*, session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> TenantWorkflowOverride | None:
    return await session.scalar(
        select(TenantWorkflowOverride).where(
            TenantWorkflowOverride.tenant_id == tenant_id, TenantWorkflowOverride.workflow_id == workflow_id
        )
    )


async def for_identifier(
    *, session: AsyncSession, environment_id: uuid.UUID, tenant_identifier: str, workflow_id: uuid.UUID
) -> TenantWorkflowOverride | None:
    """The override of the tenant named ``tenant_identifier`` for one workflow, if any."""
    return await session.scalar(
        select(TenantWorkflowOverride)
        .join(Tenant, Tenant.id == TenantWorkflowOverride.tenant_id)
        .where(
            Tenant.environment_id == environment_id,
            Tenant.identifier == tenant_identifier,
            TenantWorkflowOverride.workflow_id == workflow_id,
        )
    )


async def put(
    *, session: AsyncSession, tenant: Tenant, workflow_id: uuid.UUID, active: bool | None,
    preferences: Mapping[str, Any],
) -> TenantWorkflowOverride:
    """Create or replace the tenant's override of one workflow."""
    now = utcnow()
    row = {"id": uuid.uuid4(), "environment_id": tenant.environment_id, "tenant_id": tenant.id,
           "workflow_id": workflow_id, "active": active, "preferences": dict(preferences), "created_at": now,
           "updated_at": now}
    await insert_many_ignoring_conflicts(session=session, model=TenantWorkflowOverride, rows=[row])
    found = await get(session=session, tenant_id=tenant.id, workflow_id=workflow_id)
    assert found is not None
    found.active = active
    found.preferences = dict(preferences)
    found.updated_at = now
    await session.flush()
    return found


async def delete(*, session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID) -> bool:
    result = await session.execute(
        sql_delete(TenantWorkflowOverride).where(
            TenantWorkflowOverride.tenant_id == tenant_id, TenantWorkflowOverride.workflow_id == workflow_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def deactivated(
    *, session: AsyncSession, environment_id: uuid.UUID, tenant_identifier: str, workflow_id: uuid.UUID
) -> bool:
    """Whether the tenant switched the workflow off (a trigger naming it answers ``trigger_not_active``)."""
    found = await for_identifier(
        session=session, environment_id=environment_id, tenant_identifier=tenant_identifier, workflow_id=workflow_id
    )
    return found is not None and found.active is False
