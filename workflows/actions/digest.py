"""The digest step: events of one group are sent together, once, by the steps after the digest.

Controls (Novu's names where Novu has them)::

    {"amount": 5, "unit": "minutes"}                              # regular: window after the first event
    {"amount": 5, "unit": "minutes", "lookBackWindow": {"amount": 1, "unit": "minutes"}}
        # look-back (backoff): sent at once unless another event came within the look-back window
    {"type": "timed", "cron": "0 9 * * 1-5", "timezone": "subscriber"}
    {"type": "timed", "atTime": "09:00", "weekDays": ["monday"], "timezone": "Europe/Paris"}
    ... and on any of them "digestKey": "payload.postId" (or "postId")

A run reaching the digest hands each recipient's event to the group's digest workflow
(``workflows.digest_group``) and leaves the run there; the execution details say which digest it joined.
"""

from __future__ import annotations

from temporalio import workflow

from core.action_controls import DigestControls
from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    ActionCall,
    ActionKind,
    ActionResult,
    own_controls,
)

with workflow.unsafe.imports_passed_through():
    from activities.digest import DigestActivities
    from core.action_payloads import DigestEnterInput


class DigestStep(ActionKind):
    type = "digest"
    controls_model = DigestControls

    async def run(self, call: ActionCall) -> ActionResult:
        step = call.step
        controls = DigestControls.model_validate(own_controls(step))
        entered = await workflow.execute_activity_method(
            DigestActivities.enter_digest,
            DigestEnterInput(
                context=call.context, batch=call.batch, step_index=call.index, exclude=call.exclude, only=call.only,
                now=workflow.now(), key_path=controls.key_path(),
                look_back_seconds=controls.lookBackWindow.seconds() if controls.lookBackWindow else None,
                policy=call.policy.model_dump(),
            ),
            start_to_close_timeout=BOOKKEEPING_TIMEOUT, retry_policy=BOOKKEEPING_RETRY, summary=f"digest {step.id}",
        )
        return ActionResult(step_id=step.id, status="completed", left=entered.left, remaining=entered.remaining,
                            detail=entered.note, step_data=entered.step_data)
