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
    """One statement per set of columns the rows give values for.

    The ORM leaves a None out of a row (its column default applies) and sends each run of consecutive
    rows with the same columns as one statement: rows alike are put next to each other first, or a
    hundred rows alternating between a None and a value (an actor, a tenant) would be a hundred
    statements.
    """
    if rows:
        ordered = sorted(rows, key=lambda row: tuple(sorted(k for k, v in row.items() if v is not None)))
        await session.execute(insert_ignoring_conflicts(session, model), ordered)
