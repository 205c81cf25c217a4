"""Queries over notification workflow definitions."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import NotificationWorkflow


async def get_by_identifier(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str
) -> NotificationWorkflow | None:
    return await session.scalar(
        select(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id,
            NotificationWorkflow.identifier == identifier,
        )
    )


async def get_by_id_or_identifier(
    *, session: AsyncSession, environment_id: uuid.UUID, ref: str
) -> NotificationWorkflow | None:
    """Novu lets callers name a workflow by its ``_id`` or by its identifier."""
    conditions = [NotificationWorkflow.identifier == ref]
    with contextlib.suppress(ValueError):
        conditions.append(NotificationWorkflow.id == uuid.UUID(ref))
    return await session.scalar(
        select(NotificationWorkflow).where(NotificationWorkflow.environment_id == environment_id, or_(*conditions))
    )


async def list_page(
    *, session: AsyncSession, environment_id: uuid.UUID, offset: int, limit: int, query: str | None = None
) -> tuple[Sequence[NotificationWorkflow], int]:
    where = [NotificationWorkflow.environment_id == environment_id]
    if query:
        like = f"%{query.lower()}%"
        where.append(
            or_(
                func.lower(NotificationWorkflow.name).like(like),
                func.lower(NotificationWorkflow.identifier).like(like),
            )
        )
    total = await session.scalar(select(func.count()).select_from(NotificationWorkflow).where(*where)) or 0
    rows = await session.scalars(
        select(NotificationWorkflow)
        .where(*where)
        .order_by(NotificationWorkflow.created_at.desc())
        .offset(offset)
        .limit(limit)
    )
    return rows.all(), total


async def upsert(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str, values: dict[str, Any]
) -> NotificationWorkflow:
    row = await get_by_identifier(session=session, environment_id=environment_id, identifier=identifier)
    if row is None:
        row = NotificationWorkflow(environment_id=environment_id, identifier=identifier, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    return row


async def delete(*, session: AsyncSession, environment_id: uuid.UUID, workflow_id: uuid.UUID) -> bool:
    row = await session.get(NotificationWorkflow, workflow_id)
    if row is None or row.environment_id != environment_id:
        return False
    await session.delete(row)
    await session.flush()
    return True
