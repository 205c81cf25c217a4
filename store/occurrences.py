"""Bitcaster occurrences: one row per trigger, its status and what its messages came to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ExecutionDetail, Job, Message, Notification
from store.models.publishing import Occurrence

NEW, PROCESSED, COMPLETED, FAILED = "NEW", "PROCESSED", "COMPLETED", "FAILED"
FINAL = (COMPLETED, FAILED)
MAX_ERRORS = 20


async def create(
    *, session: AsyncSession, environment_id: uuid.UUID, event: str, transaction_id: str,
    correlation_id: str | None, options: dict[str, Any], environs: list[str],
) -> Occurrence:
    row = Occurrence(
        environment_id=environment_id, event=event, transaction_id=transaction_id, correlation_id=correlation_id,
        status=NEW, options=options, data={"options": options, "environs": environs},
    )
    session.add(row)
    await session.flush()
    return row


async def get(*, session: AsyncSession, environment_id: uuid.UUID, occurrence_id: int) -> Occurrence | None:
    return await session.scalar(
        select(Occurrence).where(Occurrence.id == occurrence_id, Occurrence.environment_id == environment_id)
    )


@dataclass
class Outcome:
    """What the transaction's messages came to, for ``data.messages``."""

    recipients: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    channels: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


async def outcome(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> Outcome:
    """Counts from the transaction's notifications, jobs and messages.

    A step that fails before a message exists (a template that does not render, no active
    integration) leaves only a failed job, so ``failed`` counts failed jobs, not error messages.
    """
    of_transaction = (Notification.environment_id == environment_id, Notification.transaction_id == transaction_id)
    recipients = await session.scalar(select(func.count()).select_from(Notification).where(*of_transaction))
    failed = await session.scalar(
        select(func.count()).select_from(Job).join(Notification, Job.notification_id == Notification.id)
        .where(*of_transaction, Job.status == "failed")
    )
    rows = (await session.execute(
        select(Message.channel, func.count()).where(
            Message.environment_id == environment_id, Message.transaction_id == transaction_id,
            Message.status == "sent",
        ).group_by(Message.channel)
    )).all()
    result = Outcome(recipients=int(recipients or 0), failed=int(failed or 0))
    channels = {str(channel) for channel, _ in rows}
    for _, count in rows:
        result.sent += count
        result.delivered += count
    errors = (await session.execute(
        select(ExecutionDetail.subscriber_id, ExecutionDetail.channel, ExecutionDetail.detail).where(
            ExecutionDetail.environment_id == environment_id, ExecutionDetail.transaction_id == transaction_id,
            ExecutionDetail.status == "failed",
        ).order_by(ExecutionDetail.created_at).limit(MAX_ERRORS)
    )).all()
    result.errors = [{"subscriberId": s, "channel": c or "", "message": d} for s, c, d in errors]
    channels |= {c for _, c, _ in errors if c}
    result.channels = sorted(channels)
    return result


async def unfinished_jobs(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> int:
    """Steps of the transaction still pending: a run that stopped before its end leaves some."""
    count = await session.scalar(
        select(func.count()).select_from(Job).join(Notification, Job.notification_id == Notification.id).where(
            Notification.environment_id == environment_id, Notification.transaction_id == transaction_id,
            Job.status == "pending",
        )
    )
    return int(count or 0)


async def settle(
    *, session: AsyncSession, occurrence_id: int, status: str, recipients: int, data: dict[str, Any]
) -> None:
    """Record a status; a final status is never changed again."""
    await session.execute(
        update(Occurrence)
        .where(Occurrence.id == occurrence_id, Occurrence.status.not_in(FINAL))
        .values(status=status, recipients=recipients, data=data)
    )
