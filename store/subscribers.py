"""Queries over subscribers: bulk upsert for triggers, lookups, id ranges for broadcasts, API CRUD.

The cursor search of Novu's v2 list lives in ``store.subscriber_search``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle_events import subscriber_data, subscriber_event_id
from store import lifecycle_outbox
from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Subscriber

UPSERTED = "clarion.subscribers_upserted"  # ``session.info``: subscriber.created ids of upserted subscribers
PROFILE_FIELDS = frozenset(
    {"email", "first_name", "last_name", "phone", "avatar", "locale", "timezone", "data", "channels", "audiences"}
)


async def get_many(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_ids: Iterable[str]
) -> dict[str, Subscriber]:
    ids = list(dict.fromkeys(subscriber_ids))
    if not ids:
        return {}
    rows = await session.scalars(
        select(Subscriber).where(Subscriber.environment_id == environment_id, Subscriber.subscriber_id.in_(ids))
    )
    return {row.subscriber_id: row for row in rows}


async def get(*, session: AsyncSession, environment_id: uuid.UUID, subscriber_id: str) -> Subscriber | None:
    found = await get_many(session=session, environment_id=environment_id, subscriber_ids=[subscriber_id])
    return found.get(subscriber_id)


async def upsert_many(
    *, session: AsyncSession, environment_id: uuid.UUID, profiles: Mapping[str, Mapping[str, Any]]
) -> dict[str, Subscriber]:
    """Create missing subscribers and update the given fields of existing ones.

    ``profiles`` maps a subscriberId to the fields the caller sent; absent fields are left alone,
    so a trigger naming a subscriber by id never erases its profile.
    """
    existing = await get_many(session=session, environment_id=environment_id, subscriber_ids=profiles)
    for subscriber_id, fields in profiles.items():
        row = existing.get(subscriber_id)
        changes = {k: v for k, v in fields.items() if k in PROFILE_FIELDS}
        if row is not None:
            for name, value in changes.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
    missing = [
        {"id": uuid.uuid4(), "environment_id": environment_id, "subscriber_id": sid, "data": {}, "channels": [],
         "created_at": utcnow(), "updated_at": utcnow(), **{k: v for k, v in fields.items() if k in PROFILE_FIELDS}}
        for sid, fields in profiles.items()
        if sid not in existing
    ]
    # Two triggers may create the same new subscriber at once; the loser's insert is skipped.
    await insert_many_ignoring_conflicts(session=session, model=Subscriber, rows=missing)
    await session.flush()
    if missing:
        created = [m["subscriber_id"] for m in missing]
        existing.update(await get_many(session=session, environment_id=environment_id, subscriber_ids=created))
        await _created(session, environment_id, [existing[m["subscriber_id"]] for m in missing
                                                 if existing[m["subscriber_id"]].id == m["id"]])
    # A retried activity finds the subscribers its first attempt created: it re-starts their events.
    session.info.setdefault(UPSERTED, []).extend(
        subscriber_event_id(str(existing[sid].id)) for sid in profiles if sid in existing)
    return existing


async def _created(session: AsyncSession, environment_id: uuid.UUID, rows: Sequence[Subscriber]) -> None:
    """``subscriber.created`` for the rows this call inserted (a racing creator's rows are its own)."""
    await lifecycle_outbox.record(session=session, environment_id=environment_id, events=[
        lifecycle_outbox.LifecycleEvent(str(environment_id), subscriber_event_id(str(row.id)), "subscriber.created",
                                        subscriber_data(row))
        for row in rows
    ])


async def id_boundaries(*, session: AsyncSession, environment_id: uuid.UUID, size: int) -> list[str]:
    """Every ``size``-th subscriber primary key in key order: the ranges a broadcast runs in."""
    ids: Sequence[uuid.UUID] = (
        await session.scalars(
            select(Subscriber.id).where(Subscriber.environment_id == environment_id).order_by(Subscriber.id)
        )
    ).all()
    return _boundaries([str(i) for i in ids], size)


async def id_boundaries_after(
    *, session: AsyncSession, environment_id: uuid.UUID, after: str | None, size: int, pages: int
) -> list[str]:
    """The upper bounds of the next ``pages`` pages of ``size`` subscribers after key ``after`` (keyset)."""
    query = select(Subscriber.id).where(Subscriber.environment_id == environment_id)
    if after is not None:
        query = query.where(Subscriber.id > uuid.UUID(after))
    ids = (await session.scalars(query.order_by(Subscriber.id).limit(size * pages))).all()
    return _boundaries([str(i) for i in ids], size)


def _boundaries(ids: Sequence[str], size: int) -> list[str]:
    return [ids[min(i + size, len(ids)) - 1] for i in range(0, len(ids), size)]


async def in_range(
    *, session: AsyncSession, environment_id: uuid.UUID, after: str | None, until: str | None
) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.environment_id == environment_id)
    if after is not None:
        query = query.where(Subscriber.id > uuid.UUID(after))
    if until is not None:
        query = query.where(Subscriber.id <= uuid.UUID(until))
    return list(await session.scalars(query.order_by(Subscriber.id)))


async def save_many(
    *, session: AsyncSession, environment_id: uuid.UUID, profiles: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Subscriber], set[str]]:
    """Create or update subscribers from the API; also return the ids this call created.

    Unlike ``upsert_many`` the fields are applied after the insert, so a request that loses a
    creation race to another still writes what it was sent instead of silently dropping it.
    """
    existing = await get_many(session=session, environment_id=environment_id, subscriber_ids=profiles)
    now = utcnow()
    fresh = {sid: uuid.uuid4() for sid in profiles if sid not in existing}
    rows = [
        {"id": pk, "environment_id": environment_id, "subscriber_id": sid, "data": {}, "channels": [],
         "created_at": now, "updated_at": now}
        for sid, pk in fresh.items()
    ]
    await insert_many_ignoring_conflicts(session=session, model=Subscriber, rows=rows)
    if fresh:
        existing.update(await get_many(session=session, environment_id=environment_id, subscriber_ids=fresh))
    for sid, fields in profiles.items():
        _apply(existing[sid], fields)
    await session.flush()
    created = {sid for sid, pk in fresh.items() if existing[sid].id == pk}
    await _created(session, environment_id, [existing[sid] for sid in created])
    return existing, created


def _apply(row: Subscriber, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        if name in PROFILE_FIELDS | {"is_online", "last_online_at"} and getattr(row, name) != value:
            setattr(row, name, value)


async def update(*, session: AsyncSession, subscriber: Subscriber, fields: Mapping[str, Any]) -> Subscriber:
    """Set the given profile fields (store column names) on a loaded subscriber."""
    _apply(subscriber, fields)
    await session.flush()
    await session.refresh(subscriber)
    return subscriber


async def delete(*, session: AsyncSession, environment_id: uuid.UUID, subscriber_id: str) -> bool:
    """Hard delete; the database cascades to messages, preferences and topic memberships."""
    result = await session.execute(
        sql_delete(Subscriber).where(
            Subscriber.environment_id == environment_id, Subscriber.subscriber_id == subscriber_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def page(
    *, session: AsyncSession, environment_id: uuid.UUID, page: int, limit: int
) -> tuple[list[Subscriber], int]:
    """One offset page (newest first) and the environment's total, for Novu's v1 list."""
    scope = Subscriber.environment_id == environment_id
    total = await session.scalar(select(func.count()).select_from(Subscriber).where(scope))
    rows = await session.scalars(
        select(Subscriber)
        .where(scope)
        .order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
        .limit(limit)
        .offset(page * limit)
    )
    return list(rows), total or 0
