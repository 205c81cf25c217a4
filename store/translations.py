"""Queries over translations (one JSON document per locale per environment) and their settings."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import Translation, TranslationSettings


async def get(*, session: AsyncSession, environment_id: uuid.UUID, locale: str) -> Translation | None:
    return await session.scalar(
        select(Translation).where(Translation.environment_id == environment_id, Translation.locale == locale)
    )


async def all_for(*, session: AsyncSession, environment_id: uuid.UUID) -> list[Translation]:
    """Every locale of the environment, by locale."""
    rows = await session.scalars(
        select(Translation).where(Translation.environment_id == environment_id).order_by(Translation.locale)
    )
    return list(rows)


async def put(
    *, session: AsyncSession, environment_id: uuid.UUID, locale: str, messages: Mapping[str, Any]
) -> tuple[Translation, bool]:
    """Replace one locale's messages, creating it if needed; says whether it was created."""
    new_id, now = uuid.uuid4(), utcnow()
    row = {"id": new_id, "environment_id": environment_id, "locale": locale, "messages": dict(messages),
           "created_at": now, "updated_at": now}
    await insert_many_ignoring_conflicts(session=session, model=Translation, rows=[row])
    found = await get(session=session, environment_id=environment_id, locale=locale)
    assert found is not None
    created = found.id == new_id
    if not created:
        found.messages = dict(messages)
        found.updated_at = utcnow()
        await session.flush()
    return found, created


async def delete(*, session: AsyncSession, environment_id: uuid.UUID, locale: str) -> bool:
    result = await session.execute(
        sql_delete(Translation).where(Translation.environment_id == environment_id, Translation.locale == locale)
    )
    return bool(getattr(result, "rowcount", 0))


async def fallback_locale(*, session: AsyncSession, environment_id: uuid.UUID) -> str | None:
    """The environment's fallback locale, or None when it never set one."""
    return await session.scalar(
        select(TranslationSettings.fallback_locale).where(TranslationSettings.environment_id == environment_id)
    )


async def set_fallback_locale(*, session: AsyncSession, environment_id: uuid.UUID, locale: str) -> None:
    row = {"environment_id": environment_id, "fallback_locale": locale, "updated_at": utcnow()}
    await insert_many_ignoring_conflicts(session=session, model=TranslationSettings, rows=[row])
    found = await session.get(TranslationSettings, environment_id)
    assert found is not None
    found.fallback_locale = locale
    found.updated_at = utcnow()
    await session.flush()
