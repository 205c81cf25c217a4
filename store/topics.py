"""Queries over topics and their members, paged by membership id for fan-out."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Subscriber, Topic, TopicSubscriber

TopicOrder = Literal["createdAt", "updatedAt"]
Column = InstrumentedAttribute[Any]
_MAX_MEMBERSHIP_ID = 2**31 - 1


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: ``backwards`` pages end just before the anchor instead of after it."""

    anchor: str | None = None
    backwards: bool = False
    inclusive: bool = False


@dataclass
class Page:
    rows: list[Any]
    has_before: bool
    has_after: bool
    total: int


class BadCursor(ValueError):
    """The cursor names no row of this listing."""


async def get_by_keys(*, session: AsyncSession, environment_id: uuid.UUID, keys: Iterable[str]) -> dict[str, Topic]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await session.scalars(select(Topic).where(Topic.environment_id == environment_id, Topic.key.in_(wanted)))
    return {row.key: row for row in rows}


async def get(*, session: AsyncSession, environment_id: uuid.UUID, key: str) -> Topic | None:
    return await session.scalar(select(Topic).where(Topic.environment_id == environment_id, Topic.key == key))


async def create(*, session: AsyncSession, environment_id: uuid.UUID, key: str, name: str | None) -> tuple[Topic, bool]:
    """The topic with ``key``, inserted unless it exists; the flag says whether this call created it."""
    new_id, now = uuid.uuid4(), utcnow()
    # Two requests may create the same key at once: the unique constraint keeps one, both read it back.
    row = {"id": new_id, "environment_id": environment_id, "key": key, "name": name, "event_types": [],
           "created_at": now, "updated_at": now}
    await insert_many_ignoring_conflicts(session=session, model=Topic, rows=[row])
    topic = await get(session=session, environment_id=environment_id, key=key)
    if topic is None:  # pragma: no cover - the insert or a concurrent one left the row
        raise LookupError(f"topic {key!r} vanished after insert")
    return topic, topic.id == new_id


async def rename(*, session: AsyncSession, topic: Topic, name: str | None) -> Topic:
    topic.name = name
    topic.updated_at = utcnow()
    await session.flush()
    return topic


async def delete(*, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID) -> None:
    # Memberships go with the topic (ON DELETE CASCADE, enforced on SQLite by the engine's pragma).
    await session.execute(sql_delete(Topic).where(Topic.environment_id == environment_id, Topic.id == topic_id))


async def search(
    *, session: AsyncSession, environment_id: uuid.UUID, key: str | None, limit: int, offset: int
) -> tuple[list[Topic], int]:
    """One offset page of topics (oldest first), optionally only the one with ``key``."""
    conditions: list[ColumnElement[bool]] = [Topic.environment_id == environment_id]
    if key:
        conditions.append(Topic.key == key)
    total = await session.scalar(select(func.count()).select_from(Topic).where(*conditions))
    rows = await session.scalars(
        select(Topic).where(*conditions).order_by(Topic.created_at, Topic.id).limit(limit).offset(offset)
    )
    return list(rows), total or 0


async def page(
    *, session: AsyncSession, environment_id: uuid.UUID, cursor: Cursor, limit: int, descending: bool,
    order_by: TopicOrder = "createdAt", key: str | None = None, name: str | None = None,
) -> Page:
    """A cursor page of topics; the cursor is a topic id, ``key`` and ``name`` match substrings."""
    conditions: list[ColumnElement[bool]] = [Topic.environment_id == environment_id]
    if key:
        conditions.append(Topic.key.icontains(key, autoescape=True))
    if name:
        conditions.append(Topic.name.icontains(name, autoescape=True))
    sort = Topic.updated_at if order_by == "updatedAt" else Topic.created_at
    anchor: tuple[Any, Any] | None = None
    if cursor.anchor is not None:
        try:
            anchor_id = uuid.UUID(cursor.anchor)
        except ValueError as exc:
            raise BadCursor(cursor.anchor) from exc
        found = (await session.execute(select(sort, Topic.id).where(*conditions, Topic.id == anchor_id))).first()
        if found is None:
            raise BadCursor(cursor.anchor)
        anchor = (found[0], found[1])
    return await _keyset(
        session, select(Topic).where(*conditions), sort, Topic.id, anchor=anchor, cursor=cursor,
        limit=limit, descending=descending, key_of=lambda r: (getattr(r[0], sort.key), r[0].id),
    )


