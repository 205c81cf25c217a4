"""The data that crosses the workflow/activity boundary: one pydantic model in, one out.

These travel through Temporal's history, so they hold references and small values, never a
topic's member list: a topic batch is a range of membership ids that the activity reads itself.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class SubscriberInput(_Wire):
    """A subscriber as a trigger names it: the id alone, or an object that is upserted."""

    subscriber_id: str = Field(alias="subscriberId", min_length=1, max_length=255)
    email: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    timezone: str | None = None
    data: dict[str, Any] | None = None
    channels: list[dict[str, Any]] | None = None

    def profile(self) -> dict[str, Any]:
        """The fields the caller actually sent, as store column names (None means "not sent")."""
        return self.model_dump(exclude={"subscriber_id"}, exclude_none=True)


class TenantInput(_Wire):
    identifier: str = Field(min_length=1, max_length=255)
    name: str | None = None
    data: dict[str, Any] | None = None


class StepSpec(BaseModel):
    """One step of a workflow, as stored (see ``channels.steps`` for the controls of each type)."""

    id: str
    name: str = ""
    type: str
    active: bool = True
    controls: dict[str, Any] = Field(default_factory=dict)


class WorkflowSnapshot(BaseModel):
    """The workflow definition as it was when the event was triggered."""

    id: str
    identifier: str
    name: str
    critical: bool = False
    preferences: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    steps: list[StepSpec]


class TriggerContext(BaseModel):
    """What every step of one trigger sees."""

    environment_id: str
    organization_id: str
    transaction_id: str
    workflow: WorkflowSnapshot
    payload: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, Any] = Field(default_factory=dict)
    actor: SubscriberInput | None = None
    tenant: TenantInput | None = None
    # Published events only (event-apis.md §1.4): topic members must match these audiences.
    # None means no audience filter (native triggers); [] keeps only members without audiences.
    audiences: list[str] | None = None
    # Bitcaster's filters and limit_to (store.subscriber_selector.Selector as data): applied when a batch
    # claims its recipients, whatever the batch kind.
    selector: dict[str, Any] | None = None
    # Bitcaster's ``cid``: also the trigger's ``CorrelationId`` search attribute.
    correlation_id: str | None = None
    # What templates see as ``step``: a digest's ``events``, ``total_count`` and ``digest_key``.
    step_data: dict[str, Any] = Field(default_factory=dict)


class Batch(BaseModel):
    """A set of recipients that one run handles, named by ``key`` (the run's workflow id).

    ``inline``: the subscribers listed. ``topic``: topic members with membership ids in
    ``(after, until]``. ``everyone``: the environment's subscribers with ids in ``(after, until]``.
    """

    key: str = ""
    kind: Literal["inline", "topic", "everyone"]
    subscribers: list[SubscriberInput] = Field(default_factory=list)
    topic_id: str | None = None
    after: str | None = None
    until: str | None = None


class ResolveInput(BaseModel):
    context: TriggerContext
    subscribers: list[SubscriberInput] = Field(default_factory=list)
    topic_keys: list[str] = Field(default_factory=list)
    everyone: bool = False
    batch_size: int = 100


class ResolveResult(BaseModel):
    batches: list[Batch]
    missing_topics: list[str] = Field(default_factory=list)


class StepInput(BaseModel):
    context: TriggerContext
    batch: Batch
    step_index: int
    # The dispatch activity records a retryable failure as final on this attempt.
    max_attempts: int


class StepOutcome(BaseModel):
    step_id: str
    recipients: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    # A few of the run's subscriber ids, for the SubscriberId search attribute of topic runs.
    sample_subscriber_ids: list[str] = Field(default_factory=list)
    # The step's ``stopOnFailure`` control was set and a delivery failed: run no further steps.
    stop_run: bool = False
