"""Queries over tenants (the caller's customers)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.bulk import insert_many_ignoring_conflicts
from store.models import Tenant


async def get(*, session: AsyncSession, environment_id: uuid.UUID, identifier: str) -> Tenant | None:
    return await session.scalar(
        select(Tenant).where(Tenant.environment_id == environment_id, Tenant.identifier == identifier)
    )


async def upsert(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str, fields: Mapping[str, Any]
) -> Tenant:
    """Create the tenant or update the fields given (``name``, ``data``)."""
    row = await get(session=session, environment_id=environment_id, identifier=identifier)
    if row is None:
        new = {"id": uuid.uuid4(), "environment_id": environment_id, "identifier": identifier, "data": {}, **fields}
        await insert_many_ignoring_conflicts(session=session, model=Tenant, rows=[new])
        row = await get(session=session, environment_id=environment_id, identifier=identifier)
        assert row is not None
        return row
    for name, value in fields.items():
        setattr(row, name, value)
    await session.flush()
    return row
