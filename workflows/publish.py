"""The workflow of one published event, ``publish:{envId}:{eventId}`` (shared/event-apis.md §0.6).

It starts the native trigger path as a child (topic members filtered by audience), one delivery
workflow per matching webhook subscription, and announces the event on the real-time bus. The
children are abandoned on purpose: a delivery may retry for a day, the publish is done in seconds.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from core.run_identity import PUBLISH_WORKFLOW, trigger_attributes, trigger_summary, trigger_workflow_id
from workflows.trigger import TriggerWorkflow
from workflows.webhooks import WebhookDeliveryWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.publishing import PublishingActivities
    from core.publishing_payloads import DeliveryInput, PublishInput, PublishResult


@workflow.defn(name=PUBLISH_WORKFLOW)
class PublishWorkflow:
    @workflow.run
    async def run(self, inp: PublishInput) -> PublishResult:
        triggered = False
        if inp.trigger is not None:
            ctx = inp.trigger.context
            try:
                await workflow.start_child_workflow(
                    TriggerWorkflow.run, inp.trigger, id=trigger_workflow_id(ctx.environment_id, ctx.transaction_id),
                    parent_close_policy=ParentClosePolicy.ABANDON, search_attributes=trigger_attributes(inp.trigger),
                    static_summary=trigger_summary(inp.trigger),
                )
                triggered = True
            except WorkflowAlreadyStartedError:
                pass  # the id was used by a native trigger: one namespace, so it is not run again
        starts = await workflow.execute_activity_method(
            PublishingActivities.fan_out_event, inp.event, start_to_close_timeout=timedelta(minutes=2),
        )
        for start in starts:
            with suppress(WorkflowAlreadyStartedError):  # already started by an earlier run of this task
                await workflow.start_child_workflow(
                    WebhookDeliveryWorkflow.run,
                    DeliveryInput(delivery_id=start.delivery_id, environment_id=inp.event.environment_id,
                                  max_attempts=start.max_attempts, policy=inp.policy),
                    id=start.workflow_id, parent_close_policy=ParentClosePolicy.ABANDON,
                    static_summary=f"{inp.event.type} → webhook {start.subscription_id}",
                )
        return PublishResult(triggered=triggered, deliveries=len(starts))
