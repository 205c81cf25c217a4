"""Coalescing the channel steps of a batched run's events into one activity call.

Every event of a batched run runs its own step sequence (``workflows.step_sequence``) as a coroutine
of one workflow. The coroutines that reach a channel step in the same workflow task hand their
inputs to one ``send_steps`` activity call; each gets its own outcome back. An item that failed
retryably (or a call that failed as a whole) goes again through the single ``send_step`` activity
with the step's usual retry policy, so one event's trouble never holds the others.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from core.payloads import SendPolicy
from workflows.step_sequence import send_step

with workflow.unsafe.imports_passed_through():
    from activities.batched import BatchedActivities
    from core.batched import StepItem, StepItems
    from core.payloads import StepInput, StepOutcome

# The coalesced call is tried once: whatever failed in it is retried per item, with the usual policy.
ONCE = RetryPolicy(maximum_attempts=1)


class CoalescedSends:
    """A ``SendStep`` for the coroutines of one batched run (see ``run_steps(send=...)``)."""

    def __init__(self) -> None:
        self._queued: list[tuple[StepInput, asyncio.Future[StepItem | None]]] = []
        self._policy = SendPolicy()
        self._flushing = False
        self._flushes: set[asyncio.Task[None]] = set()  # referenced until done, as asyncio asks

    async def __call__(self, inp: StepInput, policy: SendPolicy, retry: RetryPolicy) -> StepOutcome:
        item = await self._enqueue(inp, policy)
        if item is not None and item.outcome is not None:
            return item.outcome
        if item is not None and item.error is not None and not item.error.retryable:
            raise ApplicationError(item.error.message, type=item.error.type, non_retryable=True)
        return await send_step(inp, policy, retry)

    async def _enqueue(self, inp: StepInput, policy: SendPolicy) -> StepItem | None:
        future: asyncio.Future[StepItem | None] = asyncio.get_running_loop().create_future()
        self._queued.append((inp, future))
        self._policy = policy
        if not self._flushing:
            self._flushing = True
            task = asyncio.create_task(self._flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self) -> None:
        # A condition is checked only once no coroutine can run on: by then every event that reaches
        # a channel step in this workflow task has queued its input.
        await workflow.wait_condition(lambda: True)
        queued, self._queued, self._flushing = self._queued, [], False
        items: list[StepItem | None] = [None] * len(queued)
        step = queued[0][0].context.workflow.steps[queued[0][0].step_index]
        try:
            result = await workflow.execute_activity_method(
                BatchedActivities.send_steps,
                StepItems(inputs=[inp for inp, _ in queued]),
                start_to_close_timeout=timedelta(seconds=self._policy.step_timeout_seconds),
                heartbeat_timeout=timedelta(seconds=self._policy.heartbeat_seconds),
                retry_policy=ONCE,
                summary=f"{len(queued)} event(s): {step.type} {step.id}",
            )
            items = list(result.items)
        except ActivityError:
            workflow.logger.warning("a coalesced send_steps call failed; its %d item(s) go one by one", len(queued))
        for (_, future), item in zip(queued, items, strict=True):
            if not future.done():  # a cancelled transaction no longer waits for its result
                future.set_result(item)
