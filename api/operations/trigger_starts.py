"""Starting a trigger workflow, shared by every face that triggers (Novu triggers, published events).

The API starts workflows by type name with the contract types of ``core``, so it never loads
workflow or activity code.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.errors import ServiceUnavailable
from core import log_context, metrics
from core.batched import BatchedInput
from core.payloads import SendPolicy, TriggerInput
from core.run_identity import (
    BATCHED_TRIGGER_WORKFLOW,
    TRIGGER_WORKFLOW,
    batch_groups,
    batched_attributes,
    trigger_attributes,
    trigger_summary,
    trigger_workflow_id,
)
from core.settings import Settings

logger = logging.getLogger(__name__)


def send_policy(settings: Settings) -> SendPolicy:
    return SendPolicy(max_attempts=settings.worker.send_max_attempts,
                      heartbeat_seconds=settings.worker.send_heartbeat_seconds)


async def start_trigger(client: Client, inp: TriggerInput, *, task_queue: str) -> None:
    """Start the trigger workflow; a transactionId seen before is answered without a second run."""
    workflow = inp.context.workflow.identifier
    log_context.bind(transactionId=inp.context.transaction_id, workflow=workflow)
    try:
        await client.start_workflow(
            TRIGGER_WORKFLOW,
            inp,
            id=trigger_workflow_id(inp.context.environment_id, inp.context.transaction_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=trigger_attributes(inp),
            static_summary=trigger_summary(inp),
        )
    except WorkflowAlreadyStartedError:
        metrics.TRIGGERS.labels(workflow, "duplicate").inc()
        logger.info("trigger ignored: its transactionId started a run before")
        return
    except RPCError as exc:
        metrics.TRIGGERS.labels(workflow, "unavailable").inc()
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    metrics.TRIGGERS.labels(workflow, "processed").inc()
    logger.info("trigger started for %d subscriber(s) and %d topic(s)", len(inp.subscribers), len(inp.topic_keys))


async def start_batched(
    client: Client, events: list[TriggerInput], *, task_queue: str, source: str = "a bulk trigger"
) -> None:
    """Start the events of one bulk call (or of concurrent triggers) as batched runs: one per workflow
    (and per 2 KiB of transaction ids); each run claims its transaction ids, so an id that ran before is
    not delivered again."""

    async def start(group: list[TriggerInput]) -> None:
        ctx = group[0].context
        await client.start_workflow(
            BATCHED_TRIGGER_WORKFLOW,
            BatchedInput(events=group),
            id=f"batch:{ctx.environment_id}:{uuid.uuid4().hex}",
            task_queue=task_queue,
            search_attributes=batched_attributes(ctx.environment_id, ctx.workflow.identifier, group),
            static_summary=f"{ctx.workflow.identifier}: {len(group)} event(s) of {source}",
        )

    try:
        await asyncio.gather(*(start(group) for group in batch_groups(events)))
    except RPCError as exc:
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    for event in events:
        metrics.TRIGGERS.labels(event.context.workflow.identifier, "processed").inc()
