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

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from temporalio import workflow

from workflows.actions.base import (
    BOOKKEEPING_RETRY,
    BOOKKEEPING_TIMEOUT,
    ActionCall,
    ActionKind,
    ActionResult,
    own_controls,
    read_path,
)

with workflow.unsafe.imports_passed_through():
    from activities.action_models import ScheduleInput
    from activities.schedule import ScheduleActivities

Unit = Literal["seconds", "minutes", "hours", "days", "weeks", "months"]
UNIT_SECONDS: Mapping[str, int] = {
    "seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400, "weeks": 7 * 86_400,
    "months": 30 * 86_400,  # a month is 30 days
}
# Ten years: anything longer is a mistake, not a notification.
MAX_SECONDS = 10 * 365 * 86_400
PAYLOAD_PATH = re.compile(r"payload(\.[^.\s]+)+")
CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
ZONE = re.compile(r"UTC|subscriber|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class DeliveryWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str = Field(pattern=CLOCK.pattern)
    end: str = Field(pattern=CLOCK.pattern)
    weekdays: list[Weekday] | None = None


class DelayControls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Declared first so that the checks of ``amount`` and ``unit`` see it.
    until: str | None = Field(default=None, description="payload path of an ISO-8601 timestamp: payload.sendAt")
    type: Literal["regular"] | None = None
    amount: int | None = Field(default=None, gt=0, validate_default=True)
    unit: Unit | None = Field(default=None, validate_default=True)
    timezone: str | None = Field(default=None, pattern=ZONE.pattern, max_length=64)  # None: UTC
    window: DeliveryWindow | None = None

    @field_validator("until")
    @classmethod
    def _payload_path(cls, value: str | None) -> str | None:
        if value is not None and not PAYLOAD_PATH.fullmatch(value):
            raise ValueError(f"must be a payload path such as payload.sendAt, not {value[:80]!r}")
        return value

    @field_validator("amount", "unit")
    @classmethod
    def _one_form(cls, value: object, info: ValidationInfo) -> object:
        if "until" not in info.data:  # ``until`` itself was refused: that error says enough
            return value
        has_until = info.data.get("until") is not None
        if value is None and not has_until:
            raise ValueError("required (or give `until`, a payload path)")
        if value is not None and has_until:
            raise ValueError("give either amount and unit, or until, not both")
        return value

    def duration(self) -> timedelta | None:
        """The fixed wait, or None for the ``until`` form."""
        if self.amount is None or self.unit is None:
            return None
        seconds = self.amount * UNIT_SECONDS[self.unit]
        return timedelta(seconds=min(seconds, MAX_SECONDS))


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
        await workflow.sleep(wait, summary=f"delay {step.id}")
        return ActionResult(step_id=step.id, status="completed", waited_seconds=wait.total_seconds())
