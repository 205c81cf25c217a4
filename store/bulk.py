"""Inserts that skip rows a unique constraint already holds, on SQLite and PostgreSQL alike.

Activities are retried after crashes; "insert unless present" is what makes their writes
idempotent without a read-then-write race.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import Base


def insert_ignoring_conflicts(session: AsyncSession, model: type[Base]) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's backend."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


async def insert_many_ignoring_conflicts(
    *, session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]
) -> None:
    if rows:
        await session.execute(insert_ignoring_conflicts(session, model), list(rows))
