"""Inputs and results of Clarion's workflows (the activity payload types are passed through)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        Batch,
        StepOutcome,
        StepSpec,
        SubscriberInput,
        TenantInput,
        TriggerContext,
        WorkflowSnapshot,
    )

__all__ = [
    "Batch", "BulkInput", "RunInput", "RunResult", "SendPolicy", "StepOutcome", "StepSpec", "SubscriberInput",
    "TenantInput", "TriggerContext", "TriggerInput", "WorkflowSnapshot",
]


class SendPolicy(BaseModel):
    """How hard a step tries: Temporal retries a batch with exponential backoff up to this."""

    max_attempts: int = 8
    initial_interval_seconds: float = 1.0
    max_interval_seconds: float = 300.0
    # A dead worker's attempt is noticed after this long without a heartbeat.
    heartbeat_seconds: float = 30.0
    step_timeout_seconds: float = 600.0


class TriggerInput(BaseModel):
    context: TriggerContext
    subscribers: list[SubscriberInput] = Field(default_factory=list)
    topic_keys: list[str] = Field(default_factory=list)
    everyone: bool = False
    batch_size: int = 100
    policy: SendPolicy = Field(default_factory=SendPolicy)

    def fits_inline(self) -> bool:
        """Only listed subscribers, few enough for one batch: no resolve activity, no child runs."""
        return not self.topic_keys and not self.everyone and len(self.subscribers) <= self.batch_size


class RunInput(BaseModel):
    context: TriggerContext
    batch: Batch
    policy: SendPolicy
    # A digest's run starts at the step after the digest.
    start_step: int = 0


class RunResult(BaseModel):
    recipients: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    runs: int = 1
    missing_topics: list[str] = Field(default_factory=list)
    # What action steps did that the counts don't say: "step 'wait': skipped: payload.sendAt is missing".
    notes: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, outcomes: list[StepOutcome]) -> RunResult:
        return cls(
            recipients=max((o.recipients for o in outcomes), default=0),
            sent=sum(o.sent for o in outcomes),
            skipped=sum(o.skipped for o in outcomes),
            failed=sum(o.failed for o in outcomes),
        )

    def add(self, other: RunResult) -> None:
        self.recipients += other.recipients
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.runs += other.runs
        self.notes += [note for note in other.notes if note not in self.notes]


class BulkInput(BaseModel):
    events: list[TriggerInput]
