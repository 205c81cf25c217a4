"""The explanation of a transaction: per recipient, what was decided at each step and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Stage = Literal[
    "recipient", "trigger", "condition", "preference", "throttle", "digest", "delay", "render", "reachability",
    "attempt", "retry", "failover", "outcome_unknown", "outcome", "step",
]
EntryStatus = Literal["success", "warning", "failed", "info"]
Outcome = Literal["sent", "partially_sent", "not_sent", "digested", "unknown", "pending"]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Entry(_Camel):
    """One decision: when, at which step, what was decided, and the evidence it rested on."""

    at: datetime | None = None
    stage: Stage
    step_id: str | None = None
    channel: str | None = None
    status: EntryStatus
    decision: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class RunLink(_Camel):
    """A Temporal run that took part, with a link to it in the Temporal UI."""

    workflow_id: str
    role: Literal["trigger", "batch", "digest", "redrive", "replay"]
    status: str | None = None
    url: str


class StepState(_Camel):
    step_id: str
    type: str
    status: str


class RecipientExplanation(_Camel):
    subscriber_id: str
    notification_id: str | None = None
    outcome: Outcome
    summary: str
    steps: list[StepState] = Field(default_factory=list)
    timeline: list[Entry] = Field(default_factory=list)
    runs: list[RunLink] = Field(default_factory=list)


class Explanation(_Camel):
    transaction_id: str
    workflow_identifier: str | None = None
    workflow_id: str | None = None
    status: str = Field(description="the trigger run's status in Temporal (unknown once its history expired)")
    summary: str
    workflow_version: int | None = Field(default=None, description="the saved workflow version the run used")
    replay_of: str | None = Field(default=None, description="the transaction this one replays")
    replays: list[str] = Field(default_factory=list, description="the transactions that replay this one")
    recipients: list[RecipientExplanation]
    runs: list[RunLink] = Field(default_factory=list)


class ExplanationEnvelope(BaseModel):
    data: Explanation
