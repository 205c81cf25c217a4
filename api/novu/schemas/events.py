"""Request and response bodies of the trigger routes, as Novu's SDKs send and parse them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.novu.schemas.base import NovuResponse
from api.novu.schemas.dry_run import DryRunAnswer
from core.email_address import EmailAddress
from core.payloads import SubscriberInput, TenantInput

TRIGGER_STATUSES = (
    "error", "trigger_not_active", "no_workflow_active_steps_defined", "no_workflow_steps_defined", "processed",
    "no_tenant_found", "invalid_recipients",
)


MAX_ID_LENGTH = 255
IdString = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]


class SubscriberDto(BaseModel):
    """A subscriber as Novu's trigger names it (``to``, ``actor``): the id alone, or an object that is upserted."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    subscriber_id: str = Field(alias="subscriberId", min_length=1, max_length=255)
    email: EmailAddress | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, alias="firstName", max_length=255)
    last_name: str | None = Field(default=None, alias="lastName", max_length=255)
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    timezone: str | None = None
    data: dict[str, Any] | None = None
    channels: list[dict[str, Any]] | None = None

    def to_input(self) -> SubscriberInput:
        return SubscriberInput.model_validate(self.model_dump())


class TenantDto(BaseModel):
    model_config = ConfigDict(extra="ignore")

    identifier: str = Field(min_length=1, max_length=255)
    name: str | None = None
    data: dict[str, Any] | None = None

    def to_input(self) -> TenantInput:
        return TenantInput.model_validate(self.model_dump())


class TopicRecipient(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: Literal["Topic"]
    topic_key: str = Field(alias="topicKey", min_length=1, max_length=255)


Recipient = TopicRecipient | SubscriberDto | str


def _recipient(value: Any) -> Any:
    # A plain dict would match the subscriber model too; the ``type`` key decides.
    if isinstance(value, dict) and value.get("type") == "Topic":
        return TopicRecipient.model_validate(value)
    if isinstance(value, str) and not value.strip():
        raise ValueError("a subscriberId must not be empty")
    if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
        raise ValueError(f"a subscriberId is at most {MAX_ID_LENGTH} characters")
    return value


class TriggerCommon(BaseModel):
    """Fields shared by trigger and broadcast."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=255, description="The workflow identifier")
    payload: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, Any] = Field(default_factory=dict)
    transaction_id: str | None = Field(default=None, alias="transactionId", min_length=1, max_length=200)
    dry_run: bool = Field(default=False, alias="dryRun",
                          description="answer who would receive what, without sending or storing anything")
    actor: IdString | SubscriberDto | None = None
    tenant: IdString | TenantDto | None = None

    @field_validator("payload", "overrides", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class TriggerBody(TriggerCommon):
    """``POST /v1/events/trigger``."""

    to: list[Recipient] | Recipient

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("to must name at least one recipient")
            return [_recipient(v) for v in value]
        return _recipient(value)

    def recipients(self) -> list[Recipient]:
        return self.to if isinstance(self.to, list) else [self.to]


class BroadcastBody(TriggerCommon):
    """``POST /v1/events/trigger/broadcast``: every subscriber of the environment."""


class TriggerResult(NovuResponse):
    acknowledged: bool
    status: Literal[
        "error", "trigger_not_active", "no_workflow_active_steps_defined", "no_workflow_steps_defined", "processed",
        "no_tenant_found", "invalid_recipients", "dry_run",
    ]
    transaction_id: str | None = Field(default=None, serialization_alias="transactionId")
    error: list[str] | None = None
    dry_run: DryRunAnswer | None = Field(default=None, serialization_alias="dryRun")

    model_config = ConfigDict(populate_by_name=True)


class TriggerEnvelope(NovuResponse):
    data: TriggerResult


class BulkEnvelope(NovuResponse):
    data: list[TriggerResult]


class CancelEnvelope(NovuResponse):
    data: bool
