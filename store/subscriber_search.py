"""Novu's v2 subscriber search: filters, a capped total and keyset (cursor) pages.

A page is anchored on a position, the (sort value, id) pair of a row, not on the row itself:
a client that deletes the subscribers of a page before asking for the next one still gets it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Subscriber

SortBy = Literal["createdAt", "updatedAt"]
# Counting every match of a huge environment costs more than the number is worth (Novu caps it too).
COUNT_CAP = 50_000

_COLUMNS = {"createdAt": Subscriber.created_at, "updatedAt": Subscriber.updated_at}


@dataclass(frozen=True)
class Filters:
    """Exact subscriberId, email and phone; ``name`` is a case-insensitive part of "first last"."""

    subscriber_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Position:
    """A place in the sort order: the sort value and the id of the row that held it."""

    value: datetime
    id: uuid.UUID


@dataclass
class Page:
    rows: list[Subscriber]
    has_before: bool
    has_after: bool
    total: int
    capped: bool


def position_of(row: Subscriber, sort_by: SortBy) -> Position:
    value: datetime = getattr(row, _COLUMNS[sort_by].key)
    return Position(value=value, id=row.id)


def _conditions(environment_id: uuid.UUID, filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Subscriber.environment_id == environment_id]
    if filters.subscriber_id:
        conditions.append(Subscriber.subscriber_id == filters.subscriber_id)
    if filters.email:
        conditions.append(Subscriber.email == filters.email)
    if filters.phone:
        conditions.append(Subscriber.phone == filters.phone)
    if filters.name:
        full = func.coalesce(Subscriber.first_name, "") + " " + func.coalesce(Subscriber.last_name, "")
        conditions.append(full.icontains(filters.name, autoescape=True))
    return conditions


def _past(sort_by: SortBy, at: Position, *, greater: bool, inclusive: bool = False) -> ColumnElement[bool]:
    """Rows beyond ``at`` in one direction; the id breaks ties so no row is skipped or repeated."""
    column = _COLUMNS[sort_by]
    if greater:
        tie = Subscriber.id >= at.id if inclusive else Subscriber.id > at.id
        return or_(column > at.value, and_(column == at.value, tie))
    tie = Subscriber.id <= at.id if inclusive else Subscriber.id < at.id
    return or_(column < at.value, and_(column == at.value, tie))


async def _count(session: AsyncSession, conditions: list[ColumnElement[bool]]) -> tuple[int, bool]:
    capped_rows = select(literal(1)).select_from(Subscriber).where(*conditions).limit(COUNT_CAP + 1).subquery()
    found = await session.scalar(select(func.count()).select_from(capped_rows)) or 0
    return min(found, COUNT_CAP), found > COUNT_CAP


async def _any(session: AsyncSession, query: Select[Any]) -> bool:
    return bool(await session.scalar(select(exists(query))))


async def search(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    filters: Filters,
    limit: int,
    after: Position | None = None,
    before: Position | None = None,
    include_cursor: bool = False,
    sort_by: SortBy = "createdAt",
    descending: bool = True,
) -> Page:
    """One page of matches in sort order, after ``after`` or else before ``before``.

    ``has_before``/``has_after`` say whether matches exist on either side of the page, which
    is what Novu's ``previous``/``next`` cursors promise.
    """
    conditions = _conditions(environment_id, filters)
    total, capped = await _count(session, conditions)
    column = _COLUMNS[sort_by]
    matches = select(Subscriber).where(*conditions)
    forward = before is None or after is not None
    anchor = after if forward else before
    # "Later" in the sort order means a smaller value when sorting descending.
    later_is_greater = not descending
    query = matches
    if anchor is not None:
        query = query.where(_past(sort_by, anchor, greater=later_is_greater == forward, inclusive=include_cursor))
    ascending_scan = later_is_greater == forward
    ordering = (column, Subscriber.id) if ascending_scan else (column.desc(), Subscriber.id.desc())
    rows = list(await session.scalars(query.order_by(*ordering).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    if not rows:
        return Page(rows=[], has_before=False, has_after=False, total=total, capped=capped)
    first, last = position_of(rows[0], sort_by), position_of(rows[-1], sort_by)
    if forward:
        has_after = more
        has_before = anchor is not None and await _any(session, matches.where(
            _past(sort_by, first, greater=not later_is_greater)))
    else:
        has_before = more
        has_after = await _any(session, matches.where(_past(sort_by, last, greater=later_is_greater)))
    return Page(rows=rows, has_before=has_before, has_after=has_after, total=total, capped=capped)
