"""One retention sweep (lifecycle events whose start was lost, stream messages, then expired records); a
Temporal schedule starts it every 60 s (clarion/schedules.py)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.retention import RetentionActivities, SweepInput, SweepResult


@workflow.defn(name="StreamRetention")
class StreamRetentionWorkflow:
    @workflow.run
    async def run(self, inp: SweepInput) -> SweepResult:
        # The next scheduled run retries anyway; a few attempts ride out a brief database outage.
        retry = RetryPolicy(maximum_attempts=3)
        started = SweepResult()
        if workflow.patched("sweep-lifecycle-outbox"):
            # First: a lost lifecycle event waits at most one period, not behind a long purge.
            # By name: the activity lives with the lifecycle emitter (activities/lifecycle.py).
            try:
                started = await workflow.execute_activity(
                    "sweep_lifecycle_outbox", inp, result_type=SweepResult,
                    start_to_close_timeout=timedelta(seconds=25), retry_policy=retry,
                )
            except ActivityError:  # the purges still run; the next tick sweeps again
                workflow.logger.warning("lifecycle outbox sweep failed", exc_info=True)
        swept = await workflow.execute_activity_method(
            RetentionActivities.sweep_stream_retention, inp, start_to_close_timeout=timedelta(seconds=50),
            retry_policy=retry,
        )
        if workflow.patched("purge-expired-records"):
            purged = await workflow.execute_activity_method(
                RetentionActivities.purge_expired_records, inp, start_to_close_timeout=timedelta(seconds=50),
                retry_policy=retry,
            )
            swept.removed += purged.removed
        swept.removed += started.removed
        return swept
