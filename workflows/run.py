"""One batch of a large trigger (a page of a topic, a slice of the recipients), as a child run."""

from __future__ import annotations

from temporalio import workflow

from core.payloads import RunInput, RunResult
from workflows.step_sequence import run_steps


@workflow.defn
class RunWorkflow:
    @workflow.run
    async def run(self, inp: RunInput) -> RunResult:
        """Run every step for the recipients of ``inp.batch`` (claimed by this run's id)."""
        batch = inp.batch.model_copy(update={"key": workflow.info().workflow_id})
        return await run_steps(inp.model_copy(update={"batch": batch}), tag_subscribers=batch.kind != "inline")
