"""Shared state of throttle and digest steps: scope locks, throttle claims, digest entries, cancels.

Every function runs inside the caller's transaction. ``lock_scope`` is a write before any read, so
that on PostgreSQL the row lock and on SQLite the database write lock make concurrent runs of one
scope take turns: the count a throttle reads is then exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_ignoring_conflicts
from store.models import ActionLock, CancelledTransaction, DigestEntry, ThrottleClaim


async def lock_scope(*, session: AsyncSession, scope: str) -> None:
    now = utcnow()
    await session.execute(insert_ignoring_conflicts(session, ActionLock).values(scope=scope, touched_at=now))
    await session.execute(update(ActionLock).where(ActionLock.scope == scope).values(touched_at=now))


async def claim_throttle(
    *, session: AsyncSession, environment_id: uuid.UUID, scope: str, run_key: str, limit: int, since: datetime,
    at: datetime,
) -> bool:
    """Whether this run may pass: decided once (a retry gets the same answer), exactly at most
    ``limit`` granted claims of ``scope`` after ``since``."""
    await lock_scope(session=session, scope=scope)
    earlier = await session.scalar(
        select(ThrottleClaim.granted).where(ThrottleClaim.scope == scope, ThrottleClaim.run_key == run_key)
    )
    if earlier is not None:
        return earlier
    used = await session.scalar(
        select(func.count()).select_from(ThrottleClaim).where(
            ThrottleClaim.scope == scope, ThrottleClaim.granted.is_(True), ThrottleClaim.claimed_at > since,
        )
    )
    granted = (used or 0) < limit
    session.add(ThrottleClaim(environment_id=environment_id, scope=scope, run_key=run_key, granted=granted,
                              claimed_at=at))
    await session.flush()
    return granted


async def throttle_used(*, session: AsyncSession, scope: str, since: datetime) -> int:
    """How many runs passed ``scope``'s throttle after ``since`` (read only: a dry run's question)."""
    used = await session.scalar(
        select(func.count()).select_from(ThrottleClaim).where(
            ThrottleClaim.scope == scope, ThrottleClaim.granted.is_(True), ThrottleClaim.claimed_at > since,
        )
    )
    return int(used or 0)


async def digest_entry(*, session: AsyncSession, run_key: str, step_id: str, subscriber_id: str) -> DigestEntry | None:
    return await session.scalar(select(DigestEntry).where(
        DigestEntry.run_key == run_key, DigestEntry.step_id == step_id, DigestEntry.subscriber_id == subscriber_id,
    ))


async def last_digest_event(*, session: AsyncSession, group_id: str, exclude_run_key: str) -> datetime | None:
    """When the group last received an event (digested or sent on its own), for look-back digests."""
    return await session.scalar(
        select(func.max(DigestEntry.created_at)).where(
            DigestEntry.group_id == group_id, DigestEntry.run_key != exclude_run_key
        )
    )


async def add_digest_entry(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str, subscriber_id: str, step_id: str,
    run_key: str, group_id: str, state: str, at: datetime,
) -> None:
    await session.execute(insert_ignoring_conflicts(session, DigestEntry).values(
        id=uuid.uuid4(), environment_id=environment_id, transaction_id=transaction_id, subscriber_id=subscriber_id,
        step_id=step_id, run_key=run_key, group_id=group_id, state=state, created_at=at,
    ))


async def cancelled(*, session: AsyncSession, environment_id: uuid.UUID, transaction_ids: Sequence[str]) -> set[str]:
    if not transaction_ids:
        return set()
    rows = await session.scalars(select(CancelledTransaction.transaction_id).where(
        CancelledTransaction.environment_id == environment_id,
        CancelledTransaction.transaction_id.in_(list(transaction_ids)),
    ))
    return set(rows)


async def cancel_transaction(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> bool:
    """Remember the cancel (a digest closing later leaves the event out); whether a pending digest held it."""
    await session.execute(insert_ignoring_conflicts(session, CancelledTransaction).values(
        environment_id=environment_id, transaction_id=transaction_id, created_at=utcnow(),
    ))
    result = await session.execute(
        update(DigestEntry)
        .where(DigestEntry.environment_id == environment_id, DigestEntry.transaction_id == transaction_id,
               DigestEntry.state == "pending")
        .values(state="cancelled")
    )
    return bool(getattr(result, "rowcount", 0))
