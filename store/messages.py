"""The in-app feed over ``messages``: pages, counts and set-based state changes for one subscriber.

Every statement names the environment. Feed statements also name the subscriber and the ``in_app``
channel and skip soft-deleted rows, the prefix ``ix_messages_feed`` serves. A state change is one
UPDATE whose WHERE clause holds the whole selection, so marking a thousand messages is one round
trip, and the statement's row count is exactly the number of messages it changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from store import inbox_events
from store.base import utcnow
from store.message_filters import FeedFilter, conditions
from store.models import Message, NotificationWorkflow

IN_APP = "in_app"

# Each flag with the column that records when it last became true.
_STAMPS: dict[str, tuple[InstrumentedAttribute[bool], InstrumentedAttribute[datetime | None]]] = {
    "seen": (Message.seen, Message.seen_at),
    "read": (Message.read, Message.read_at),
    "archived": (Message.archived, Message.archived_at),
}


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _scope(
    environment_id: uuid.UUID, subscriber_pk: uuid.UUID | None, channel: str | None
) -> list[ColumnElement[bool]]:
    scope = [Message.environment_id == environment_id, Message.deleted.is_(False)]
    if subscriber_pk is not None:
        scope.append(Message.subscriber_pk == subscriber_pk)
    if channel is not None:
        scope.append(Message.channel == channel)
    return scope


async def feed_page(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    subscriber_pk: uuid.UUID,
    filters: FeedFilter,
    offset: int,
    limit: int,
    after: Message | None = None,
) -> tuple[list[Message], bool]:
    """Up to ``limit`` in-app messages, newest first, past the cursor ``after`` and ``offset``; and if more follow."""
    where = [*_scope(environment_id, subscriber_pk, IN_APP), *conditions(_dialect(session), filters)]
    if after is not None:
        # (created_at, id) is unique, so a cursor never skips or repeats a message that shares a timestamp.
        where.append(or_(Message.created_at < after.created_at,
                         and_(Message.created_at == after.created_at, Message.id < after.id)))  # fmt: skip
    rows = (
        await session.scalars(
            select(Message).where(*where).order_by(Message.created_at.desc(), Message.id.desc())
            .offset(offset).limit(limit + 1)
        )
    ).all()  # fmt: skip
    return list(rows[:limit]), len(rows) > limit


async def created_since(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID, since: datetime, limit: int
) -> list[Message]:
    """The subscriber's newest in-app messages created at or after ``since`` (at most ``limit``), oldest first."""
    rows = await session.scalars(
        select(Message).where(*_scope(environment_id, subscriber_pk, IN_APP), Message.created_at >= since)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    )  # fmt: skip
    return list(reversed(rows.all()))


async def count(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID, filters: FeedFilter, cap: int
) -> int:
    """How many in-app messages match, counting at most ``cap`` (Novu's counts are capped the same way)."""
    where = [*_scope(environment_id, subscriber_pk, IN_APP), *conditions(_dialect(session), filters)]
    capped = select(Message.id).where(*where).limit(cap).subquery()
    return int(await session.scalar(select(func.count()).select_from(capped)) or 0)


async def get(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    message_id: uuid.UUID,
    subscriber_pk: uuid.UUID | None = None,
    channel: str | None = None,
    lock: bool = False,
) -> Message | None:
    """One message that is not deleted, optionally only the subscriber's and on ``channel``; ``lock`` holds its row."""
    statement = select(Message).where(*_scope(environment_id, subscriber_pk, channel), Message.id == message_id)
    if lock:
        statement = statement.with_for_update()  # PostgreSQL only; SQLite serialises writers anyway
    return await session.scalar(statement.execution_options(populate_existing=True))


async def by_ids(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Message]:
    if not ids:
        return []
    rows = await session.scalars(
        select(Message)
        .where(*_scope(environment_id, subscriber_pk, None), Message.id.in_(list(ids)))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .execution_options(populate_existing=True)
    )
    return list(rows)


def state_values(flags: Mapping[str, bool], now: datetime) -> dict[str, Any]:
    """Column values that set each flag; a flag's time is when it last became true, so re-marking keeps it."""
    values: dict[str, Any] = {"updated_at": now}
    for name, on in flags.items():
        flag, stamp = _STAMPS[name]
        values[flag.key] = on
        values[stamp.key] = func.coalesce(stamp, now) if on else None
    return values


