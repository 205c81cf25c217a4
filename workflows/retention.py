"""One retention sweep (stream messages, then expired records); a Temporal schedule starts it every 60 s
(clarion/schedules.py)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.retention import RetentionActivities, SweepInput, SweepResult


@workflow.defn(name="StreamRetention")
class StreamRetentionWorkflow:
    @workflow.run
    async def run(self, inp: SweepInput) -> SweepResult:
        # The next scheduled run retries anyway; a few attempts ride out a brief database outage.
        retry = RetryPolicy(maximum_attempts=3)
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
        return swept
