"""One webhook delivery series: attempts on a jittered schedule, then success or a dead letter (§1.8).

Workflow id ``wh:{subscriptionId}:{eventId}`` (replays: ``…:r{n}``). Waits are workflow timers and
each attempt is one activity with no Temporal retry, so a crash costs at most the attempt in
flight, resent with the same ``webhook-id``.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from core.run_identity import WEBHOOK_DELIVERY_WORKFLOW

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from core.publishing_payloads import AttemptInput, AttemptResult, DeliveryInput, FinishInput

__all__ = ["DeliveryInput", "WebhookDeliveryWorkflow"]
NO_RETRY = RetryPolicy(maximum_attempts=1)
HEARTBEAT = timedelta(seconds=10)


@workflow.defn(name=WEBHOOK_DELIVERY_WORKFLOW)
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliveryInput) -> str:
        """Attempt until success, 410, the last attempt or the end of the window; the final status."""
        own, policy = workflow.info().workflow_id, inp.policy
        first = workflow.now()
        number = 0
        while True:
            number += 1
            base = policy.base_waits[min(number - 1, len(policy.base_waits) - 1)]
            wait = base * workflow.random().uniform(0.8, 1.2)
            workflow.set_current_details(f"attempt {number} of {inp.max_attempts}")
            try:
                result = await workflow.execute_activity_method(
                    WebhookActivities.attempt_webhook,
                    AttemptInput(delivery_id=inp.delivery_id, attempt_key=f"{own}:{number}", number=number,
                                 policy=policy, wait_if_failed=wait),
                    start_to_close_timeout=timedelta(seconds=policy.timeout_seconds + 15),
                    heartbeat_timeout=HEARTBEAT, retry_policy=NO_RETRY,
                )
            except ActivityError:  # the worker died mid-attempt: that attempt failed
                result = AttemptResult(outcome="failed")
            if result.outcome in ("succeeded", "missing"):
                return result.outcome
            if result.outcome == "gone":
                return await self._deadletter(inp, disable=True)
            if number >= inp.max_attempts:
                return await self._deadletter(inp, disable=False)
            delay = max(wait, result.retry_after_seconds or 0.0)  # Retry-After arrives capped at 1 h
            if (workflow.now() - first).total_seconds() + delay > policy.window_seconds:
                return await self._deadletter(inp, disable=False)
            await workflow.sleep(delay)

    async def _deadletter(self, inp: DeliveryInput, *, disable: bool) -> str:
        await workflow.execute_activity_method(
            WebhookActivities.finish_webhook,
            FinishInput(delivery_id=inp.delivery_id, status="deadlettered", disable=disable),
            start_to_close_timeout=timedelta(seconds=60),
        )
        return "deadlettered"