async def member_ids(*, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID) -> list[str]:
    """Every member's subscriberId, in the order they joined."""
    rows = await session.scalars(
        select(Subscriber.subscriber_id)
        .join(TopicSubscriber, TopicSubscriber.subscriber_pk == Subscriber.id)
        .where(TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id)
        .order_by(TopicSubscriber.id)
    )
    return list(rows)


async def has_members(*, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(
            exists().where(TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id)
        )
    )
    return bool(found)


async def memberships(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, subscriber_pks: Iterable[uuid.UUID]
) -> dict[uuid.UUID, TopicSubscriber]:
    pks = list(dict.fromkeys(subscriber_pks))
    if not pks:
        return {}
    rows = await session.scalars(
        select(TopicSubscriber).where(
            TopicSubscriber.environment_id == environment_id,
            TopicSubscriber.topic_id == topic_id,
            TopicSubscriber.subscriber_pk.in_(pks),
        )
    )
    return {row.subscriber_pk: row for row in rows}


async def add_members(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, subscriber_pks: Iterable[uuid.UUID]
) -> dict[uuid.UUID, TopicSubscriber]:
    """Add subscribers (already-members are kept as they are); every named membership, by subscriber pk."""
    pks = list(dict.fromkeys(subscriber_pks))
    now = utcnow()
    rows = [{"environment_id": environment_id, "topic_id": topic_id, "subscriber_pk": pk, "created_at": now}
            for pk in pks]
    # The (topic, subscriber) unique constraint makes a repeated or concurrent add a no-op.
    await insert_many_ignoring_conflicts(session=session, model=TopicSubscriber, rows=rows)
    return await memberships(session=session, environment_id=environment_id, topic_id=topic_id, subscriber_pks=pks)


async def remove_members(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, subscriber_pks: Iterable[uuid.UUID]
) -> None:
    pks = list(subscriber_pks)
    if pks:
        await session.execute(
            sql_delete(TopicSubscriber).where(
                TopicSubscriber.environment_id == environment_id,
                TopicSubscriber.topic_id == topic_id,
                TopicSubscriber.subscriber_pk.in_(pks),
            )
        )


async def members_page(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, cursor: Cursor, limit: int,
    descending: bool, subscriber_id: str | None = None,
) -> Page:
    """A cursor page of (membership, subscriber) rows; the cursor is a membership id."""
    conditions: list[ColumnElement[bool]] = [
        TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id
    ]
    if subscriber_id is not None:
        conditions.append(Subscriber.subscriber_id == subscriber_id)
    query = (
        select(TopicSubscriber, Subscriber)
        .join(Subscriber, TopicSubscriber.subscriber_pk == Subscriber.id)
        .where(*conditions)
    )
    anchor: tuple[Any, Any] | None = None
    if cursor.anchor is not None:
        # Membership ids are 32-bit integers; anything else would be a database error, not an empty page.
        if not cursor.anchor.isdigit() or int(cursor.anchor) > _MAX_MEMBERSHIP_ID:
            raise BadCursor(cursor.anchor)
        found = (
            await session.execute(
                select(TopicSubscriber.created_at, TopicSubscriber.id).where(
                    *conditions[:2], TopicSubscriber.id == int(cursor.anchor)
                )
            )
        ).first()
        if found is None:
            raise BadCursor(cursor.anchor)
        anchor = (found[0], found[1])
    return await _keyset(
        session, query, TopicSubscriber.created_at, TopicSubscriber.id, anchor=anchor,
        cursor=cursor, limit=limit, descending=descending, key_of=lambda r: (r[0].created_at, r[0].id),
    )


