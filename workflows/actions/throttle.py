"""The throttle step: at most ``threshold`` executions per window, per subscriber and workflow.

Controls (Novu's names)::

    {"threshold": 3, "amount": 1, "unit": "hours"}                  # fixed window
    {"threshold": 3, "type": "dynamic", "dynamicKey": "payload.window"}
        # the window from the event: seconds, or {"amount": 1, "unit": "hours"}
    ... and optionally "throttleKey": "payload.projectId" to count per key value

The window slides: a run passes when fewer than ``threshold`` runs of the same subscriber (and key)
passed in the window before it. The others stop at the step; their execution details say
"Throttled". Decisions are rows in the store (``activities.throttle``), exact under concurrency.
"""

from __future__ import annotations

from temporalio import workflow

from core.action_controls import MAX_SECONDS, UNIT_SECONDS, ThrottleControls
from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    ActionCall,
    ActionKind,
    ActionResult,
    own_controls,
)

with workflow.unsafe.imports_passed_through():
    from activities.throttle import ThrottleActivities
    from core.action_payloads import ThrottleInput


class ThrottleStep(ActionKind):
    type = "throttle"
    controls_model = ThrottleControls

    async def run(self, call: ActionCall) -> ActionResult:
        step = call.step
        controls = ThrottleControls.model_validate(own_controls(step))
        window = None
        if controls.type == "fixed" and controls.amount is not None and controls.unit is not None:
            window = float(min(controls.amount * UNIT_SECONDS[controls.unit], MAX_SECONDS))
        key = controls.throttleKey
        if key is not None and not key.startswith("payload."):
            key = f"payload.{key}"
        outcome = await workflow.execute_activity_method(
            ThrottleActivities.throttle,
            ThrottleInput(
                context=call.context, batch=call.batch, step_index=call.index, exclude=call.exclude, only=call.only,
                now=workflow.now(), limit=controls.threshold, window_seconds=window,
                window_path=controls.dynamicKey if controls.type == "dynamic" else None, key_path=key,
            ),
            start_to_close_timeout=BOOKKEEPING_TIMEOUT, retry_policy=BOOKKEEPING_RETRY, summary=f"throttle {step.id}",
        )
        return ActionResult(step_id=step.id, status="completed", left=outcome.left, remaining=outcome.remaining,
                            detail=outcome.note)
