"""Re-drive: send again the deliveries of a transaction that ended failed or with an unknown outcome.

Each group (one run and step of the original transaction) is reopened, then sent by the same step
activity in the original run's name (its batch key), so every delivery keeps its idempotency key:
a delivery that was sent is never reopened and never sent twice.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from core.redrive_payloads import REDRIVE_WORKFLOW, RedriveInput, RedriveResult

with workflow.unsafe.imports_passed_through():
    from activities.dispatch import DispatchActivities
    from activities.redrive import RedriveActivities
    from core.payloads import Batch, RunResult, StepInput
    from core.redrive_payloads import ReopenInput


@workflow.defn(name=REDRIVE_WORKFLOW)
class RedriveWorkflow:
    @workflow.run
    async def run(self, inp: RedriveInput) -> RedriveResult:
        policy = inp.policy
        retry = RetryPolicy(
            initial_interval=timedelta(seconds=policy.initial_interval_seconds), backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=policy.max_interval_seconds), maximum_attempts=policy.max_attempts,
            non_retryable_error_types=["unknown_step"],
        )
        outcome = RedriveResult()
        outcomes = []
        for group in inp.groups:
            step = group.context.workflow.steps[group.step_index]
            workflow.set_current_details(f"re-driving {step.type} {step.id!r} of {group.run_key}")
            reopened = await workflow.execute_activity_method(
                RedriveActivities.reopen_deliveries,
                ReopenInput(environment_id=inp.environment_id, transaction_id=inp.transaction_id,
                            run_key=group.run_key, step_id=step.id, subscriber_ids=group.subscriber_ids,
                            redrive_id=workflow.info().workflow_id),
                start_to_close_timeout=timedelta(minutes=2), retry_policy=retry, summary=f"reopen {step.id}",
            )
            if not reopened.reopened:
                continue
            outcome.reopened += len(reopened.reopened)
            outcomes.append(await workflow.execute_activity_method(
                DispatchActivities.send_step,
                StepInput(context=group.context, batch=Batch(key=group.run_key, kind="inline"),
                          step_index=group.step_index, max_attempts=policy.max_attempts),
                start_to_close_timeout=timedelta(seconds=policy.step_timeout_seconds),
                heartbeat_timeout=timedelta(seconds=policy.heartbeat_seconds),
                retry_policy=retry, summary=f"{step.type} {step.id} (re-drive)",
            ))
        outcome.result = RunResult.of(outcomes)
        workflow.set_current_details(f"done: {outcome.reopened} re-driven, {outcome.result.sent} sent, "
                                     f"{outcome.result.failed} failed")
        return outcome
