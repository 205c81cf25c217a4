"""Queries over notification workflow definitions, each scoped to one environment."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, func, literal, literal_column, or_, select, type_coerce
from sqlalchemy import delete as sql_delete
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from store import workflow_versions
from store.models import NotificationWorkflow

OrderBy = Literal["createdAt", "updatedAt", "name"]

_ORDER_COLUMNS = {
    "createdAt": NotificationWorkflow.created_at,
    "updatedAt": NotificationWorkflow.updated_at,
    "name": NotificationWorkflow.name,
}


async def get_by_identifier(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str
) -> NotificationWorkflow | None:
    return await session.scalar(
        select(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id,
            NotificationWorkflow.identifier == identifier,
        )
    )


async def get_by_identifiers(
    *, session: AsyncSession, environment_id: uuid.UUID, identifiers: Iterable[str]
) -> dict[str, NotificationWorkflow]:
    """The workflows among ``identifiers`` that exist, by identifier."""
    wanted = list(identifiers)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.identifier.in_(wanted)
        )
    )
    return {row.identifier: row for row in rows}


async def list_all(*, session: AsyncSession, environment_id: uuid.UUID) -> list[NotificationWorkflow]:
    """Every workflow of the environment, oldest first."""
    rows = await session.scalars(
        select(NotificationWorkflow)
        .where(NotificationWorkflow.environment_id == environment_id)
        .order_by(NotificationWorkflow.created_at, NotificationWorkflow.id)
    )
    return list(rows)


async def identifiers(*, session: AsyncSession, environment_id: uuid.UUID) -> list[str]:
    """The identifiers of the environment's workflows, in no particular order."""
    rows = await session.scalars(
        select(NotificationWorkflow.identifier).where(NotificationWorkflow.environment_id == environment_id)
    )
    return list(rows)


async def get(*, session: AsyncSession, environment_id: uuid.UUID, key: str) -> NotificationWorkflow | None:
    """Find a workflow by its identifier, or else by its database id (Novu accepts both)."""
    row = await get_by_identifier(session=session, environment_id=environment_id, identifier=key)
    if row is not None:
        return row
    try:
        workflow_id = uuid.UUID(key)
    except ValueError:
        return None
    return await session.scalar(
        select(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.id == workflow_id
        )
    )


def _has_any_tag(session: AsyncSession, tags: Sequence[str]) -> ColumnElement[bool]:
    # Tags are a JSON array; each backend has its own way to look inside one.
    if session.get_bind().dialect.name == "postgresql":
        as_jsonb = type_coerce(NotificationWorkflow.tags, JSONB)
        return or_(*(as_jsonb.contains([tag]) for tag in tags))
    elements = func.json_each(NotificationWorkflow.tags).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(literal_column("value").in_(list(tags))))


async def search(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    limit: int,
    offset: int,
    query: str | None = None,
    tags: Sequence[str] = (),
    active: bool | None = None,
    order_by: OrderBy = "createdAt",
    descending: bool = True,
) -> tuple[list[NotificationWorkflow], int]:
    """One page of workflows and the total that match.

    ``query`` matches the name or identifier (case-insensitive substring); ``tags`` keeps
    workflows carrying any of them; ``active`` filters on the active flag.
    """
    conditions: list[ColumnElement[bool]] = [NotificationWorkflow.environment_id == environment_id]
    if query:
        conditions.append(
            or_(
                NotificationWorkflow.name.icontains(query, autoescape=True),
                NotificationWorkflow.identifier.icontains(query, autoescape=True),
            )
        )
    if tags:
        conditions.append(_has_any_tag(session, tags))
    if active is not None:
        conditions.append(NotificationWorkflow.active.is_(active))
    total = await session.scalar(select(func.count()).select_from(NotificationWorkflow).where(*conditions))
    column = _ORDER_COLUMNS[order_by]
    # The id breaks ties so that pages never overlap or skip rows.
    ordering = (column.desc(), NotificationWorkflow.id.desc()) if descending else (column, NotificationWorkflow.id)
    rows = await session.scalars(
        select(NotificationWorkflow).where(*conditions).order_by(*ordering).limit(limit).offset(offset)
    )
    return list(rows), total or 0


async def create(
    *, session: AsyncSession, environment_id: uuid.UUID, identifier: str, values: dict[str, Any]
) -> NotificationWorkflow:
    row = NotificationWorkflow(environment_id=environment_id, identifier=identifier, **values)
    session.add(row)
    await session.flush()
    await workflow_versions.record(session=session, row=row)
    return row


async def update(
    *, session: AsyncSession, environment_id: uuid.UUID, workflow_id: uuid.UUID, values: dict[str, Any]
) -> NotificationWorkflow | None:
    row = await session.scalar(
        select(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.id == workflow_id
        )
    )
    if row is None:
        return None
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    await session.refresh(row)
    await workflow_versions.record(session=session, row=row)
    return row


async def delete(*, session: AsyncSession, environment_id: uuid.UUID, workflow_id: uuid.UUID) -> bool:
    result = await session.execute(
        sql_delete(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.id == workflow_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


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
    await workflow_versions.record(session=session, row=row)
    return row
