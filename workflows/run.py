"""One batch of a large trigger (a page of a topic, a slice of the recipients), as a child run."""

from __future__ import annotations

from temporalio import workflow

from core.payloads import RunInput, RunResult
from workflows.actions.base import FAST_FORWARD_SIGNAL
from workflows.step_sequence import run_steps


@workflow.defn
class RunWorkflow:
    def __init__(self) -> None:
        self.fast_forwarded = False

    @workflow.signal(name=FAST_FORWARD_SIGNAL)
    def fast_forward(self) -> None:
        """End the delay this run waits in now (``POST /v1/events/pending/fast-forward``)."""
        self.fast_forwarded = True

    @workflow.run
    async def run(self, inp: RunInput) -> RunResult:
        """Run every step for the recipients of ``inp.batch`` (claimed by this run's id)."""
        batch = inp.batch.model_copy(update={"key": workflow.info().workflow_id})
        return await run_steps(inp.model_copy(update={"batch": batch}), tag_subscribers=batch.kind != "inline")
