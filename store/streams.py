"""Stream topics and messages: ids, appends under the topic's row lock, cursor reads, retention (§2.6)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Dialect,
    Table,
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import UtcDateTime
from store.engine import Sessions, writer_turn
from store.models import Environment, StreamMessage, StreamTopic

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 11
_DIGITS = {c: i for i, c in enumerate(ALPHABET)}


def encode_id(seq: int) -> str:
    """``seq`` in zero-padded base62, so one topic's ids sort in publish order as strings."""
    digits = []
    while seq:
        seq, rest = divmod(seq, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(ID_LENGTH, "0")


def decode_id(message_id: str) -> int | None:
    if not 1 <= len(message_id) <= ID_LENGTH or any(c not in _DIGITS for c in message_id):
        return None
    seq = 0
    for c in message_id:
        seq = seq * 62 + _DIGITS[c]
    return seq


class CursorNotFound(Exception):
    """The cursor does not decode, or lies beyond the topic's last message."""


class CursorExpired(Exception):
    """Messages after the cursor were removed (retention or purge); ``oldest`` is the first one left."""

    def __init__(self, oldest: StreamMessage | None) -> None:
        super().__init__("cursor expired")
        self.oldest = oldest


@dataclass(frozen=True)
class Appended:
    seq: int
    time: datetime


# The statements of every publish, built once: building and keying a statement per call was a large
# part of a publish's CPU (bench/README.md, streams.py). Core tables, not the ORM entities, for the
# writes: the ORM's bulk paths add their bookkeeping to every call.
_TOPICS = cast(Table, StreamTopic.__table__)
_MESSAGES = cast(Table, StreamMessage.__table__)
_GET_TOPIC = select(StreamTopic).where(StreamTopic.id == bindparam("topic_id"),
                                       StreamTopic.environment_id == bindparam("environment_id"))
_NOW = bindparam("b_now", type_=UtcDateTime())
_BUMP = (
    update(_TOPICS)
    .where(_TOPICS.c.id == bindparam("b_topic_id"), _TOPICS.c.environment_id == bindparam("b_environment_id"))
    .values(last_seq=_TOPICS.c.last_seq + bindparam("b_count"), last_activity_at=_NOW,
            # A NULL last_time compares as unknown, so the first append takes ``now``.
            last_time=case((_TOPICS.c.last_time > _NOW, _TOPICS.c.last_time), else_=_NOW))
    .returning(_TOPICS.c.last_seq, _TOPICS.c.last_time)
)
# The rows of one append share their topic and time: the time's bind is processed once per append and
# the payloads' here, and the insert names untyped columns so SQLAlchemy adds no per-row work of its own.
_ADD_MESSAGES = insert(table(_MESSAGES.name, *(column(c) for c in ("topic_id", "seq", "time", "payload"))))


async def get_topic(*, session: AsyncSession, environment_id: uuid.UUID, topic_id: int) -> StreamTopic | None:
    return await session.scalar(_GET_TOPIC, {"topic_id": topic_id, "environment_id": environment_id})


async def add_topic(*, session: AsyncSession, environment_id: uuid.UUID, values: dict[str, Any]) -> StreamTopic:
    """Stage a new topic with these column values; the caller commits (and handles a taken name)."""
    topic = StreamTopic(environment_id=environment_id, **values)
    session.add(topic)
    return topic


async def lock_environment(*, session: AsyncSession, environment_id: uuid.UUID) -> None:
    """Serialise topic creation per environment until commit, so the topic limit holds under concurrent
    creates: a no-op UPDATE takes the environment's row lock (PostgreSQL) or the write lock (SQLite)."""
    await session.execute(
        update(Environment).where(Environment.id == environment_id).values(slug=Environment.slug)
    )


async def count_topics(*, session: AsyncSession, environment_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(StreamTopic).where(StreamTopic.environment_id == environment_id)
    return int(await session.scalar(query) or 0)


async def name_taken(*, session: AsyncSession, environment_id: uuid.UUID, name: str, but: int | None = None) -> bool:
    query = select(StreamTopic.id).where(StreamTopic.environment_id == environment_id, StreamTopic.name == name)
    if but is not None:
        query = query.where(StreamTopic.id != but)
    return await session.scalar(query) is not None


async def list_topics(
    *, session: AsyncSession, environment_id: uuid.UUID, name: str | None, sort: str, page: int, per_page: int
) -> tuple[int, list[StreamTopic]]:
    """One page of the environment's topics and the total that match ``name`` (a case-sensitive substring)."""
    where: list[ColumnElement[bool]] = [StreamTopic.environment_id == environment_id]
    if name:
        # instr, not LIKE: LIKE is case-insensitive on SQLite and treats % and _ as wildcards.
        position = func.strpos if _is_pg(session) else func.instr
        where.append(position(StreamTopic.name, name) > 0)
    total = int(await session.scalar(select(func.count()).select_from(StreamTopic).where(*where)) or 0)
    order: list[Any] = {
        "name": [StreamTopic.name.asc(), StreamTopic.id.asc()],
        "activity": [StreamTopic.last_activity_at.desc().nulls_last(), StreamTopic.id.asc()],
    }.get(sort, [StreamTopic.id.asc()])
    query = select(StreamTopic).where(*where).order_by(*order).offset((page - 1) * per_page).limit(per_page)
    return total, list(await session.scalars(query))


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def append(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: int, payloads: Sequence[dict[str, Any]],
    now: datetime,
) -> list[Appended] | None:
    """Store ``payloads`` with consecutive seqs; None when the topic is gone. Commit right after.

    The first statement bumps ``last_seq``: on PostgreSQL it takes the topic's row lock (as
    SELECT … FOR UPDATE would) until commit, so seq order is commit order; on SQLite it opens the
    write transaction, which serialises writers. A consumer never sees seq n+1 before seq n.
    The same statement moves ``last_time`` forward (never back), so an append is two round trips.
    """
    count = len(payloads)
    bumped = (await session.execute(
        _BUMP, {"b_topic_id": topic_id, "b_environment_id": environment_id, "b_count": count, "b_now": now}
    )).first()
    if bumped is None:
        return None
    last_seq, stored_time = bumped
    time: datetime = stored_time or now  # never NULL after the CASE above; never before the previous message
    first = last_seq - count + 1
    dialect = session.get_bind().dialect
    stamp, as_json = _bound(_MESSAGES.c.time, dialect)(time), _bound(_MESSAGES.c.payload, dialect)
    rows = [{"topic_id": topic_id, "seq": first + i, "time": stamp, "payload": as_json(p)}
            for i, p in enumerate(payloads)]
    await session.execute(_ADD_MESSAGES, rows)
    return [Appended(first + i, time) for i in range(count)]


async def append_committed(
    *, sessions: Sessions, environment_id: uuid.UUID, topic_id: int, payloads: Sequence[dict[str, Any]],
    now: datetime,
) -> list[Appended] | None:
    """``append`` in a transaction of its own, committed.

    On SQLite the appends of this process queue on one lock instead of meeting at the database's
    write lock: a writer that finds it taken sleeps in SQLite's busy handler (1 to 100 ms steps),
    which under 16 concurrent publishers cost far more than the appends themselves.
    """
    async with sessions() as session, writer_turn(session):
        appended = await append(session=session, environment_id=environment_id, topic_id=topic_id,
                                payloads=payloads, now=now)
        await session.commit()
    return appended


def _bound(target: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What ``target``'s type does to a value bound to it on ``dialect`` (identity when nothing)."""
    process = target.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def cutoff(topic: StreamTopic, now: datetime) -> datetime:
    """Messages older than this are invisible, whether or not the sweep has removed them yet."""
    return now - timedelta(seconds=topic.retention)


async def oldest(*, session: AsyncSession, topic: StreamTopic, now: datetime) -> StreamMessage | None:
    query = (
        select(StreamMessage)
        .where(StreamMessage.topic_id == topic.id, StreamMessage.seq > topic.deleted_through_seq,
               StreamMessage.time >= cutoff(topic, now))
        .order_by(StreamMessage.seq).limit(1)
    )
    return await session.scalar(query)


class MessageRow(NamedTuple):
    """What a consumer reads of a message: plain rows, without the ORM's identity map per row."""

    seq: int
    time: datetime
    payload: Any


async def read(
    *, session: AsyncSession, topic: StreamTopic, after: str | None, since: datetime | None, limit: int,
    now: datetime,
) -> list[MessageRow]:
    """Up to ``limit`` retained messages in seq order: after the cursor, from ``since``, or from the oldest."""
    visible_from = cutoff(topic, now)
    m = _MESSAGES.c
    where: list[ColumnElement[bool]] = [m.topic_id == topic.id]
    if after is not None:
        seq = decode_id(after)
        if seq is None or seq > topic.last_seq:
            raise CursorNotFound(after)
        if seq < topic.deleted_through_seq:
            raise CursorExpired(await oldest(session=session, topic=topic, now=now))
        where.append(m.seq > seq)
    else:
        where += [m.seq > topic.deleted_through_seq, m.time >= (max(since, visible_from) if since else visible_from)]
    result = await session.execute(select(m.seq, m.time, m.payload).where(*where).order_by(m.seq).limit(limit))
    rows = [MessageRow._make(row) for row in result]
    if after is not None and rows and rows[0].time < visible_from:
        # Expired but not yet swept: times never decrease along seq, so the loss is this prefix.
        raise CursorExpired(await oldest(session=session, topic=topic, now=now))
    return rows


async def purge(*, session: AsyncSession, topic: StreamTopic) -> None:
    """Remove every message; ids keep increasing, and older cursors now report ``cursor_expired``."""
    # The write comes first so it holds the topic's lock (PostgreSQL) or the write lock (SQLite).
    through = await session.scalar(
        update(StreamTopic).where(StreamTopic.id == topic.id)
        .values(deleted_through_seq=StreamTopic.last_seq, last_activity_at=None)
        .returning(StreamTopic.last_seq).execution_options(synchronize_session=False)
    )
    if through is not None:
        await session.execute(
            delete(StreamMessage).where(StreamMessage.topic_id == topic.id, StreamMessage.seq <= through)
        )


async def delete_topic(*, session: AsyncSession, topic: StreamTopic) -> None:
    await session.execute(delete(StreamMessage).where(StreamMessage.topic_id == topic.id))
    await session.execute(delete(StreamTopic).where(StreamTopic.id == topic.id))


async def sweep_expired(*, session: AsyncSession, now: datetime) -> int:
    """Delete every topic's expired prefix and record it in ``deleted_through_seq``; the number removed."""
    removed = 0
    for topic_id, retention in (await session.execute(select(StreamTopic.id, StreamTopic.retention))).all():
        edge = now - timedelta(seconds=retention)
        highest = await session.scalar(
            select(func.max(StreamMessage.seq)).where(StreamMessage.topic_id == topic_id, StreamMessage.time < edge)
        )
        if highest is None:
            continue
        result = await session.execute(
            delete(StreamMessage).where(StreamMessage.topic_id == topic_id, StreamMessage.seq <= highest)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
        await session.execute(
            update(StreamTopic)
            .where(StreamTopic.id == topic_id, StreamTopic.deleted_through_seq < highest)
            .values(deleted_through_seq=highest).execution_options(synchronize_session=False)
        )
    return removed
