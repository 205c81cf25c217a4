"""Open/click tracking of email: the environment's switch (in ``environments.settings``) and the
message a tracking token names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Environment, Message

_SETTING = "emailTracking"


@dataclass(frozen=True)
class Tracking:
    """Off by default: tracking changes the mail people receive, so an operator opts in."""

    opens: bool = False
    clicks: bool = False

    @property
    def on(self) -> bool:
        return self.opens or self.clicks


async def get(*, session: AsyncSession, environment_id: uuid.UUID) -> Tracking:
    settings = await session.scalar(select(Environment.settings).where(Environment.id == environment_id))
    stored = (settings or {}).get(_SETTING) or {}
    return Tracking(opens=bool(stored.get("opens")), clicks=bool(stored.get("clicks")))


async def put(*, session: AsyncSession, environment_id: uuid.UUID, tracking: Tracking) -> None:
    env = await session.get(Environment, environment_id)
    if env is not None:
        # A new dict, so the JSON column sees the change.
        env.settings = {**(env.settings or {}), _SETTING: {"opens": tracking.opens, "clicks": tracking.clicks}}


async def message_by_key(*, session: AsyncSession, environment_id: uuid.UUID, key: str) -> Message | None:
    return await session.scalar(select(Message).where(
        Message.environment_id == environment_id, Message.idempotency_key == key))
