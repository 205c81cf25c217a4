"""Queries over notification workflow definitions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
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
