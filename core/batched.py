"""The wire contract of batched runs: the events of one bulk call that target the same workflow,
run together in one workflow, their activity calls coalesced into one call per step."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.payloads import StepInput, StepOutcome, TriggerInput


class BatchedInput(BaseModel):
    """Events of one workflow from one bulk call; each keeps its own context (transactionId, payload,
    actor, tenant, overrides) and subscribers."""

    events: list[TriggerInput]


class ClaimInput(BaseModel):
    """Take (environment, transactionId) for a batched run: exactly once per transaction id."""

    environment_id: str
    transaction_ids: list[str]
    owner: str


class ClaimResult(BaseModel):
    #: The transaction ids this run owns; the others ran before (or were cancelled) and are skipped.
    owned: list[str] = Field(default_factory=list)
    cancelled: list[str] = Field(default_factory=list)


class ItemError(BaseModel):
    """An item of a coalesced call that failed: retried alone when ``retryable``, else final."""

    message: str
    type: str | None = None
    retryable: bool = True


class StepItem(BaseModel):
    """The result of one item of ``send_steps``: its outcome, or its error."""

    outcome: StepOutcome | None = None
    error: ItemError | None = None


class StepItems(BaseModel):
    inputs: list[StepInput]


class StepItemResults(BaseModel):
    items: list[StepItem]
