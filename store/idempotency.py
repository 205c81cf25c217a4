"""Claims and stored responses behind ``Idempotency-Key``, one record per (environment, key).

A claim is identified by its ``created_at``: a request that outlived its claim must not complete
or release the claim of the request that took the key over after it expired.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import IdempotencyRecord


def _this_key(environment_id: uuid.UUID, key: str) -> tuple[Any, ...]:
    return (IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key)


async def get(*, session: AsyncSession, environment_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
    query = select(IdempotencyRecord).where(*_this_key(environment_id, key)).execution_options(populate_existing=True)
    return await session.scalar(query)


async def claim(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    key: str,
    request_hash: str,
    now: datetime,
    hold_until: datetime,
) -> bool:
    """Take ``key`` for a request starting at ``now``; False while another record holds it.

    ``now`` becomes the claim's identity (``created_at``); ``hold_until`` bounds how long a crashed
    request can keep the key from being retried.
    """
    values: dict[str, Any] = {
        "request_hash": request_hash,
        "status_code": None,
        "response": None,
        "created_at": now,
        "expires_at": hold_until,
    }
    try:
        # The savepoint keeps PostgreSQL's transaction usable after the unique violation.
        async with session.begin_nested():
            await session.execute(insert(IdempotencyRecord).values(environment_id=environment_id, key=key, **values))
        return True
    except IntegrityError:
        pass
    # An expired record counts as absent; the condition lets only one of two racing takers win.
    result = await session.execute(
        update(IdempotencyRecord)
        .where(*_this_key(environment_id, key), IdempotencyRecord.expires_at <= now)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def complete(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    key: str,
    claimed_at: datetime,
    status_code: int,
    response: dict[str, Any],
    expires_at: datetime,
) -> bool:
    """Store the response of the claim made at ``claimed_at``; False if that claim is gone."""
    result = await session.execute(
        update(IdempotencyRecord)
        .where(
            *_this_key(environment_id, key),
            IdempotencyRecord.created_at == claimed_at,
            IdempotencyRecord.status_code.is_(None),
        )
        .values(status_code=status_code, response=response, expires_at=expires_at)
    )
    return bool(getattr(result, "rowcount", 0))


async def release(*, session: AsyncSession, environment_id: uuid.UUID, key: str, claimed_at: datetime) -> None:
    """Drop an unfinished claim, so the client may retry with the same key."""
    await session.execute(
        delete(IdempotencyRecord).where(
            *_this_key(environment_id, key),
            IdempotencyRecord.created_at == claimed_at,
            IdempotencyRecord.status_code.is_(None),
        )
    )
