"""The controls of action steps (delay, digest, throttle): validated when a workflow is saved (API)
and again when a run carries the step out (workflows.actions), from these same models.

Adding an action step kind adds its controls model here and one entry in ``ACTION_CONTROLS``;
its workflow code lives in ``workflows/actions/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from core.schedule_rules import parse_clock, parse_cron

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


ACTION_CONTROLS: Mapping[str, type[BaseModel]] = {
    "delay": DelayControls, "digest": DigestControls, "throttle": ThrottleControls,
}
