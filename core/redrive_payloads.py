"""The wire contract of a re-drive: which deliveries of a transaction are sent again, and how."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.payloads import RunResult, SendPolicy, TriggerContext

REDRIVE_WORKFLOW = "RedriveWorkflow"
# What a delivery ended as, for a re-drive to take it: failed for sure, or sent with no answer.
RedriveState = Literal["failed", "unknown"]


class RedriveTarget(BaseModel):
    """One delivery to send again: its run (the idempotency key's first part), step and subscriber."""

    run_key: str
    step_id: str
    channel: str
    subscriber_id: str
    state: RedriveState


class RedriveGroup(BaseModel):
    """The deliveries of one run and step, sent again by one step activity in that run's name."""

    run_key: str
    step_index: int
    context: TriggerContext  # as the original run had it (a digest's run: with its events)
    subscriber_ids: list[str]


class RedriveInput(BaseModel):
    environment_id: str
    transaction_id: str
    groups: list[RedriveGroup]
    policy: SendPolicy = Field(default_factory=SendPolicy)


class ReopenInput(BaseModel):
    environment_id: str
    transaction_id: str
    run_key: str
    step_id: str
    subscriber_ids: list[str]
    redrive_id: str


class ReopenResult(BaseModel):
    reopened: list[str] = Field(default_factory=list)


class RedriveResult(BaseModel):
    reopened: int = 0
    result: RunResult = Field(default_factory=RunResult)
