"""Queries over subscribers: bulk upsert for triggers, lookups, and id ranges for broadcasts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Subscriber

PROFILE_FIELDS = frozenset(
    {"email", "first_name", "last_name", "phone", "avatar", "locale", "timezone", "data", "channels"}
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
    return existing


async def id_boundaries(*, session: AsyncSession, environment_id: uuid.UUID, size: int) -> list[str]:
    """Every ``size``-th subscriber primary key in key order: the ranges a broadcast runs in."""
    ids: Sequence[uuid.UUID] = (
        await session.scalars(
            select(Subscriber.id).where(Subscriber.environment_id == environment_id).order_by(Subscriber.id)
        )
    ).all()
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
