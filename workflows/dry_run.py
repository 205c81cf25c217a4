"""A dry run as a workflow: the API starts it by name and waits for its answer (one activity)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from core.dry_run_payloads import DRY_RUN_WORKFLOW, DryRunInput, DryRunResult

with workflow.unsafe.imports_passed_through():
    from activities.dry_run import DryRunActivities


@workflow.defn(name=DRY_RUN_WORKFLOW)
class DryRunWorkflow:
    @workflow.run
    async def run(self, inp: DryRunInput) -> DryRunResult:
        return await workflow.execute_activity_method(
            DryRunActivities.dry_run, inp, start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_attempts=3), summary="dry run",
        )
