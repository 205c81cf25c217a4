"""The wire contract of a dry run: a planned trigger in, who would receive what (and why not) out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from core.payloads import TriggerInput

DRY_RUN_WORKFLOW = "DryRunWorkflow"
DryOutcome = Literal["would_send", "skipped", "failed", "would_wait", "would_digest", "would_pass", "throttled",
                     "inactive"]


class DryRunInput(BaseModel):
    trigger: TriggerInput
    # Recipients evaluated in full; the rest are only counted.
    limit: int = 100


class DryRunStep(BaseModel):
    step_id: str
    type: str
    outcome: DryOutcome
    reason: str = ""
    integration: str | None = None
    content: dict[str, str] | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class DryRunRecipient(BaseModel):
    subscriber_id: str
    resolved_by: str
    known: bool = Field(description="stored already; false: the trigger would create this subscriber")
    steps: list[DryRunStep] = Field(default_factory=list)


class DryRunResult(BaseModel):
    recipients: list[DryRunRecipient] = Field(default_factory=list)
    total: int = 0
    truncated: bool = False
    missing_topics: list[str] = Field(default_factory=list)
    dropped_actor: str | None = None