def _beyond(
    sort: Column, tie: Column, key: tuple[Any, Any], *, greater: bool,
    inclusive: bool,
) -> ColumnElement[bool]:
    """Rows past ``key`` in (sort, tie) order: above it when ``greater``, else below it."""
    if greater:
        return or_(sort > key[0], and_(sort == key[0], tie >= key[1] if inclusive else tie > key[1]))
    return or_(sort < key[0], and_(sort == key[0], tie <= key[1] if inclusive else tie < key[1]))


async def _keyset(
    session: AsyncSession, query: Select[*tuple[Any, ...]], sort: Column, tie: Column, *,
    anchor: tuple[Any, Any] | None, cursor: Cursor, limit: int, descending: bool,
    key_of: Callable[[Any], tuple[Any, Any]],
) -> Page:
    """Keyset paging over (sort, tie): stable under inserts, unlike offsets."""
    total = await session.scalar(query.with_only_columns(func.count(tie)).order_by(None)) or 0
    # Reading direction in column-value terms: ascending listings read upwards unless paging backwards.
    upwards = descending == cursor.backwards
    ordered = query
    if anchor is not None:
        ordered = ordered.where(_beyond(sort, tie, anchor, greater=upwards, inclusive=cursor.inclusive))
    ordering = (sort, tie) if upwards else (sort.desc(), tie.desc())
    rows = list((await session.execute(ordered.order_by(*ordering).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if cursor.backwards:
        rows.reverse()
    if not rows:
        return Page(rows=[], has_before=False, has_after=False, total=total)

    async def any_beyond(key: tuple[Any, Any], greater: bool) -> bool:
        beyond = query.with_only_columns(tie).where(_beyond(sort, tie, key, greater=greater, inclusive=False))
        return bool(await session.scalar(select(beyond.exists())))

    # "after" means later in the listing's own order, whichever way this page was read.
    later_is_greater = not descending
    if cursor.backwards:
        has_before, has_after = more, await any_beyond(key_of(rows[-1]), later_is_greater)
    else:
        has_before, has_after = await any_beyond(key_of(rows[0]), not later_is_greater), more
    return Page(rows=rows, has_before=has_before, has_after=has_after, total=total)


async def member_boundaries(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, size: int
) -> list[int]:
    """Every ``size``-th membership id: the upper bounds of the pages a fan-out runs."""
    ids = (
        await session.scalars(
            select(TopicSubscriber.id)
            .where(TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id)
            .order_by(TopicSubscriber.id)
        )
    ).all()
    return [ids[min(i + size, len(ids)) - 1] for i in range(0, len(ids), size)]


async def member_boundaries_after(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, after: int | None, size: int,
    pages: int,
) -> list[int]:
    """The upper bounds of the next ``pages`` pages of ``size`` members after membership id ``after``.

    Keyset: at most ``size * pages`` ids are read, whatever the topic's size.
    """
    query = select(TopicSubscriber.id).where(
        TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id
    )
    if after is not None:
        query = query.where(TopicSubscriber.id > after)
    ids = (await session.scalars(query.order_by(TopicSubscriber.id).limit(size * pages))).all()
    return [ids[min(i + size, len(ids)) - 1] for i in range(0, len(ids), size)]


async def members_in_range(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, after: int | None, until: int | None
) -> list[Subscriber]:
    query = (
        select(Subscriber)
        .join(TopicSubscriber, TopicSubscriber.subscriber_pk == Subscriber.id)
        .where(TopicSubscriber.environment_id == environment_id, TopicSubscriber.topic_id == topic_id)
    )
    if after is not None:
        query = query.where(TopicSubscriber.id > after)
    if until is not None:
        query = query.where(TopicSubscriber.id <= until)
    return list(await session.scalars(query.order_by(TopicSubscriber.id)))
