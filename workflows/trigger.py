"""The workflow of one triggered event: resolve recipients, then run the steps per batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import TypedSearchAttributes
from temporalio.exceptions import FailureError
from temporalio.workflow import ParentClosePolicy

from core.payloads import RunInput, RunResult, TriggerInput
from core.run_identity import SUBSCRIBER_ID, TRIGGER_WORKFLOW
from workflows.actions.base import FAST_FORWARD_SIGNAL
from workflows.run import RunWorkflow
from workflows.step_sequence import run_steps

with workflow.unsafe.imports_passed_through():
    from activities.audience import AudienceActivities
    from activities.live import LiveActivities, RunClosed
    from activities.recipients import RecipientActivities
    from core.audience import AudiencePageInput
    from core.payloads import Batch, ResolveInput, TriggerProgress

# Child runs are started in waves so a 100 000-member topic never has thousands in flight.
WAVE = 50
# Runs recorded before live run events close without the final local activity (tests/test_replay.py).
LIVE_RUN_EVENTS = "live-run-events"
# Runs recorded before audience paging resolved the whole audience in one activity.
PAGED_AUDIENCE = "paged-audience"


@workflow.defn(name=TRIGGER_WORKFLOW)
class TriggerWorkflow:
    def __init__(self) -> None:
        self.fast_forwarded = False

    @workflow.signal(name=FAST_FORWARD_SIGNAL)
    def fast_forward(self) -> None:
        """End the delay this run waits in now (``POST /v1/events/pending/fast-forward``)."""
        self.fast_forwarded = True

    @workflow.run
    async def run(self, inp: TriggerInput) -> RunResult:
        """Deliver one event, then announce how the run closed on the real-time bus."""
        try:
            result = await self._deliver(inp)
        except asyncio.CancelledError:
            await self._closed(inp, "cancelled", 0, None)
            raise
        except FailureError as exc:
            await self._closed(inp, "failed", 0, str(exc))
            raise
        await self._closed(inp, "completed", result.recipients, None)
        return result

    async def _closed(self, inp: TriggerInput, outcome: str, recipients: int, error: str | None) -> None:
        if not workflow.patched(LIVE_RUN_EVENTS):
            return
        ctx = inp.context
        closed = RunClosed(environment_id=ctx.environment_id, transaction_id=ctx.transaction_id,
                           workflow_identifier=ctx.workflow.identifier, outcome=outcome,
                           recipients=recipients, error=error)
        try:
            await workflow.execute_local_activity_method(
                LiveActivities.publish_run_closed, closed, start_to_close_timeout=timedelta(seconds=10)
            )
        except FailureError:
            workflow.logger.warning("the workflow.run.%s event was not published", outcome)

    async def _deliver(self, inp: TriggerInput) -> RunResult:
        """Deliver one event: inline for one small batch, else one child run per batch."""
        own_id = workflow.info().workflow_id
        if inp.fits_inline():
            batch = Batch(key=own_id, kind="inline", subscribers=inp.subscribers)
            return await run_steps(RunInput(context=inp.context, batch=batch, policy=inp.policy), tag_subscribers=False)
        if inp.progress is not None or workflow.patched(PAGED_AUDIENCE):
            return await self._deliver_paged(inp)
        workflow.set_current_details("resolving recipients")
        resolved = await workflow.execute_activity_method(
            RecipientActivities.resolve_recipients,
            ResolveInput(context=inp.context, subscribers=inp.subscribers, topic_keys=inp.topic_keys,
                         everyone=inp.everyone, batch_size=inp.batch_size),
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=inp.policy.heartbeat_seconds),
        )
        total = RunResult(runs=0, missing_topics=resolved.missing_topics)
        batches = resolved.batches
        if len(batches) == 1:
            only = RunInput(context=inp.context, batch=batches[0].model_copy(update={"key": own_id}), policy=inp.policy)
            total.add(await run_steps(only, tag_subscribers=True))
            return total

        await self._run_batches(inp, batches, 0, total, of=len(batches))
        return total

    async def _deliver_paged(self, inp: TriggerInput) -> RunResult:
        """Plan the audience a page at a time, run each page's batches, continue as new now and then."""
        own_id = workflow.info().workflow_id
        progress = inp.progress
        total = progress.result if progress else RunResult(runs=0)
        cursor = progress.cursor if progress else None
        index = progress.next_run_index if progress else 0
        for page_number in range(max(inp.pages_per_run, 1)):
            workflow.set_current_details(f"planning recipients after batch {index}")
            page = await workflow.execute_activity_method(
                AudienceActivities.plan_audience_page,
                AudiencePageInput(
                    context=inp.context, subscribers=inp.subscribers if progress is None else [],
                    topic_keys=inp.topic_keys, everyone=inp.everyone, batch_size=inp.batch_size,
                    max_batches=inp.page_batches, cursor=cursor,
                ),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=inp.policy.heartbeat_seconds),
            )
            total.missing_topics += [key for key in page.missing_topics if key not in total.missing_topics]
            if progress is None and page_number == 0 and page.next is None and len(page.batches) == 1:
                # One batch in all: the trigger runs it itself, as an inline trigger does.
                only = RunInput(
                    context=inp.context, batch=page.batches[0].model_copy(update={"key": own_id}), policy=inp.policy
                )
                total.add(await run_steps(only, tag_subscribers=True))
                return total
            await self._run_batches(inp, page.batches, index, total)
            index += len(page.batches)
            if page.next is None:
                return total
            cursor = page.next
            if workflow.info().is_continue_as_new_suggested():
                break
        # The history stays bounded: the next run goes on from the cursor with the tally so far.
        workflow.continue_as_new(inp.model_copy(update={
            "progress": TriggerProgress(cursor=cursor, next_run_index=index, result=total)
        }))

    async def _run_batches(
        self, inp: TriggerInput, batches: list[Batch], first: int, total: RunResult, *, of: int | None = None
    ) -> None:
        """One child run per batch, ``WAVE`` at a time, numbered from ``first`` (``of``: the total, when known)."""
        own_id = workflow.info().workflow_id
        # Children carry the trigger's attributes except its subscribers: each run labels its own.
        inherited = TypedSearchAttributes(
            [pair for pair in workflow.info().typed_search_attributes if pair.key.name != SUBSCRIBER_ID.name]
        )

        async def child(index: int, batch: Batch) -> RunResult:
            return await workflow.execute_child_workflow(
                RunWorkflow.run,
                RunInput(context=inp.context, batch=batch, policy=inp.policy),
                id=f"{own_id}:run:{index}",
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                search_attributes=inherited,
                static_summary=f"{inp.context.workflow.identifier}: batch {index + 1}{f' of {of}' if of else ''}",
            )

        for start in range(0, len(batches), WAVE):
            wave = batches[start : start + WAVE]
            workflow.set_current_details(
                f"running batches {first + start + 1}-{first + start + len(wave)}{f' of {of}' if of else ''}"
            )
            # Started together: all child commands leave in one workflow task.
            for result in await asyncio.gather(*(child(first + start + i, b) for i, b in enumerate(wave))):
                total.add(result)
