"""Which deliveries of a transaction a re-drive may send again, and reopening them.

A delivery qualifies when it ended failed (its job ``failed``) or with an unknown outcome (its
message kept as ``warning`` with ``UNKNOWN_PREFIX``: the worker stopped mid-send under ``at_most_once``).
The message table has no column of its own for that outcome, so the prefix is the one definition:
``activities.unknown_outcome`` writes its text from it, and ``is_unknown`` and the query read it.
A re-drive picks either kind, or only one (``include``), and says of each which it was. A delivery that was
sent, skipped, or is still running never qualifies, so a re-drive cannot send it twice: reopening
deletes only failed or unknown message rows, and the step activity then finds the same idempotency
key free and the job open, exactly as on the first attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import Job, Message, Notification

CHANNEL_STEPS = frozenset({"in_app", "email", "sms", "chat", "push", "webhook"})
UNKNOWN_PREFIX = "outcome unknown"
UNKNOWN_STATUS = "warning"
STATES = ("failed", "unknown")
# Message rows a reopen may delete: a failure, or a send whose outcome is unknown. Never "sent".
REOPENABLE_MESSAGES = ("error", "warning")


@dataclass(frozen=True)
class Redrivable:
    run_key: str
    step_id: str
    channel: str
    subscriber_id: str
    state: str  # failed, unknown


def is_unknown(status: str | None, error_text: str | None) -> bool:
    """A message whose send was cut off by a dying worker and not sent again (policy at_most_once)."""
    return status == UNKNOWN_STATUS and (error_text or "").startswith(UNKNOWN_PREFIX)


def _unknown(message: Message | None) -> bool:
    return message is not None and is_unknown(message.status, message.error_text)


async def redrivable(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str,
    subscriber_ids: Collection[str] = (), channels: Collection[str] = (), steps: Collection[str] = (),
    include: Collection[str] = STATES,
) -> list[Redrivable]:
    """The transaction's failed and unknown deliveries (``include``: either or both), narrowed by subscriber,
    channel (step type) and step."""
    where = [Notification.environment_id == environment_id, Notification.transaction_id == transaction_id,
             Job.step_type.in_(sorted(CHANNEL_STEPS))]
    if subscriber_ids:
        where.append(Notification.subscriber_id.in_(list(subscriber_ids)))
    if channels:
        where.append(Job.step_type.in_(list(channels)))
    if steps:
        where.append(Job.step_id.in_(list(steps)))
    rows = await session.execute(
        select(Notification.temporal_workflow_id, Notification.subscriber_id, Job.step_id, Job.step_type, Job.status,
               Message)
        .join(Job, Job.notification_id == Notification.id)
        .outerjoin(Message, and_(Message.notification_id == Notification.id, Message.step_id == Job.step_id))
        .where(*where, or_(Job.status == "failed", and_(Message.status == UNKNOWN_STATUS,
                                                          Message.error_text.like(f"{UNKNOWN_PREFIX}%"))))
        .order_by(Notification.subscriber_id, Job.created_at)
    )
    found: list[Redrivable] = []
    for run_key, subscriber_id, step_id, step_type, status, message in rows:
        state = "unknown" if _unknown(message) else "failed" if status == "failed" else None
        if state is not None and state in include:
            found.append(Redrivable(run_key, step_id, step_type, subscriber_id, state))
    return found


async def reopen(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str, run_key: str, step_id: str,
    subscriber_ids: Sequence[str],
) -> list[tuple[Notification, Job]]:
    """Reopen the named deliveries that are still failed or unknown (a retried call reopens none twice)."""
    current = await redrivable(session=session, environment_id=environment_id, transaction_id=transaction_id,
                               subscriber_ids=subscriber_ids, steps=[step_id])
    wanted = {r.subscriber_id for r in current if r.run_key == run_key}
    if not wanted:
        return []
    pairs = [(n, j) for n, j in await session.execute(
        select(Notification, Job).join(Job, Job.notification_id == Notification.id).where(
            Notification.environment_id == environment_id, Notification.transaction_id == transaction_id,
            Notification.temporal_workflow_id == run_key, Notification.subscriber_id.in_(sorted(wanted)),
            Job.step_id == step_id,
        )
    )]
    keys = [f"{run_key}:{step_id}:{n.subscriber_id}" for n, _ in pairs]
    await session.execute(
        delete(Message).where(Message.idempotency_key.in_(keys), Message.status.in_(REOPENABLE_MESSAGES))
    )
    await session.execute(
        update(Job).where(Job.id.in_([j.id for _, j in pairs])).values(status="running", updated_at=utcnow())
    )
    return pairs


async def transaction_exists(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> bool:
    found = await session.scalar(
        select(Notification.id).where(Notification.environment_id == environment_id,
                                      Notification.transaction_id == transaction_id).limit(1)
    )
    return found is not None
