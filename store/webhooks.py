"""Webhook subscriptions, their sealed secrets, deliveries and attempts (shared/event-apis.md §1.7-1.8)."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_ignoring_conflicts
from store.crypto import CredentialCipher
from store.models import Topic, WebhookAttempt, WebhookDelivery, WebhookSubscription

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_webhook_id(now_ms: int | None = None) -> str:
    """``msg_`` + a 26-character ULID (48-bit milliseconds, 80 random bits, Crockford base32)."""
    value = ((now_ms if now_ms is not None else int(time.time() * 1000)) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "msg_" + "".join(reversed(chars))


MAX_SECRETS = 3
IN_PROGRESS = ("pending", "retrying")


@dataclass(frozen=True)
class Secret:
    value: str
    created_at: datetime
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


def open_secrets(cipher: CredentialCipher, sub: WebhookSubscription) -> list[Secret]:
    """Every stored secret, newest first."""
    return [
        Secret(e["secret"], datetime.fromisoformat(e["createdAt"]),
               datetime.fromisoformat(e["expiresAt"]) if e.get("expiresAt") else None)
        for e in cipher.open(sub.secrets).get("secrets", [])
    ]


def seal_secrets(cipher: CredentialCipher, entries: Sequence[Secret]) -> str:
    return cipher.seal({"secrets": [
        {"secret": e.value, "createdAt": e.created_at.isoformat(),
         "expiresAt": e.expires_at.isoformat() if e.expires_at else None}
        for e in entries
    ]})


def signing_secrets(cipher: CredentialCipher, sub: WebhookSubscription, now: datetime | None = None) -> list[str]:
    """The secrets that sign now: the current one and those still in their overlap, at most 3."""
    moment = now or utcnow()
    return [s.value for s in open_secrets(cipher, sub) if s.live(moment)][:MAX_SECRETS]


def rotate(cipher: CredentialCipher, sub: WebhookSubscription, new: str, overlap_seconds: int) -> datetime:
    """Make ``new`` current; the previous one signs ``overlap_seconds`` more; the oldest drop beyond 3."""
    now = utcnow()
    expires = now + timedelta(seconds=overlap_seconds)
    kept = [Secret(s.value, s.created_at, min(s.expires_at or expires, expires))
            for s in open_secrets(cipher, sub) if s.live(now)]
    sub.secrets = seal_secrets(cipher, [Secret(new, now), *kept][:MAX_SECRETS])
    sub.updated_at = now
    return expires


async def get_subscription(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    return await session.scalar(select(WebhookSubscription).where(
        WebhookSubscription.environment_id == environment_id, WebhookSubscription.topic_id == topic_id,
        WebhookSubscription.id == subscription_id,
    ))


async def list_subscriptions(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_id: uuid.UUID
) -> list[WebhookSubscription]:
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.environment_id == environment_id, WebhookSubscription.topic_id == topic_id)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return list(rows)


async def add_subscription(*, session: AsyncSession, subscription: WebhookSubscription) -> None:
    """Stage a new subscription; the caller commits."""
    session.add(subscription)


async def delete_subscription(*, session: AsyncSession, subscription: WebhookSubscription) -> None:
    """Stage the subscription's removal; the caller commits."""
    await session.delete(subscription)


async def topic_of(*, session: AsyncSession, subscription: WebhookSubscription) -> Topic | None:
    return await session.get(Topic, subscription.topic_id)


async def create_delivery(
    *, session: AsyncSession, environment_id: uuid.UUID, subscription: WebhookSubscription, event_id: str,
    event_type: str, topic: str, status: str, workflow_id: str | None,
) -> WebhookDelivery:
    """The delivery of ``event_id`` to ``subscription``, inserted once (a retried activity reads it back)."""
    now = utcnow()
    await session.execute(insert_ignoring_conflicts(session, WebhookDelivery).values(
        id=uuid.uuid4(), environment_id=environment_id, subscription_id=subscription.id, event_id=event_id,
        event_type=event_type, topic=topic, webhook_id=new_webhook_id(), status=status, attempts=0,
        max_attempts=subscription.max_attempts, replays=0, workflow_id=workflow_id, created_at=now, updated_at=now,
    ))
    row = await session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.event_id == event_id
    ))
    assert row is not None
    return row


