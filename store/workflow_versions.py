"""Numbered versions of a workflow's definition: recorded on every save that changes it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import NotificationWorkflow, WorkflowVersion

# What a run uses of a workflow; other columns (description, origin) make no new version.
DEFINITION = ("name", "active", "critical", "preferences", "tags", "payload_schema", "steps")


def definition_of(row: NotificationWorkflow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in DEFINITION}


async def record(*, session: AsyncSession, row: NotificationWorkflow) -> int:
    """The version number of ``row``'s definition as saved now: the latest one when unchanged, else a new one."""
    latest = await session.scalar(
        select(WorkflowVersion).where(WorkflowVersion.workflow_id == row.id)
        .order_by(WorkflowVersion.version.desc()).limit(1)
    )
    definition = definition_of(row)
    if latest is not None and latest.definition == definition:
        return latest.version
    number = (latest.version if latest else 0) + 1
    session.add(WorkflowVersion(environment_id=row.environment_id, workflow_id=row.id, version=number,
                                definition=definition))
    await session.flush()
    return number


async def latest_number(*, session: AsyncSession, workflow_id: uuid.UUID) -> int | None:
    found = await session.scalar(
        select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == workflow_id)
    )
    return int(found) if found is not None else None


async def list_versions(
    *, session: AsyncSession, environment_id: uuid.UUID, workflow_id: uuid.UUID
) -> list[WorkflowVersion]:
    """Newest first."""
    rows = await session.scalars(
        select(WorkflowVersion).where(WorkflowVersion.environment_id == environment_id,
                                      WorkflowVersion.workflow_id == workflow_id)
        .order_by(WorkflowVersion.version.desc())
    )
    return list(rows)
