"""Queries over tenants (the caller's customers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Tenant


async def get(*, session: AsyncSession, environment_id: uuid.UUID, identifier: str) -> Tenant | None:
    return await session.scalar(
        select(Tenant).where(Tenant.environment_id == environment_id, Tenant.identifier == identifier)
    )


async def get_many(
    *, session: AsyncSession, environment_id: uuid.UUID, identifiers: Iterable[str]
) -> dict[str, Tenant]:
    wanted = list(dict.fromkeys(identifiers))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Tenant).where(Tenant.environment_id == environment_id, Tenant.identifier.in_(wanted))
    )
    return {row.identifier: row for row in rows}


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


async def create(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str, name: str, data: dict[str, Any]
) -> Tenant | None:
    """Insert a tenant; None when the identifier is taken (also by a request racing this one)."""
    new_id, now = uuid.uuid4(), utcnow()
    row = {"id": new_id, "environment_id": environment_id, "identifier": identifier, "name": name, "data": data,
           "created_at": now, "updated_at": now}
    await insert_many_ignoring_conflicts(session=session, model=Tenant, rows=[row])
    found = await get(session=session, environment_id=environment_id, identifier=identifier)
    return found if found is not None and found.id == new_id else None


async def update(*, session: AsyncSession, tenant: Tenant, fields: Mapping[str, Any]) -> Tenant:
    """Set ``identifier``, ``name`` or ``data`` on a loaded tenant."""
    for name, value in fields.items():
        setattr(tenant, name, value)
    await session.flush()
    return tenant


async def delete(*, session: AsyncSession, environment_id: uuid.UUID, identifier: str) -> bool:
    result = await session.execute(
        sql_delete(Tenant).where(Tenant.environment_id == environment_id, Tenant.identifier == identifier)
    )
    return bool(getattr(result, "rowcount", 0))


async def page(
    *, session: AsyncSession, environment_id: uuid.UUID, page: int, limit: int
) -> tuple[list[Tenant], bool]:
    """One offset page (newest first) and whether more follow."""
    rows = list(
        await session.scalars(
            select(Tenant)
            .where(Tenant.environment_id == environment_id)
            .order_by(Tenant.created_at.desc(), Tenant.id.desc())
            .limit(limit + 1)
            .offset(page * limit)
        )
    )
    return rows[:limit], len(rows) > limit
