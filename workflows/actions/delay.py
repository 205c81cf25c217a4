"""The delay step: wait a fixed amount, or until a timestamp read from the payload.

The wait is a durable Temporal timer (``workflow.sleep``): while it runs nothing is held in a
worker, a delay of months costs one timer, and it survives restarts of workers and server.
Cancelling the trigger (``DELETE /v1/events/trigger/{transactionId}``) cancels the timer, so the
steps after it never run.

Controls, in Novu's v2 shape or Clarion's ``until`` form (exactly one of the two)::

    {"type": "regular", "amount": 2, "unit": "hours"}
    {"until": "payload.sendAt"}        # an ISO-8601 timestamp; no zone means UTC

A month is 30 days (Novu's unit, without calendar arithmetic). A timestamp in the past means no
wait; a missing or unreadable one skips the step (no wait), and the run's result says why.

Either form may add a delivery window (quiet hours outside it) in a time zone: ``UTC`` (default),
``subscriber`` (the recipient's stored zone; the first recipient's for a run of many) or an IANA
name. When the wait ends outside the window, it is extended to the window's next opening::

    {"type": "regular", "amount": 1, "unit": "hours", "timezone": "subscriber",
     "window": {"start": "08:00", "end": "20:00", "weekdays": ["monday", "friday"]}}

The zone database is read in an activity (``activities.schedule``), never in the workflow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow

from core.action_controls import MAX_SECONDS, DelayControls
from core.paths import read_path
from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    ActionCall,
    ActionKind,
    ActionResult,
    own_controls,
    wait_or_fast_forward,
)

with workflow.unsafe.imports_passed_through():
    from activities.schedule import ScheduleActivities
    from core.action_payloads import ScheduleInput

def parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class DelayStep(ActionKind):
    type = "delay"
    controls_model = DelayControls

    async def run(self, call: ActionCall) -> ActionResult:
        step, context = call.step, call.context
        controls = DelayControls.model_validate(own_controls(step))
        wait = controls.duration()
        if wait is None:
            path = str(controls.until)
            raw = read_path(context.payload, path)
            until = parse_instant(raw)
            if until is None:
                problem = "is missing" if raw is None else f"is not an ISO-8601 timestamp: {str(raw)[:80]!r}"
                return ActionResult(step_id=step.id, status="skipped", reason=f"{path} {problem}")
            wait = min(until - workflow.now(), timedelta(seconds=MAX_SECONDS))
        if controls.window is not None:
            # Only delays with a window run this activity: histories of plain delays stay the same.
            shifted = await workflow.execute_activity_method(
                ScheduleActivities.next_instant,
                ScheduleInput(environment_id=context.environment_id, context=context, batch=call.batch,
                              after=workflow.now() + max(wait, timedelta(0)), timezone=controls.timezone or "UTC",
                              window=controls.window.model_dump(exclude_none=True)),
                start_to_close_timeout=BOOKKEEPING_TIMEOUT, retry_policy=BOOKKEEPING_RETRY,
                summary=f"delivery window of {step.id}",
            )
            wait = shifted.at - workflow.now()
        if wait <= timedelta(0):
            return ActionResult(step_id=step.id, status="completed")
        end = workflow.now() + wait
        workflow.set_current_details(f"delay {step.id!r}: waiting {wait}, until {end:%Y-%m-%d %H:%M:%S} UTC")
        started = workflow.now()
        if await wait_or_fast_forward(wait, f"delay {step.id}"):
            waited = (workflow.now() - started).total_seconds()
            return ActionResult(step_id=step.id, status="completed", waited_seconds=waited,
                                detail=f"fast-forwarded after {waited:g}s of {wait.total_seconds():g}s")
        return ActionResult(step_id=step.id, status="completed", waited_seconds=wait.total_seconds())
