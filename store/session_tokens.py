"""Minting, finding and revoking session tokens (shared/event-apis.md §0.3)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import SessionToken
from store.tenancy import hash_key

SUBSCRIBER_PREFIX = "sst_"
GROUP_PREFIX = "sgt_"
SUBSCRIBER = "subscriber"
GROUP = "group"
DEFAULT_TTL_SECONDS = 3600
MIN_TTL_SECONDS = 300
MAX_TTL_SECONDS = 86_400


def is_session_token(raw: str) -> bool:
    return raw.startswith((SUBSCRIBER_PREFIX, GROUP_PREFIX))


@dataclass(frozen=True)
class IssuedToken:
    """``raw`` is shown once; only its hash is kept."""

    raw: str
    row: SessionToken


async def mint(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    subscriber_id: str | None = None,
    group_id: uuid.UUID | None = None,
) -> IssuedToken:
    """A token for exactly one of ``subscriber_id`` or ``group_id``."""
    if (subscriber_id is None) == (group_id is None):
        raise ValueError("a session token is for one subscriber or one group")
    prefix = SUBSCRIBER_PREFIX if subscriber_id is not None else GROUP_PREFIX
    # 32 random bytes give exactly 43 url-safe characters.
    raw = prefix + secrets.token_urlsafe(32)
    row = SessionToken(
        token_hash=hash_key(raw),
        kind=SUBSCRIBER if subscriber_id is not None else GROUP,
        environment_id=environment_id,
        subscriber_id=subscriber_id,
        group_id=group_id,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    await session.flush()
    return IssuedToken(raw=raw, row=row)


async def find_live(*, session: AsyncSession, raw: str, now: datetime | None = None) -> SessionToken | None:
    """The token behind ``raw`` unless it is unknown, expired or revoked."""
    row = await session.scalar(select(SessionToken).where(SessionToken.token_hash == hash_key(raw)))
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row


async def revoke(*, session: AsyncSession, raw: str, environment_id: uuid.UUID) -> bool:
    result = await session.execute(
        update(SessionToken)
        .where(
            SessionToken.token_hash == hash_key(raw),
            SessionToken.environment_id == environment_id,
            SessionToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_group(*, session: AsyncSession, group_id: uuid.UUID) -> None:
    await session.execute(
        update(SessionToken)
        .where(SessionToken.group_id == group_id, SessionToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def is_live(*, session: AsyncSession, token_id: uuid.UUID) -> bool:
    """For open sockets: still neither expired nor revoked."""
    row = await session.get(SessionToken, token_id)
    return row is not None and row.revoked_at is None and row.expires_at > utcnow()
