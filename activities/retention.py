"""The stream retention sweep: delete every topic's expired messages (event-apis.md §2.6)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from store import housekeeping, streams
from store.base import utcnow
from store.engine import Sessions


class SweepInput(BaseModel):
    """Nothing to say: the sweep covers every topic of every environment."""


class SweepResult(BaseModel):
    removed: int = 0


class RetentionActivities:
    def __init__(self, *, sessions: Sessions) -> None:
        self.sessions = sessions

    @activity.defn(name="sweep_stream_retention")
    async def sweep_stream_retention(self, inp: SweepInput) -> SweepResult:
        # Reads already hide expired messages; this only reclaims the space and records the prefix.
        async with self.sessions() as session:
            removed = await streams.sweep_expired(session=session, now=utcnow())
            await session.commit()
        return SweepResult(removed=removed)

    @activity.defn(name="purge_expired_records")
    async def purge_expired_records(self, inp: SweepInput) -> SweepResult:
        # Published events and finished deliveries after the 14-day replay horizon, occurrences
        # after 30 days, idempotency records once expired (shared/event-apis.md §0.7, §4.4).
        async with self.sessions() as session:
            purged = await housekeeping.purge(session=session, now=utcnow())
            await session.commit()
        return SweepResult(removed=purged.events + purged.deliveries + purged.occurrences + purged.idempotency)
