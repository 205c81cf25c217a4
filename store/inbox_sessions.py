"""What an Inbox session needs of an environment: its public identifier, HMAC keys and browser origins."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import ApiKey, Environment, SubscriberPreference

DEVELOPMENT_SLUG = "development"


def hmac_required(env: Environment) -> bool:
    """HMAC mode: as set, else off in the development environment and on everywhere else (as Novu)."""
    return env.inbox_hmac if env.inbox_hmac is not None else env.slug != DEVELOPMENT_SLUG


async def application_identifier(*, session: AsyncSession, env: Environment) -> str:
    """The environment's public identifier for the Inbox, issued on first use."""
    if env.application_identifier is None:
        # 12 random bytes: a public name, not a secret, but not guessable from the environment id either.
        env.application_identifier = secrets.token_urlsafe(12)
        await session.flush()
    return env.application_identifier


async def by_application_identifier(*, session: AsyncSession, identifier: str) -> Environment | None:
    return await session.scalar(select(Environment).where(Environment.application_identifier == identifier))


async def sealed_keys(*, session: AsyncSession, environment_id: uuid.UUID) -> list[str]:
    """The sealed raw values of the environment's live API keys (keys issued before sealing have none)."""
    rows = await session.scalars(
        select(ApiKey.sealed_key)
        .where(ApiKey.environment_id == environment_id, ApiKey.revoked_at.is_(None), ApiKey.sealed_key.is_not(None))
        .order_by(ApiKey.created_at)
    )
    return [row for row in rows if row]


async def seal_key(*, session: AsyncSession, key_id: uuid.UUID, raw: str, seal: Callable[[str], str]) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(sealed_key=seal(raw)))


async def set_inbox_hmac(*, session: AsyncSession, env: Environment, hmac: bool | None) -> None:
    """``None`` goes back to the default of ``hmac_required``."""
    env.inbox_hmac = hmac
    await session.flush()


async def set_cors_origins(*, session: AsyncSession, env: Environment, origins: Sequence[str] | None) -> None:
    """``None`` goes back to the settings' default origins."""
    env.cors_origins = list(origins) if origins is not None else None
    await session.flush()


async def all_cors_origins(*, session: AsyncSession) -> set[str]:
    """Every origin some environment allows: a preflight carries no credential, so it is checked against these."""
    rows = await session.scalars(select(Environment.cors_origins).where(Environment.cors_origins.is_not(None)))
    return {origin for row in rows for origin in (row or [])}


async def schedule_of(*, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID) -> Any:
    return await session.scalar(
        select(SubscriberPreference.schedule).where(
            SubscriberPreference.environment_id == environment_id, SubscriberPreference.subscriber_pk == subscriber_pk,
            SubscriberPreference.workflow_id.is_(None),
        ).order_by(SubscriberPreference.id).limit(1)
    )  # fmt: skip


async def set_schedule(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID, schedule: dict[str, Any]
) -> None:
    await session.execute(
        update(SubscriberPreference).where(
            SubscriberPreference.environment_id == environment_id, SubscriberPreference.subscriber_pk == subscriber_pk,
            SubscriberPreference.workflow_id.is_(None),
        ).values(schedule=schedule, updated_at=utcnow())
    )  # fmt: skip
