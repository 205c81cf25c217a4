"""The shared send-slot log under concurrent reservations: two workers never take the same slot.

Each reservation is its own transaction on its own connection, as two worker processes' would be;
the slots handed out must still respect the limit in every one-second window.
"""

from __future__ import annotations

import asyncio
import bisect
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from store import send_rate
from store.engine import make_sessions
from store.models import Integration
from tests.factories import two_environments

RATE = 20


async def _integration(engine: AsyncEngine) -> uuid.UUID:
    sessions = make_sessions(engine)
    envs = await two_environments(sessions)
    async with sessions() as session, session.begin():
        row = Integration(environment_id=envs.env_a.id, provider_id="resend", channel="email", name="Resend",
                          identifier="resend", credentials="", max_per_second=RATE)
        session.add(row)
        await session.flush()
        return row.id


async def test_two_workers_reserving_at_once_never_share_a_slot(engine: AsyncEngine) -> None:
    integration_id = await _integration(engine)
    sessions = make_sessions(engine)

    async def worker() -> list[float]:
        starts: list[float] = []
        for _ in range(30):
            async with sessions() as session, session.begin():
                starts += await send_rate.reserve(session=session, integration_id=integration_id, rate=RATE,
                                                  burst=RATE, guard=0.0)
        return starts

    first, second = await asyncio.gather(worker(), worker())
    starts = sorted(first + second)
    assert len(set(starts)) == 60, "two reservations were handed the same slot"
    busiest = max(bisect.bisect_left(starts, t + 1.0) - i for i, t in enumerate(starts))
    assert busiest <= RATE
