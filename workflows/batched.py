"""A batched run: the events of one bulk call that target one workflow, in one workflow execution.

Each event keeps its own transaction: its context (payload, actor, tenant, overrides), its run key
(``trigger:<env>:<tx>``, the key a single trigger's run has, so ledger idempotency keys are the same
whichever way the event came), its step sequence as a coroutine, and its own cancel (a signal naming
its transaction id). Channel steps reached together are sent in one activity (``workflows.coalesce``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from core.batched import BatchedInput
from core.payloads import Batch, RunInput, RunResult, TriggerInput
from core.run_identity import (
    BATCHED_TRIGGER_WORKFLOW,
    CANCEL_TRANSACTION_SIGNAL,
    TRANSACTION_RESULT_QUERY,
    trigger_attributes,
    trigger_summary,
    trigger_workflow_id,
)
from workflows.actions.base import FAST_FORWARD_SIGNAL
from workflows.coalesce import CoalescedSends
from workflows.step_sequence import run_steps
from workflows.trigger import TriggerWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.batched import BatchedActivities
    from activities.live import LiveActivities, RunClosed
    from core.batched import ClaimInput

BOOKKEEPING = timedelta(minutes=2)


@workflow.defn(name=BATCHED_TRIGGER_WORKFLOW)
class BatchedTriggerWorkflow:
    def __init__(self) -> None:
        # Fast-forward ends the delays of every event of the run (``GET /v1/events/pending``).
        self.fast_forwarded = False
        self._runs: dict[str, asyncio.Task[RunResult]] = {}
        self._cancelled: set[str] = set()
        self._total = RunResult(runs=0)  # the run's result; its ``transactions`` fill as each one completes

    @workflow.signal(name=FAST_FORWARD_SIGNAL)
    def fast_forward(self) -> None:
        self.fast_forwarded = True

    @workflow.signal(name=CANCEL_TRANSACTION_SIGNAL)
    def cancel_transaction(self, transaction_id: str) -> None:
        """Cancel one transaction of the run (``DELETE /v1/events/trigger/{transactionId}``); the rest go on."""
        self._cancelled.add(transaction_id)
        if (run := self._runs.get(transaction_id)) is not None:
            run.cancel()

    @workflow.query(name=TRANSACTION_RESULT_QUERY)
    def transaction_result(self, transaction_id: str) -> RunResult | None:
        """One transaction's own result once it has completed (None: not one of this run's, or not done)."""
        return self._total.transactions.get(transaction_id)

    @workflow.run
    async def run(self, inp: BatchedInput) -> RunResult:
        """Deliver every event once: claim the transaction ids, run their steps together, announce each close."""
        events = list({e.context.transaction_id: e for e in reversed(inp.events)}.values())[::-1]  # first one wins
        total = self._total
        # Topics and long lists keep their own trigger workflow, as every bulk event had before.
        started = await asyncio.gather(*(self._start_alone(e) for e in events if not e.fits_inline()))
        total.runs += sum(started)
        inline = [e for e in events if e.fits_inline()]
        if not inline:
            return total
        claim = await workflow.execute_activity_method(
            BatchedActivities.claim_transactions,
            ClaimInput(environment_id=inline[0].context.environment_id, owner=workflow.info().workflow_id,
                       transaction_ids=[e.context.transaction_id for e in inline]),
            start_to_close_timeout=BOOKKEEPING,
        )
        owned = set(claim.owned) - self._cancelled
        send = CoalescedSends()
        mine = [e for e in inline if e.context.transaction_id in owned]
        for event in mine:
            self._runs[event.context.transaction_id] = asyncio.create_task(self._deliver(event, send))
        workflow.set_current_details(f"delivering {len(mine)} event(s) of {len(inp.events)}")
        try:
            outcomes = await asyncio.gather(*self._runs.values(), return_exceptions=True)
        except asyncio.CancelledError:  # the whole run was cancelled (from the Temporal UI, say)
            await self._closed([RunClosed(environment_id=e.context.environment_id, outcome="cancelled",
                                          transaction_id=e.context.transaction_id,
                                          workflow_identifier=e.context.workflow.identifier) for e in mine])
            raise
        closed: list[RunClosed] = []
        for event, outcome in zip(mine, outcomes, strict=True):
            ctx = event.context
            how, recipients, error = "completed", 0, None
            if isinstance(outcome, RunResult):
                total.add(outcome)
                total.transactions[ctx.transaction_id] = outcome
                recipients = outcome.recipients
            elif isinstance(outcome, asyncio.CancelledError):
                how = "cancelled"
            else:
                how, error = "failed", str(outcome)
                workflow.logger.warning("transaction %s failed: %s", ctx.transaction_id, outcome)
            closed.append(RunClosed(environment_id=ctx.environment_id, transaction_id=ctx.transaction_id,
                                    workflow_identifier=ctx.workflow.identifier, outcome=how,
                                    recipients=recipients, error=error))
        await self._closed(closed)
        if len(mine) < len(inline):
            total.notes.append(f"{len(inline) - len(mine)} event(s) left out: run before, or cancelled")
        return total

    async def _deliver(self, event: TriggerInput, send: CoalescedSends) -> RunResult:
        ctx = event.context
        batch = Batch(key=trigger_workflow_id(ctx.environment_id, ctx.transaction_id), kind="inline",
                      subscribers=event.subscribers)
        return await run_steps(RunInput(context=ctx, batch=batch, policy=event.policy), tag_subscribers=False,
                               send=send)

    async def _closed(self, closed: list[RunClosed]) -> None:
        if not closed:
            return
        try:
            await workflow.execute_local_activity_method(
                LiveActivities.publish_runs_closed, closed, start_to_close_timeout=timedelta(seconds=30)
            )
        except FailureError:
            workflow.logger.warning("the workflow.run.* events of %d transaction(s) were not published", len(closed))

    async def _start_alone(self, event: TriggerInput) -> bool:
        ctx = event.context
        try:
            await workflow.start_child_workflow(
                TriggerWorkflow.run, event, id=trigger_workflow_id(ctx.environment_id, ctx.transaction_id),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, parent_close_policy=ParentClosePolicy.ABANDON,
                search_attributes=trigger_attributes(event), static_summary=trigger_summary(event),
            )
        except WorkflowAlreadyStartedError:
            return False
        return True
