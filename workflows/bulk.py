"""A bulk trigger: one workflow start for up to 100 events, each then its own trigger workflow."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from core.payloads import BulkInput, TriggerInput
from core.run_identity import BULK_TRIGGER_WORKFLOW, trigger_attributes, trigger_summary, trigger_workflow_id
from workflows.trigger import TriggerWorkflow

CHUNK = 25


@workflow.defn(name=BULK_TRIGGER_WORKFLOW)
class BulkTriggerWorkflow:
    @workflow.run
    async def run(self, inp: BulkInput) -> int:
        """Start every event's trigger workflow (abandoned, so they outlive this one); return how many started.

        A trigger workflow's id comes from its transactionId, so an event repeated in the bulk or
        triggered before is not started twice.
        """

        async def start(event: TriggerInput) -> bool:
            ctx = event.context
            try:
                await workflow.start_child_workflow(
                    TriggerWorkflow.run,
                    event,
                    id=trigger_workflow_id(ctx.environment_id, ctx.transaction_id),
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    parent_close_policy=ParentClosePolicy.ABANDON,
                    search_attributes=trigger_attributes(event),
                    static_summary=trigger_summary(event),
                )
            except WorkflowAlreadyStartedError:
                return False
            return True

        # Started together, a chunk per workflow task: one task building 100 child starts can pass the
        # sandbox's 2-second deadlock limit on a busy worker.
        started = 0
        for first in range(0, len(inp.events), CHUNK):
            started += sum(await asyncio.gather(*(start(e) for e in inp.events[first : first + CHUNK])))
        return started
