"""Exactly once per transaction id for batched runs: a claim row per (environment, transactionId)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import CancelledTransaction, Notification, TransactionClaim


@dataclass
class Claimed:
    owned: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


async def claim(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_ids: Sequence[str], owner: str
) -> Claimed:
    """Take every transaction id nobody ran yet; a retried call gets the same answer.

    Left out: ids claimed by another run, ids cancelled before the run reached them, and ids that
    already have notifications (a single trigger ran them: its workflow id is not a claim row).
    """
    wanted = list(dict.fromkeys(transaction_ids))
    if not wanted:
        return Claimed()
    env_tx = (TransactionClaim.environment_id == environment_id, TransactionClaim.transaction_id.in_(wanted))
    claims = await _owners(session, env_tx)
    cancelled = set(await session.scalars(select(CancelledTransaction.transaction_id).where(
        CancelledTransaction.environment_id == environment_id, CancelledTransaction.transaction_id.in_(wanted)
    )))
    free = [tx for tx in wanted if tx not in claims and tx not in cancelled]
    ran = set(await session.scalars(select(Notification.transaction_id).distinct().where(
        Notification.environment_id == environment_id, Notification.transaction_id.in_(free)
    ))) if free else set()
    now = utcnow()
    await insert_many_ignoring_conflicts(session=session, model=TransactionClaim, rows=[
        {"environment_id": environment_id, "transaction_id": tx, "owner": owner, "created_at": now}
        for tx in free if tx not in ran
    ])
    owners = await _owners(session, env_tx)
    return Claimed(owned=[tx for tx in wanted if owners.get(tx) == owner and tx not in cancelled],
                   cancelled=[tx for tx in wanted if tx in cancelled and owners.get(tx) in (None, owner)])


async def _owners(session: AsyncSession, where: tuple[ColumnElement[bool], ...]) -> dict[str, str]:
    rows = await session.execute(select(TransactionClaim.transaction_id, TransactionClaim.owner).where(*where))
    return dict(rows.all())


async def owner_of(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> str | None:
    """The batched run that owns ``transaction_id``, if one does."""
    owner: str | None = await session.scalar(select(TransactionClaim.owner).where(
        TransactionClaim.environment_id == environment_id, TransactionClaim.transaction_id == transaction_id
    ))
    return owner