async def set_state(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    subscriber_pk: uuid.UUID,
    flags: Mapping[str, bool],
    ids: Sequence[uuid.UUID] | None = None,
    filters: FeedFilter = FeedFilter(),
    channel: str | None = IN_APP,
) -> int:
    """Set ``flags`` on the subscriber's messages (only ``ids``, if given) matching ``filters``; the count changed."""
    if ids is not None and not ids:
        return 0
    where = [*_scope(environment_id, subscriber_pk, channel), *conditions(_dialect(session), filters)]
    if ids is not None:
        where.append(Message.id.in_(list(ids)))
    now = utcnow()
    statement = (
        update(Message).where(*where).values(state_values(flags, now))
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    watched = await inbox_events.watched(session=session, environment_id=environment_id, flags=flags)
    if watched:  # lifecycle endpoints want these: read back the rows written, to tell which flags it turned on
        rows = (await session.scalars(statement.returning(Message), execution_options={"populate_existing": True}))
        matched = list(rows)
        await inbox_events.record(session=session, environment_id=environment_id, rows=matched, flags=watched,
                                  now=now)
        return len(matched)
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount)


async def soft_delete(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    subscriber_pk: uuid.UUID | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    transaction_id: str | None = None,
    channels: Sequence[str] = (),
    filters: FeedFilter = FeedFilter(),
    channel: str | None = None,
) -> int:
    """Mark messages deleted: they leave every feed, count and list, but the activity feed keeps its history."""
    where = [*_scope(environment_id, subscriber_pk, channel), *conditions(_dialect(session), filters)]
    if ids is not None:
        where.append(Message.id.in_(list(ids)))
    if transaction_id is not None:
        where.append(Message.transaction_id == transaction_id)
    if channels:
        where.append(Message.channel.in_(list(channels)))
    statement = update(Message).where(*where).values(deleted=True, updated_at=utcnow())
    result = cast(CursorResult[Any], await session.execute(statement.execution_options(synchronize_session=False)))
    return int(result.rowcount)


async def set_action(
    *, session: AsyncSession, message: Message, button: str, status: str, payload: Mapping[str, Any] | None
) -> None:
    """Record the subscriber's answer to an action button in ``cta.action``; answering also reads the message.

    ``message`` should have been loaded with ``lock=True``, so two answers cannot overwrite each other's cta.
    """
    cta = dict(message.cta or {})
    action = dict(cta.get("action") or {})
    result = dict(action.get("result") or {})
    result["type"] = button
    if payload is not None:
        result["payload"] = dict(payload)
    action.update(status=status, result=result)
    cta["action"] = action
    now = utcnow()
    reads = {"seen": True, "read": True} if not message.read else {}
    values = {"cta": cta, **state_values(reads, now)}
    statement = (
        update(Message).where(Message.id == message.id, Message.environment_id == message.environment_id)
        .values(values).execution_options(synchronize_session=False)
    )  # fmt: skip
    watched = await inbox_events.watched(session=session, environment_id=message.environment_id, flags=reads)
    if not watched:
        await session.execute(statement)
        return
    rows = list(await session.scalars(statement.returning(Message), execution_options={"populate_existing": True}))
    await inbox_events.record(session=session, environment_id=message.environment_id, rows=rows, flags=watched,
                              now=now)


async def list_messages(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    channels: Sequence[str],
    subscriber_id: str | None,
    transaction_ids: Sequence[str],
    page: int,
    limit: int,
) -> tuple[list[Message], int]:
    """A page of the environment's messages on any channel, newest first, and how many match in all."""
    where = _scope(environment_id, None, None)
    if channels:
        where.append(Message.channel.in_(list(channels)))
    if subscriber_id is not None:
        where.append(Message.subscriber_id == subscriber_id)
    if transaction_ids:
        where.append(Message.transaction_id.in_(list(transaction_ids)))
    total = int(await session.scalar(select(func.count()).select_from(Message).where(*where)) or 0)
    rows = await session.scalars(
        select(Message).where(*where).order_by(Message.created_at.desc(), Message.id.desc())
        .offset(page * limit).limit(limit)
    )  # fmt: skip
    return list(rows), total


async def workflows(
    *, session: AsyncSession, environment_id: uuid.UUID, messages: Sequence[Message]
) -> dict[uuid.UUID, NotificationWorkflow]:
    """The workflows the messages came from, in one query; a deleted workflow is simply absent."""
    ids = {m.workflow_id for m in messages if m.workflow_id is not None}
    if not ids:
        return {}
    rows = await session.scalars(
        select(NotificationWorkflow).where(
            NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.id.in_(ids)
        )
    )
    return {row.id: row for row in rows}
