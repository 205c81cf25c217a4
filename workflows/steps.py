"""Runs a workflow's steps, in order, for one batch of recipients (shared by trigger and run)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.actions import ACTION_KINDS
from workflows.inputs import RunInput, RunResult
from workflows.search import SUBSCRIBER_ID, capped_ids

with workflow.unsafe.imports_passed_through():
    from activities.dispatch import DispatchActivities
    from activities.models import StepInput, StepOutcome


async def run_steps(inp: RunInput, *, tag_subscribers: bool) -> RunResult:
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
    for index, step in enumerate(steps):
        if not step.active:
            continue
        workflow.set_current_details(f"step {index + 1}/{len(steps)}: {step.type} {step.id!r}")
        if action := ACTION_KINDS.get(step.type):
            done = await action.run(step, inp.context)
            if done.status == "skipped":
                notes.append(done.note())
            continue
        outcome = await workflow.execute_activity_method(
            DispatchActivities.send_step,
            StepInput(context=inp.context, batch=inp.batch, step_index=index, max_attempts=policy.max_attempts),
            start_to_close_timeout=timedelta(seconds=policy.step_timeout_seconds),
            heartbeat_timeout=timedelta(seconds=policy.heartbeat_seconds),
            retry_policy=retry,
            summary=f"{step.type} {step.id}",
        )
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
