"""Queries over email layouts; at most one per environment is the default."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Layout, NotificationWorkflow


async def get(*, session: AsyncSession, environment_id: uuid.UUID, key: str) -> Layout | None:
    """A layout by its ``_id`` or, failing that, its identifier (a step's ``layoutId`` may be either)."""
    try:
        layout_id = uuid.UUID(key)
    except ValueError:
        layout_id = None
    if layout_id is not None:
        found = await session.scalar(
            select(Layout).where(Layout.environment_id == environment_id, Layout.id == layout_id)
        )
        if found is not None:
            return found
    return await session.scalar(
        select(Layout).where(Layout.environment_id == environment_id, Layout.identifier == key)
    )


async def get_default(*, session: AsyncSession, environment_id: uuid.UUID) -> Layout | None:
    # Two racing "set default" calls could leave two; the most recently changed one wins, every time.
    return await session.scalar(
        select(Layout)
        .where(Layout.environment_id == environment_id, Layout.is_default.is_(True))
        .order_by(Layout.updated_at.desc(), Layout.id)
        .limit(1)
    )


async def create(
    *, session: AsyncSession, environment_id: uuid.UUID, values: Mapping[str, Any]
) -> Layout | None:
    """Insert a layout (``identifier, name, description, content, variables, is_default``).

    Returns None when the identifier is taken in the environment (also by a racing request).
    """
    new_id, now = uuid.uuid4(), utcnow()
    row = {"id": new_id, "environment_id": environment_id, "created_at": now, "updated_at": now, **values}
    await insert_many_ignoring_conflicts(session=session, model=Layout, rows=[row])
    found = await session.scalar(select(Layout).where(Layout.id == new_id))
    if found is None:
        return None
    if found.is_default:
        await set_default(session=session, layout=found)
    return found


async def set_default(*, session: AsyncSession, layout: Layout) -> None:
    """Make ``layout`` the environment's only default."""
    await session.execute(
        update(Layout)
        .where(Layout.environment_id == layout.environment_id, Layout.id != layout.id, Layout.is_default.is_(True))
        .values(is_default=False, updated_at=utcnow())
    )
    layout.is_default = True
    layout.updated_at = utcnow()
    await session.flush()


async def identifier_taken(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str, other_than: uuid.UUID | None = None
) -> bool:
    query = select(Layout.id).where(Layout.environment_id == environment_id, Layout.identifier == identifier)
    if other_than is not None:
        query = query.where(Layout.id != other_than)
    return await session.scalar(query.limit(1)) is not None


async def update_fields(*, session: AsyncSession, layout: Layout, fields: Mapping[str, Any]) -> Layout:
    """Set the given columns; ``is_default`` true also clears the environment's previous default."""
    for name, value in fields.items():
        if name != "is_default":
            setattr(layout, name, value)
    layout.updated_at = utcnow()
    if fields.get("is_default") is True:
        await set_default(session=session, layout=layout)
    await session.flush()
    return layout


async def delete(*, session: AsyncSession, layout: Layout) -> None:
    await session.delete(layout)
    await session.flush()


async def page(
    *, session: AsyncSession, environment_id: uuid.UUID, page: int, page_size: int, descending: bool = True,
    offset: int | None = None,
) -> tuple[list[Layout], int]:
    """One offset page ordered by creation time (newest first unless told otherwise), and the total.

    ``offset`` (rows to skip) replaces ``page * page_size`` when given.
    """
    order = (Layout.created_at.desc(), Layout.id.desc()) if descending else (Layout.created_at, Layout.id)
    mine = Layout.environment_id == environment_id
    total = await session.scalar(select(func.count()).select_from(Layout).where(mine))
    rows = await session.scalars(
        select(Layout).where(mine).order_by(*order)
        .limit(page_size).offset(page * page_size if offset is None else offset)
    )
    return list(rows), int(total or 0)


async def workflows_using(*, session: AsyncSession, environment_id: uuid.UUID, layout: Layout) -> list[str]:
    """Identifiers of the workflows whose email steps name ``layout`` (by ``_id`` or identifier)."""
    names = {str(layout.id), layout.identifier}
    rows = await session.execute(
        select(NotificationWorkflow.identifier, NotificationWorkflow.steps)
        .where(NotificationWorkflow.environment_id == environment_id)
    )
    using = []
    for identifier, steps in rows:
        for step in steps or []:
            controls = step.get("controls") if isinstance(step, Mapping) else None
            if isinstance(controls, Mapping) and controls.get("layoutId") in names:
                using.append(identifier)
                break
    return using
