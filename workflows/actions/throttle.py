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

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from temporalio import workflow

from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    ActionCall,
    ActionKind,
    ActionResult,
    own_controls,
)
from workflows.actions.delay import MAX_SECONDS, PAYLOAD_PATH, UNIT_SECONDS, Unit

with workflow.unsafe.imports_passed_through():
    from activities.action_models import ThrottleInput
    from activities.throttle import ThrottleActivities


class ThrottleControls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["fixed", "dynamic"] = "fixed"
    threshold: int = Field(gt=0, le=1_000_000)
    amount: int | None = Field(default=None, gt=0)
    unit: Unit | None = None
    dynamicKey: str | None = Field(default=None, pattern=PAYLOAD_PATH.pattern, max_length=255)
    throttleKey: str | None = Field(default=None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _form(self) -> ThrottleControls:
        if self.type == "dynamic" and self.dynamicKey is None:
            raise ValueError("a dynamic throttle needs dynamicKey, the payload path of its window")
        if self.type == "fixed" and (self.amount is None or self.unit is None):
            raise ValueError("a fixed throttle needs amount and unit (its window)")
        return self


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
