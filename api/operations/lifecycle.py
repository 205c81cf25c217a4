"""Emitting lifecycle events through the publishing engine, exactly once per event id.

The event is recorded as a published event (unique per environment and id) and sent by a
publish workflow whose id derives from the event id, so emitting the same event twice, from a
provider's redelivery or a retried request, starts nothing new. Store writes that are events
record them in their own transaction (``store.lifecycle_outbox``); ``EmitCommitted`` starts those
once the route has committed, without waiting for any delivery, and delete the started ones'
outbox rows; a start lost to a crash or a Temporal outage is left to the worker's sweep.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import SessionDep
from api.operations.publishing import Publisher
from core.publishing_payloads import FanOutInput, PublishInput
from core.run_identity import PUBLISH_WORKFLOW, publish_workflow_id
from store import lifecycle_outbox
from store.engine import Sessions
from store.lifecycle_outbox import LifecycleEvent

__all__ = ["EmitCommitted", "LifecycleEvent", "event", "record", "start", "start_committed"]

# Starts in flight at once: a "mark all read" of many messages is many events.
_PARALLEL_STARTS = 16


def event(environment_id: uuid.UUID, event_id: str, type_: str, data: dict[str, Any]) -> LifecycleEvent:
    return LifecycleEvent(str(environment_id), event_id, type_, data)


async def record(*, session: AsyncSession, environment_id: uuid.UUID, events: Sequence[LifecycleEvent]) -> list[
        LifecycleEvent]:
    """Record the events some endpoint wants (in the caller's transaction); those are to be started."""
    return await lifecycle_outbox.record(session=session, environment_id=environment_id, events=events)


async def start(*, temporal: Client, publisher: Publisher, sessions: Sessions,
                events: Sequence[LifecycleEvent]) -> None:
    """Start each recorded event's publish workflow; one already started is left alone. The started
    ones leave the outbox; a failed start keeps its row for the sweep, and raises."""
    gate = asyncio.Semaphore(_PARALLEL_STARTS)

    async def one(e: LifecycleEvent) -> None:
        fan_out = FanOutInput(environment_id=e.environment_id, event_id=e.event_id, type=e.type, topics=[],
                              data=e.data, lifecycle=True)
        async with gate:
            with suppress(WorkflowAlreadyStartedError):
                await temporal.start_workflow(
                    PUBLISH_WORKFLOW, PublishInput(event=fan_out, trigger=None, policy=publisher.policy()),
                    id=publish_workflow_id(e.environment_id, e.event_id), task_queue=publisher.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, static_summary=f"lifecycle {e.type}",
                )

    outcomes = await asyncio.gather(*(one(e) for e in events), return_exceptions=True)
    await lifecycle_outbox.forget(sessions=sessions, events=[
        e for e, outcome in zip(events, outcomes, strict=True) if not isinstance(outcome, BaseException)])
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def start_committed(request: Request, session: AsyncSession) -> None:
    """Start the events the session's committed writes recorded (none: no work at all)."""
    events = lifecycle_outbox.take_committed(session)
    if events:
        services = request.app.state.services
        await start(temporal=services.temporal, publisher=request.app.state.publisher, sessions=services.sessions,
                    events=events)


async def _emit_committed(request: Request, session: SessionDep) -> AsyncIterator[None]:
    yield
    await start_committed(request, session)


# A router's dependency: after the route committed, its recorded lifecycle events are started.
EmitCommitted = Depends(_emit_committed)