async def record_attempt(
    *, session: AsyncSession, delivery: WebhookDelivery, attempt_key: str, number: int, started_at: datetime,
    duration_ms: int, status: int | None, body: str | None, error: str | None, succeeded: bool,
) -> None:
    """Store one attempt and its effect on the delivery; a repeated ``attempt_key`` changes nothing."""
    inserted = await session.execute(insert_ignoring_conflicts(session, WebhookAttempt).values(
        delivery_id=delivery.id, attempt_key=attempt_key, number=number, started_at=started_at,
        duration_ms=duration_ms, response_status=status, response_body=body, error=error, succeeded=succeeded,
    ).returning(WebhookAttempt.id))
    if inserted.scalar() is None:
        return
    delivery.attempts += 1
    delivery.last_attempt_at = started_at
    delivery.last_response_status = status
    delivery.last_response_body = body
    delivery.last_error = error
    delivery.status = "succeeded" if succeeded else "retrying"
    delivery.next_attempt_at = None
    delivery.updated_at = utcnow()


async def attempts(*, session: AsyncSession, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
    rows = await session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)
    )
    return list(rows)


async def deadletter(*, session: AsyncSession, delivery: WebhookDelivery, disable: bool) -> bool:
    """Dead-letter the delivery (once) and count it on the subscription; 410 also disables it."""
    if delivery.status == "deadlettered":
        return False
    delivery.status = "deadlettered"
    delivery.deadlettered_at = utcnow()
    delivery.next_attempt_at = None
    values: dict[str, Any] = {"deadletter_count": WebhookSubscription.deadletter_count + 1, "updated_at": utcnow()}
    if disable:
        values["enabled"] = False
    await session.execute(
        update(WebhookSubscription).where(WebhookSubscription.id == delivery.subscription_id).values(**values)
    )
    return True


async def page(
    *, session: AsyncSession, subscription_id: uuid.UUID, statuses: Sequence[str] | None, limit: int,
    cursor: uuid.UUID | None,
) -> tuple[list[WebhookDelivery], uuid.UUID | None]:
    """Newest first, keyset paged by (created_at, id); the cursor is the last delivery id of a page."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if statuses:
        query = query.where(WebhookDelivery.status.in_(list(statuses)))
    if cursor is not None:
        anchor = await session.get(WebhookDelivery, cursor)
        if anchor is None or anchor.subscription_id != subscription_id:
            raise LookupError("unknown cursor")
        query = query.where(or_(
            WebhookDelivery.created_at < anchor.created_at,
            and_(WebhookDelivery.created_at == anchor.created_at, WebhookDelivery.id < anchor.id),
        ))
    rows = list(await session.scalars(
        query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit + 1)
    ))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


async def for_replay(
    *, session: AsyncSession, subscription_id: uuid.UUID, ids: Sequence[uuid.UUID] | None = None,
    deadlettered: bool = False, window: tuple[datetime, datetime] | None = None,
) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if ids is not None:
        query = query.where(WebhookDelivery.id.in_(list(ids)))
    if deadlettered:
        query = query.where(WebhookDelivery.status == "deadlettered")
    if window is not None:
        query = query.where(WebhookDelivery.created_at >= window[0], WebhookDelivery.created_at <= window[1])
    rows = await session.scalars(query.order_by(WebhookDelivery.created_at, WebhookDelivery.id))
    # A delivery still being attempted is not replayed: its own series is under way.
    return [row for row in rows if row.status not in IN_PROGRESS]


def start_replay(delivery: WebhookDelivery, subscription: WebhookSubscription) -> str:
    """Reset the delivery for replay ``r{n}`` and return that series' workflow id."""
    if delivery.status == "deadlettered":
        subscription.deadletter_count = max(subscription.deadletter_count - 1, 0)
    delivery.replays += 1
    delivery.status = "pending"
    delivery.deadlettered_at = None
    delivery.max_attempts = subscription.max_attempts
    delivery.workflow_id = f"wh:{subscription.id}:{delivery.event_id}:r{delivery.replays}"
    delivery.updated_at = utcnow()
    return delivery.workflow_id


async def in_progress(*, session: AsyncSession, subscription_ids: Sequence[uuid.UUID]) -> list[WebhookDelivery]:
    if not subscription_ids:
        return []
    rows = await session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id.in_(list(subscription_ids)), WebhookDelivery.status.in_(IN_PROGRESS)
    ))
    return list(rows)


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def as_delivery(row: WebhookDelivery) -> dict[str, Any]:
    """The ``Delivery`` object of §1.7 (API responses and real-time events)."""
    return {
        "id": str(row.id), "eventId": row.event_id, "eventType": row.event_type,
        "subscriptionId": str(row.subscription_id), "webhookId": row.webhook_id, "status": row.status,
        "attempts": row.attempts, "maxAttempts": row.max_attempts, "createdAt": _stamp(row.created_at),
        "lastAttemptAt": _stamp(row.last_attempt_at), "nextAttemptAt": _stamp(row.next_attempt_at),
        "lastResponseStatus": row.last_response_status, "lastResponseBody": row.last_response_body,
        "lastError": row.last_error, "deadletteredAt": _stamp(row.deadlettered_at),
    }
