"""The digest step: events of one group are sent together, once, by the steps after the digest.

Controls (Novu's names where Novu has them)::

    {"amount": 5, "unit": "minutes"}                              # regular: window after the first event
    {"amount": 5, "unit": "minutes", "lookBackWindow": {"amount": 1, "unit": "minutes"}}
        # look-back (backoff): sent at once unless another event came within the look-back window
    {"type": "timed", "cron": "0 9 * * 1-5", "timezone": "subscriber"}
    {"type": "timed", "atTime": "09:00", "weekDays": ["monday"], "timezone": "Europe/Paris"}
    ... and on any of them "digestKey": "payload.postId" (or "postId")

A run reaching the digest hands each recipient's event to the group's digest workflow
(``workflows.digest``) and leaves the run there; the execution details say which digest it joined.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from temporalio import workflow

from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    ActionCall,
    ActionKind,
    ActionResult,
    own_controls,
)
from workflows.actions.delay import MAX_SECONDS, UNIT_SECONDS, ZONE, Unit, Weekday

with workflow.unsafe.imports_passed_through():
    from activities.action_models import DigestEnterInput
    from activities.digest import DigestActivities
    from activities.schedule import parse_clock, parse_cron


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0)
    unit: Unit

    def seconds(self) -> float:
        return float(min(self.amount * UNIT_SECONDS[self.unit], MAX_SECONDS))


class DigestControls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["regular", "backoff", "timed"] = "regular"
    amount: int | None = Field(default=None, gt=0)
    unit: Unit | None = None
    digestKey: str | None = Field(default=None, min_length=1, max_length=255)
    lookBackWindow: Span | None = None
    cron: str | None = Field(default=None, max_length=120)
    atTime: str | None = None
    weekDays: list[Weekday] | None = None
    timezone: str = Field(default="UTC", pattern=ZONE.pattern, max_length=64)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cron(value)  # a ValueError names the bad field
        return value

    @field_validator("atTime")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_clock(value)
            except ValueError as exc:
                raise ValueError(f"must be HH:MM, not {value[:20]!r}") from exc
        return value

    @model_validator(mode="after")
    def _form(self) -> DigestControls:
        if self.type == "timed":
            if (self.cron is None) == (self.atTime is None):
                raise ValueError("a timed digest needs either cron or atTime")
        elif self.amount is None or self.unit is None:
            raise ValueError("a regular digest needs amount and unit (the window after the first event)")
        if self.type == "backoff" and self.lookBackWindow is None:
            raise ValueError("a backoff digest needs lookBackWindow: {amount, unit}")
        return self

    def window(self) -> timedelta:
        assert self.amount is not None and self.unit is not None
        return timedelta(seconds=min(self.amount * UNIT_SECONDS[self.unit], MAX_SECONDS))

    def key_path(self) -> str | None:
        if self.digestKey is None:
            return None
        return self.digestKey if self.digestKey.startswith("payload.") else f"payload.{self.digestKey}"


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
