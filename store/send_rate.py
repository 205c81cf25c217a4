"""Send slots of rate-limited integrations, reserved in one row per integration that all workers share.

``reserve`` answers when the caller may send: never more than ``per_window`` sends start in any
window of ``window`` seconds (a sliding-window log of the last starts), no more than ``burst`` of
them back to back (after a burst the next waits ``burst / rate``), and none before a provider's
``Retry-After`` ends. The row is written before it is read (the insert-if-absent, then ``FOR UPDATE``
on PostgreSQL), so on PostgreSQL the row lock and on SQLite the database write lock make two
workers take turns: they never take the same slot. (On SQLite a read alone starts no transaction,
so a read-then-write let two workers hand out the same slots.)
"""

from __future__ import annotations

import math
import time
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.bulk import insert_ignoring_conflicts
from store.models import SendRateBucket


def window_for(rate: float) -> tuple[int, float]:
    """The (count, seconds) the limit is kept over: 50/s is 50 per 1 s, 0.5/s is 1 per 2 s."""
    count = max(1, math.floor(rate))
    return count, count / rate


async def _row(session: AsyncSession, integration_id: uuid.UUID) -> SendRateBucket:
    await session.execute(insert_ignoring_conflicts(session, SendRateBucket).values(
        integration_id=integration_id, slots=[], paused_until=0.0))
    query = select(SendRateBucket).where(SendRateBucket.integration_id == integration_id).with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    assert row is not None
    return row


async def reserve(
    *, session: AsyncSession, integration_id: uuid.UUID, rate: float, burst: int, guard: float, n: int = 1,
) -> list[float]:
    """Take the next ``n`` free send slots and return their start times (epoch seconds, not in the past)."""
    row = await _row(session, integration_id)
    now = time.time()  # read under the row lock, so slots are handed out in time order
    count, window = window_for(rate)
    burst = max(1, min(burst, count))
    slots = [s for s in row.slots if s > now - window - guard]  # older starts constrain nothing
    starts: list[float] = []
    for _ in range(n):
        start = max(now, row.paused_until, slots[-1] if slots else 0.0)
        if len(slots) >= count:
            start = max(start, slots[-count] + window + guard)
        if len(slots) >= burst:
            start = max(start, slots[-burst] + burst / rate)
        slots = [*slots, start][-count:]
        starts.append(start)
    row.slots = slots
    return starts


async def pause(*, session: AsyncSession, integration_id: uuid.UUID, until: float) -> None:
    """A provider asked to wait (429 ``Retry-After``): no slot starts before ``until``."""
    row = await _row(session, integration_id)
    row.paused_until = max(row.paused_until, until)

