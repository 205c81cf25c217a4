"""Integrations of an environment: reads, writes and the one-primary-per-channel rule.

Credentials arrive and leave here as ciphertext; sealing and opening them is the caller's job
(``store.crypto.CredentialCipher``), so no query ever holds a secret in clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Integration


async def list_for(
    *, session: AsyncSession, environment_id: uuid.UUID, channel: str | None = None, active_only: bool = False
) -> Sequence[Integration]:
    """The environment's integrations, per channel the primary first, then in creation order."""
    query = select(Integration).where(Integration.environment_id == environment_id)
    if channel is not None:
        query = query.where(Integration.channel == channel)
    if active_only:
        query = query.where(Integration.active.is_(True))
    query = query.order_by(Integration.channel, Integration.primary.desc(), Integration.created_at, Integration.id)
    return (await session.scalars(query)).all()


async def get(*, session: AsyncSession, environment_id: uuid.UUID, key: str) -> Integration | None:
    """One integration by ``_id`` or by identifier."""
    query = select(Integration).where(Integration.environment_id == environment_id)
    try:
        query = query.where(Integration.id == uuid.UUID(key))
    except ValueError:
        query = query.where(Integration.identifier == key)
    found: Integration | None = await session.scalar(query)
    return found


async def identifier_taken(*, session: AsyncSession, environment_id: uuid.UUID, identifier: str) -> bool:
    query = select(func.count()).where(
        Integration.environment_id == environment_id, Integration.identifier == identifier
    )
    return bool(await session.scalar(query))


async def create(*, session: AsyncSession, environment_id: uuid.UUID, values: dict[str, Any]) -> Integration:
    """Insert an integration; the first active one of its channel becomes the primary."""
    row = Integration(environment_id=environment_id, **values)
    session.add(row)
    await session.flush()
    await settle_primary(session=session, environment_id=environment_id, channel=row.channel)
    return row


async def save(*, session: AsyncSession, row: Integration) -> None:
    """Write the changes made to ``row``, then restore the one-primary rule of its channel."""
    # Flushed first: the settling reads the channel's rows as they now are.
    await session.flush()
    await settle_primary(session=session, environment_id=row.environment_id, channel=row.channel)


async def set_primary(*, session: AsyncSession, row: Integration) -> None:
    """Make ``row`` the only primary of its channel (and active: an inactive primary delivers nothing)."""
    await session.execute(
        update(Integration)
        .where(Integration.environment_id == row.environment_id, Integration.channel == row.channel,
               Integration.id != row.id)
        .values(primary=False)
    )
    row.primary = True
    row.active = True
    await session.flush()


async def settle_primary(*, session: AsyncSession, environment_id: uuid.UUID, channel: str) -> None:
    """Keep the invariant after a write: an inactive integration is not primary, and a channel
    with active integrations has exactly one primary (the oldest active one when none is)."""
    await session.execute(
        update(Integration)
        .where(Integration.environment_id == environment_id, Integration.channel == channel,
               Integration.active.is_(False))
        .values(primary=False)
    )
    rows = await list_for(session=session, environment_id=environment_id, channel=channel, active_only=True)
    primaries = [r for r in rows if r.primary]
    if not primaries and rows:
        oldest = min(rows, key=lambda r: (r.created_at, str(r.id)))
        oldest.primary = True
    for extra in primaries[1:]:
        extra.primary = False
    await session.flush()


async def delete(*, session: AsyncSession, row: Integration) -> None:
    environment_id, channel = row.environment_id, row.channel
    await session.delete(row)
    await session.flush()
    await settle_primary(session=session, environment_id=environment_id, channel=channel)
