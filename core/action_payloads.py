"""Inputs and results of the action-step activities (conditions, throttle, digest, schedules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.payloads import Batch, TriggerContext


class ActionInput(BaseModel):
    """One step of one run, for the recipients still in it."""

    context: TriggerContext
    batch: Batch
    step_index: int
    # Subscribers that left the run at an earlier step (merged into a digest, throttled).
    exclude: list[str] = Field(default_factory=list)
    # The recipients whose step conditions passed; None when the step has no conditions.
    only: list[str] | None = None
    # The workflow's clock when it reached the step, so that a retried activity decides the same.
    now: datetime


class ConditionResult(BaseModel):
    passed: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    # Why the first failing recipient failed ("payload.count > 3 is false").
    reason: str = ""


class ThrottleInput(ActionInput):
    limit: int
    window_seconds: float | None = None
    # Payload path of the window when it comes from the event (a number of seconds or {amount, unit}).
    window_path: str | None = None
    key_path: str | None = None


class ActionResult(BaseModel):
    """Who continues the run after the step and who left it there."""

    passed: list[str] = Field(default_factory=list)
    left: list[str] = Field(default_factory=list)
    # Recipients of the run still in it after this step (passed, and those the step did not apply to).
    remaining: int = 0
    note: str = ""
    # Template data for those who continue (a look-back digest that sent an event on its own).
    step_data: dict[str, Any] = Field(default_factory=dict)


class DigestEnterInput(ActionInput):
    key_path: str | None = None
    look_back_seconds: float | None = None
    # The run's send policy (``core.payloads.SendPolicy`` as a dict) for the digest's run.
    policy: dict[str, Any] = Field(default_factory=dict)


class DigestEvent(BaseModel):
    """One event handed to a digest group (by signal)."""

    event_id: str
    transaction_id: str
    run_key: str
    step_id: str
    subscriber_id: str
    # The payloads this event stands for: its own, or all of an earlier digest's.
    events: list[dict[str, Any]]
    context: TriggerContext
    policy: dict[str, Any] = Field(default_factory=dict)


class DigestGroupInput(BaseModel):
    """The digest workflow's input: its group, and the events a previous generation left to it."""

    group_id: str
    environment_id: str
    subscriber_id: str
    step_index: int
    controls: dict[str, Any]
    digest_key: Any = None
    carried: list[DigestEvent] = Field(default_factory=list)


class DigestCloseInput(BaseModel):
    environment_id: str
    # The digest workflow's run id: a retried close keeps what the first attempt marked sent.
    close_id: str
    events: list[DigestEvent]


class DigestCloseResult(BaseModel):
    kept: list[str] = Field(default_factory=list)  # event ids
    dropped_transactions: list[str] = Field(default_factory=list)


class ScheduleInput(BaseModel):
    """The next instant after ``after`` that a schedule allows, in UTC or a subscriber's zone."""

    environment_id: str
    subscriber_id: str | None = None
    # Used instead of ``subscriber_id`` when the run has several recipients: its first one.
    context: TriggerContext | None = None
    batch: Batch | None = None
    after: datetime
    timezone: str = "UTC"
    cron: str | None = None
    at_time: str | None = None
    weekdays: list[str] | None = None
    # Delivery window: {"start": "08:00", "end": "20:00", "weekdays": [...]}.
    window: dict[str, Any] | None = None


class ScheduleResult(BaseModel):
    at: datetime
    timezone: str
