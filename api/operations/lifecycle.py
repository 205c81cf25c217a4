"""Emitting lifecycle events through the publishing engine, exactly once per event id.

The event is recorded as a published event (unique per environment and id) and sent by a
publish workflow whose id derives from the event id, so emitting the same event twice, from a
provider's redelivery or a retried request, starts nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.operations.publishing import Publisher
from core.publishing_payloads import FanOutInput, PublishInput
from core.run_identity import PUBLISH_WORKFLOW, publish_workflow_id
from store import lifecycle_endpoints, publishing


@dataclass(frozen=True)
class LifecycleEvent:
    event_id: str
    type: str
    data: dict[str, Any]


async def record(*, session: AsyncSession, environment_id: uuid.UUID, events: Sequence[LifecycleEvent]) -> list[
        LifecycleEvent]:
    """Record the events some endpoint wants (in the caller's transaction); those are to be started."""
    wanted: list[LifecycleEvent] = []
    endpoints = await lifecycle_endpoints.list_all(session=session, environment_id=environment_id) if events else []
    for event in events:
        if not any(not e.event_types or event.type in e.event_types for e in endpoints):
            continue
        await publishing.record(session=session, environment_id=environment_id, event_id=event.event_id,
                                event_type=event.type, topics=[], audiences=None, data=event.data)
        wanted.append(event)
    return wanted


async def start(*, temporal: Client, publisher: Publisher, environment_id: uuid.UUID,
                events: Sequence[LifecycleEvent]) -> None:
    """Start each recorded event's publish workflow; one already started is left alone."""
    for event in events:
        fan_out = FanOutInput(environment_id=str(environment_id), event_id=event.event_id, type=event.type, topics=[],
                              data=event.data, lifecycle=True)
        with suppress(WorkflowAlreadyStartedError):
            await temporal.start_workflow(
                PUBLISH_WORKFLOW, PublishInput(event=fan_out, trigger=None, policy=publisher.policy()),
                id=publish_workflow_id(str(environment_id), event.event_id), task_queue=publisher.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, static_summary=f"lifecycle {event.type}",
            )
