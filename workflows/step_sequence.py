"""Runs a workflow's steps, in order, for one batch of recipients (shared by trigger and run)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from core.payloads import RunInput, RunResult, SendPolicy
from core.run_identity import SUBSCRIBER_ID, capped_ids
from workflows.actions import ACTION_KINDS, CONDITIONS, ActionCall

with workflow.unsafe.imports_passed_through():
    from activities.conditions import ConditionActivities
    from activities.dispatch import DispatchActivities
    from core.action_payloads import ActionInput
    from core.payloads import StepInput, StepOutcome


# How a channel step's activity is called: directly (None), or coalesced with the same step of other
# events by a batched run (``workflows.coalesce``), which falls back to the direct call per item.
SendStep = Callable[[StepInput, SendPolicy, RetryPolicy], Awaitable[StepOutcome]]


async def run_steps(inp: RunInput, *, tag_subscribers: bool, send: SendStep | None = None) -> RunResult:
    """Execute each active step in order: an action step (delay) in the workflow itself, a channel
    step as one batch activity. ``tag_subscribers`` labels the run in the UI."""
    policy = inp.policy
    retry = RetryPolicy(
        initial_interval=timedelta(seconds=policy.initial_interval_seconds),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=policy.max_interval_seconds),
        maximum_attempts=policy.max_attempts,
        non_retryable_error_types=["unknown_step"],
    )
    steps = inp.context.workflow.steps
    outcomes: list[StepOutcome] = []
    notes: list[str] = []
    context = inp.context
    gone: list[str] = []  # recipients that left the run at a digest or throttle step
    for index, step in enumerate(steps):
        if not step.active or index < inp.start_step:
            continue
        workflow.set_current_details(f"step {index + 1}/{len(steps)}: {step.type} {step.id!r}")
        only, unmet = None, 0
        if CONDITIONS in step.controls:  # only steps with conditions run this activity (replay-safe)
            checked = await workflow.execute_activity_method(
                ConditionActivities.check_conditions,
                ActionInput(context=context, batch=inp.batch, step_index=index, exclude=gone, now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=2), retry_policy=retry, summary=f"conditions of {step.id}",
            )
            only, unmet = checked.passed, len(checked.failed)
            if not checked.passed:
                notes.append(f"step {step.id!r}: skipped: condition not met: {checked.reason}")
                outcomes.append(StepOutcome(step_id=step.id, recipients=unmet, skipped=unmet))
                continue
        if action := ACTION_KINDS.get(step.type):
            done = await action.run(ActionCall(step=step, index=index, context=context, batch=inp.batch,
                                               policy=policy, exclude=gone, only=only))
            if done.status == "skipped":
                notes.append(done.note())
            elif done.detail:
                notes.append(f"step {step.id!r}: {done.detail}")
            gone += done.left
            if done.step_data is not None:
                context = context.model_copy(update={"step_data": done.step_data})
            if done.remaining == 0:
                break  # every recipient left the run here (a digest or throttle)
            continue
        step_input = StepInput(context=context, batch=inp.batch, step_index=index, max_attempts=policy.max_attempts)
        outcome = await (send or send_step)(step_input, policy, retry)
        outcome.skipped += unmet
        if tag_subscribers and not outcomes and outcome.sample_subscriber_ids:
            workflow.upsert_search_attributes([SUBSCRIBER_ID.value_set(capped_ids(outcome.sample_subscriber_ids))])
        outcomes.append(outcome)
        if outcome.stop_run:  # the step asked to stop the run when it failed
            break
    result = RunResult.of(outcomes)
    result.notes = notes
    workflow.set_current_details(
        f"done: {result.recipients} recipient(s), {result.sent} sent, {result.skipped} skipped, {result.failed} failed"
        + "".join(f"; {note}" for note in notes)
    )
    return result


async def send_step(inp: StepInput, policy: SendPolicy, retry: RetryPolicy) -> StepOutcome:
    """One channel step of one run as its own activity (the path every run takes outside batched runs)."""
    step = inp.context.workflow.steps[inp.step_index]
    return await workflow.execute_activity_method(
        DispatchActivities.send_step,
        inp,
        start_to_close_timeout=timedelta(seconds=policy.step_timeout_seconds),
        heartbeat_timeout=timedelta(seconds=policy.heartbeat_seconds),
        retry_policy=retry,
        summary=f"{step.type} {step.id}",
    )
