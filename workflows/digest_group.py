"""One digest group's workflow: collect events for the window, then run the steps after the digest once.

Events arrive as ``add`` signals sent with signal-with-start (``activities.digest``), so the first
event of a group starts this workflow and events of the same instant join it. When the window ends
the workflow stops accepting: events arriving after that (the race at the window's end) are kept
apart and, once this digest is handed off, start the group's next generation (continue-as-new);
a signal that arrives after the workflow completed starts a new workflow under the same id. No
event is lost or sent twice.

Closing reads the store (``close_digest``): events cancelled by transactionId are dropped; when none
remain, nothing is sent. The steps after the digest run as a child ``RunWorkflow`` (abandoned, so
this group can close at once) for the subscriber, with ``step.events``, ``step.total_count`` and
``step.digest_key`` for its templates.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

from core.action_controls import DigestControls
from core.payloads import Batch, RunInput, SendPolicy, StepSpec, SubscriberInput
from core.run_identity import run_attributes
from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    FAST_FORWARD_SIGNAL,
    own_controls,
    wait_or_fast_forward,
)
from workflows.run import RunWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.digest import ADD_SIGNAL, DigestActivities
    from activities.schedule import ScheduleActivities
    from core.action_payloads import DigestCloseInput, DigestEvent, DigestGroupInput, ScheduleInput


class DigestOutcome(BaseModel):
    events: int = 0
    sent_events: int = 0
    dropped_transactions: list[str] = Field(default_factory=list)
    run_id: str | None = None  # the workflow id of the run that sent the digest


def digest_transaction(first: DigestEvent) -> str:
    """The transaction id of the digest's own run: the first event's, marked as a digest."""
    return f"{first.transaction_id}:digest:{first.step_id}"[:255]


@workflow.defn
class DigestWorkflow:
    def __init__(self) -> None:
        self._events: list[DigestEvent] = []
        self._late: list[DigestEvent] = []
        self._seen: set[str] = set()
        self._closed = False
        self.fast_forwarded = False

    @workflow.signal(name=FAST_FORWARD_SIGNAL)
    def fast_forward(self) -> None:
        """Close the window now (``POST /v1/events/pending/fast-forward``)."""
        self.fast_forwarded = True

    @workflow.signal(name=ADD_SIGNAL)
    def add(self, event: DigestEvent) -> None:
        if event.event_id in self._seen:
            return  # signalled again by a retried activity
        self._seen.add(event.event_id)
        (self._late if self._closed else self._events).append(event)

    @workflow.run
    async def run(self, inp: DigestGroupInput) -> DigestOutcome:
        for event in inp.carried:
            self.add(event)
        await workflow.wait_condition(lambda: bool(self._events))
        controls = DigestControls.model_validate(own_controls(StepSpec(id="", type="digest", controls=inp.controls)))
        if controls.type == "timed":
            instant = await workflow.execute_activity_method(
                ScheduleActivities.next_instant,
                ScheduleInput(environment_id=inp.environment_id, subscriber_id=inp.subscriber_id,
                              after=workflow.now(), timezone=controls.timezone, cron=controls.cron,
                              at_time=controls.atTime, weekdays=list(controls.weekDays or []) or None),
                start_to_close_timeout=BOOKKEEPING_TIMEOUT, retry_policy=BOOKKEEPING_RETRY, summary="digest schedule",
            )
            wait = instant.at - workflow.now()
        else:
            wait = controls.window()
        workflow.set_current_details(f"collecting events until {workflow.now() + wait:%Y-%m-%d %H:%M:%S} UTC")
        if wait > timedelta(0):
            await wait_or_fast_forward(wait, "digest window")
        self._closed = True
        closed = await workflow.execute_activity_method(
            DigestActivities.close_digest,
            DigestCloseInput(environment_id=inp.environment_id, close_id=workflow.info().run_id, events=self._events),
            start_to_close_timeout=BOOKKEEPING_TIMEOUT, retry_policy=BOOKKEEPING_RETRY, summary="close digest",
        )
        kept = [e for e in self._events if e.event_id in set(closed.kept)]
        outcome = DigestOutcome(events=len(self._events), sent_events=len(kept),
                                dropped_transactions=closed.dropped_transactions)
        if kept:
            outcome.run_id = await self._send(inp, kept)
        workflow.set_current_details(f"sent {len(kept)} of {len(self._events)} event(s)")
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._late:  # arrived after the window: they open the group's next generation
            workflow.continue_as_new(inp.model_copy(update={"carried": self._late}))
        return outcome

    async def _send(self, inp: DigestGroupInput, kept: list[DigestEvent]) -> str | None:
        first = kept[0]
        ctx = first.context
        if inp.step_index + 1 >= len(ctx.workflow.steps):
            return None  # nothing after the digest
        events = [payload for event in kept for payload in event.events]
        tx = digest_transaction(first)
        context = ctx.model_copy(update={
            "transaction_id": tx,
            "step_data": {"events": events, "total_count": len(events), "digest_key": inp.digest_key},
        })
        run_id = f"{inp.group_id}:{workflow.info().run_id}"
        recipient = SubscriberInput(subscriber_id=inp.subscriber_id)
        await workflow.start_child_workflow(
            RunWorkflow.run,
            RunInput(context=context, batch=Batch(kind="inline", subscribers=[recipient]),
                     policy=SendPolicy.model_validate(first.policy), start_step=inp.step_index + 1),
            id=run_id,
            parent_close_policy=ParentClosePolicy.ABANDON,
            search_attributes=run_attributes(
                environment_id=ctx.environment_id, transaction_id=tx, workflow_identifier=ctx.workflow.identifier,
                tenant_id=ctx.tenant.identifier if ctx.tenant else None, subscriber_ids=[inp.subscriber_id],
            ),
            static_summary=f"{ctx.workflow.identifier}: digest of {len(events)} event(s) for {inp.subscriber_id}",
        )
        return run_id
