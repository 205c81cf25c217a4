"""The retention sweeps: stream messages (event-apis.md §2.6), expired records, and each environment's
activity feed and read inbox messages (core/retention.py), in bounded batches."""

from __future__ import annotations

import logging
import time
import uuid

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from core.retention import RetentionPolicy
from store import housekeeping, retention, streams
from store.base import utcnow
from store.engine import Sessions

logger = logging.getLogger(__name__)


class SweepInput(BaseModel):
    """How much one sweep may do; the schedule's runs take the defaults."""

    # Rows of one kind deleted per statement and transaction: short locks, small WAL bursts.
    batch_size: int = Field(default=500, ge=1)
    # A sweep stops after this long and leaves the rest to the next one (the schedule runs every 60 s).
    budget_seconds: float = Field(default=30.0, gt=0)


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
        removed = purged.events + purged.deliveries + purged.occurrences + purged.idempotency
        return SweepResult(removed=removed + await self.purge_activity(inp))

    async def purge_activity(self, inp: SweepInput) -> int:
        """Each environment's old activity, read inbox messages and inbound provider events, batch by
        batch, within the budget."""
        deadline = time.monotonic() + inp.budget_seconds
        now, removed = utcnow(), 0
        async with self.sessions() as session:
            environments = await retention.policies(session=session)
        for env_id, policy in environments:
            await self._close_finished_runs(env_id, policy, inp.batch_size)
            while time.monotonic() < deadline:
                async with self.sessions() as session, session.begin():
                    read = await retention.purge_read_messages(
                        session=session, environment_id=env_id, now=now, policy=policy, limit=inp.batch_size)
                    old = await retention.purge_activity(
                        session=session, environment_id=env_id, now=now, policy=policy, limit=inp.batch_size)
                    events = await retention.purge_provider_events(
                        session=session, environment_id=env_id, before=now - policy.activity_feed,
                        limit=inp.batch_size)
                removed += read + old.total + events
                activity.heartbeat(removed)
                if max(read, old.notifications, events) < inp.batch_size:
                    break  # this environment is done; a full batch means there may be more
        # Refused requests of unknown integrations name no environment: they age out by the default.
        while time.monotonic() < deadline:
            async with self.sessions() as session, session.begin():
                events = await retention.purge_provider_events(
                    session=session, environment_id=None, before=now - RetentionPolicy().activity_feed,
                    limit=inp.batch_size)
            removed += events
            activity.heartbeat(removed)
            if events < inp.batch_size:
                break
        if removed:
            logger.info("retention removed %d row(s) of activity, read messages and provider events", removed)
        return removed

    async def _close_finished_runs(self, env_id: uuid.UUID, policy: RetentionPolicy, limit: int) -> None:
        """Old notifications still marked open: ask Temporal, and mark those whose run has ended."""
        async with self.sessions() as session:
            ids = await retention.stale_open_runs(
                session=session, environment_id=env_id, now=utcnow(), policy=policy, limit=limit)
        if not ids:
            return
        client, ended = activity.client(), []
        for workflow_id in ids:
            try:
                status = (await client.get_workflow_handle(workflow_id).describe()).status
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                status = None  # past the namespace's retention: long closed
            if status != WorkflowExecutionStatus.RUNNING:
                ended.append(workflow_id)
        async with self.sessions() as session, session.begin():
            await retention.close_runs(session=session, environment_id=env_id, workflow_ids=ended)
