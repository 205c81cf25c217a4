"""Temporal schedules that Clarion's workers create at start, idempotently."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from activities.retention import SweepInput
from workflows.retention import StreamRetentionWorkflow

logger = logging.getLogger(__name__)
SWEEP_EVERY = timedelta(seconds=60)


def retention_schedule_id(task_queue: str) -> str:
    # Per task queue: a schedule must start its runs where a worker of this deployment polls.
    return f"clarion-stream-retention:{task_queue}"


async def ensure_retention_schedule(client: Client, task_queue: str) -> bool:
    """Create the stream retention schedule unless it exists; True when this call created it."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            StreamRetentionWorkflow.run,
            SweepInput(),
            id=f"stream-retention:{task_queue}",
            task_queue=task_queue,
            execution_timeout=SWEEP_EVERY - timedelta(seconds=5),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=SWEEP_EVERY)]),
        # A slow sweep is not doubled up; the next tick picks up whatever it left.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(retention_schedule_id(task_queue), schedule)
    except ScheduleAlreadyRunningError:
        return False
    logger.info("created the stream retention schedule for task queue %r", task_queue)
    return True
