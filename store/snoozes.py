"""Snoozing in-app messages: hide one until a time, bring it back early, and wake those whose time came."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import Message

# Coming back means "new again": unread and unseen, as Novu redelivers a snoozed notification.
_BACK = {"snoozed_until": None, "read": False, "seen": False, "seen_at": None, "read_at": None, "archived": False,
         "archived_at": None}


async def snooze(*, session: AsyncSession, message: Message, until: datetime) -> None:
    await session.execute(
        update(Message).where(Message.id == message.id, Message.environment_id == message.environment_id)
        .values(snoozed_until=until, updated_at=utcnow()).execution_options(synchronize_session=False)
    )  # fmt: skip


async def unsnooze(*, session: AsyncSession, message: Message) -> None:
    await session.execute(
        update(Message).where(Message.id == message.id, Message.environment_id == message.environment_id)
        .values(**_BACK, updated_at=utcnow()).execution_options(synchronize_session=False)
    )  # fmt: skip


async def wake_due(*, session: AsyncSession, now: datetime | None = None, limit: int = 500) -> list[Message]:
    """Messages whose snooze has ended, claimed by clearing ``snoozed_until`` and made unread and unseen again.

    The claim is one UPDATE per row guarded by its old value, so when several API processes sweep at
    once each message wakes (and is announced) exactly once.
    """
    now = now or utcnow()
    due = list(await session.scalars(
        select(Message)
        .where(Message.snoozed_until.is_not(None), Message.snoozed_until <= now, Message.deleted.is_(False))
        .order_by(Message.snoozed_until).limit(limit)
    ))  # fmt: skip
    woken: list[Message] = []
    for m in due:
        result = await session.execute(
            update(Message).where(Message.id == m.id, Message.snoozed_until == m.snoozed_until)
            .values(**_BACK, updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if result.rowcount:  # type: ignore[attr-defined]
            woken.append(m)
    return woken
