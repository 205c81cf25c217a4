"""The raw Temporal baseline: one workflow, two no-op activities, nothing of Clarion.

Imported by the raw worker process (``_raw_worker.py``) and by the benchmark (which only starts it);
a module of its own, so the workflow sandbox can re-import it by name.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

# A workflow type no worker polls (on a task queue no worker polls): the pure start ceiling.
UNPOLLED_WORKFLOW = "BenchUnpolledWorkflow"
UNPOLLED_QUEUE = "bench-unpolled"
RAW_QUEUE = "bench-raw"


@activity.defn
async def noop_first(value: int) -> int:
    return value


@activity.defn
async def noop_second(value: int) -> int:
    return value


@workflow.defn
class RawWorkflow:
    @workflow.run
    async def run(self, value: int) -> int:
        first = await workflow.execute_activity(noop_first, value, start_to_close_timeout=timedelta(seconds=60))
        return await workflow.execute_activity(noop_second, first, start_to_close_timeout=timedelta(seconds=60))
