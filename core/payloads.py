"""The wire contract between API, workflows and activities: one pydantic model in, one out.

These travel through Temporal's history, so they hold references and small values, never a
topic's member list: a topic batch is a range of membership ids that the activity reads itself.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


def _recorded_as(field: str, camel: str) -> Any:
    # Histories recorded before the contract moved to ``core`` carry Novu's camelCase names; accepting
    # them keeps those runs replaying. New payloads are written with the snake_case field names.
    return Field(default=None, validation_alias=AliasChoices(field, camel))


class SubscriberInput(BaseModel):
    """A subscriber as a trigger names it: the id alone, or an object that is upserted."""

    model_config = ConfigDict(extra="ignore")

    subscriber_id: str = Field(
        min_length=1, max_length=255, validation_alias=AliasChoices("subscriber_id", "subscriberId")
    )
    email: str | None = None
    first_name: str | None = _recorded_as("first_name", "firstName")
    last_name: str | None = _recorded_as("last_name", "lastName")
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    timezone: str | None = None
    data: dict[str, Any] | None = None
    channels: list[dict[str, Any]] | None = None

    def profile(self) -> dict[str, Any]:
        """The fields the caller actually sent, as store column names (None means "not sent")."""
        return self.model_dump(exclude={"subscriber_id"}, exclude_none=True)


class TenantInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

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
    #: The language of the step's templates: Novu's Liquid or Clarion's Jinja (steps stored without one).
    syntax: Literal["jinja", "liquid"] = "jinja"


class WorkflowSnapshot(BaseModel):
    """The workflow definition as it was when the event was triggered."""

    id: str
    identifier: str
    name: str
    critical: bool = False
    preferences: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    steps: list[StepSpec]
    # The saved version this definition is (``GET /v2/workflows/{id}/versions``); None before versions.
    version: int | None = None


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
    # The transaction this trigger replays (``POST /v1/events/trigger/{transactionId}/replay``).
    replay_of: str | None = None
    # Bitcaster's filters and limit_to (core.subscriber_selector.Selector as data): applied when a batch
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

class SendPolicy(BaseModel):
    """How hard a step tries: Temporal retries a batch with exponential backoff up to this."""

    max_attempts: int = 8
    initial_interval_seconds: float = 1.0
    max_interval_seconds: float = 300.0
    # A dead worker's attempt is noticed after this long without a heartbeat.
    heartbeat_seconds: float = 30.0
    step_timeout_seconds: float = 600.0


class AudienceCursor(BaseModel):
    """Where the next page of a trigger's audience starts: its topics in order, then everyone.

    ``after`` is the last membership id (a topic) or subscriber key (everyone) already planned, so a
    page is read by keyset and no run ever holds the whole audience.
    """

    topic_ids: list[str] = Field(default_factory=list)
    topic_index: int = 0
    everyone: bool = False
    after: str | None = None


class TriggerInput(BaseModel):
    context: TriggerContext
    subscribers: list[SubscriberInput] = Field(default_factory=list)
    topic_keys: list[str] = Field(default_factory=list)
    everyone: bool = False
    batch_size: int = 100
    policy: SendPolicy = Field(default_factory=SendPolicy)
    # A large audience is planned page by page; each page is at most this many batches (child runs).
    page_batches: int = 200
    # Pages one run handles before it continues as new, so no history grows with the audience.
    pages_per_run: int = 5
    # Set when a run continues as new: where the audience goes on and what was done so far.
    progress: TriggerProgress | None = None

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
    # A batched run's result: each completed transaction's own, by transactionId (the counts above sum them).
    transactions: dict[str, RunResult] = Field(default_factory=dict)

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


class TriggerProgress(BaseModel):
    """What a trigger run hands to the run it continues as: the audience cursor and the tally."""

    cursor: AudienceCursor
    next_run_index: int
    result: RunResult


class BulkInput(BaseModel):
    events: list[TriggerInput]


TriggerInput.model_rebuild()
